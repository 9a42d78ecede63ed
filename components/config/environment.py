"""`platform:environment` and `platform:tags`."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, RootModel, field_validator

from ._base import Model

TAG_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$")
REQUIRED_TAGS = ("team", "cost-center")


class EnvironmentConfig(Model):
    # The environment's name: the `environment` tag and part of resource names.
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")]
    # Production stacks get the resilience invariants (NAT per AZ, 3+ AZs, private endpoint,
    # deletion protection, `protect`ed stateful resources, confirmation to destroy).
    production: bool = False
    # The AWS account this stack deploys into (12 digits, quoted in YAML so it stays a string). The program's
    # providers refuse any other account; platformctl checks the caller's identity against it before a deploy.
    account: Annotated[str, Field(pattern=r"^[0-9]{12}$")]


class TagsConfig(RootModel[dict[str, str]]):
    """Tags applied to every taggable AWS resource, beside `environment` and `managed-by` (added by the platform)."""

    model_config = {"strict": True}

    @field_validator("root")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if not TAG_KEY.match(key) or key.lower().startswith("aws:"):
                raise ValueError(f"{key!r} is not a valid AWS tag key (1-128 chars, no 'aws:' prefix)")
            if not value.strip():
                raise ValueError(f"tag {key!r} has an empty value")
            if len(value) > 256:
                raise ValueError(f"tag {key!r} is longer than 256 characters")
        missing = [k for k in REQUIRED_TAGS if k not in v]
        if missing:
            raise ValueError(f"missing required tag(s): {', '.join(missing)}")
        for reserved in ("environment", "managed-by"):
            if reserved in v:
                raise ValueError(f"{reserved!r} is set by the platform; remove it")
        return v
