"""`platform:addons`: which add-ons a stack installs, with per-add-on overrides.

The catalog of add-ons (names, charts, versions, IAM) lives in `components/addons/`; this section
only toggles and tunes them. Unknown add-on names are rejected.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import Model


class AddonToggle(Model):
    enabled: bool = True
    # Helm values (or EKS add-on configuration values) merged over the catalog's defaults.
    values: dict[str, Any] = Field(default_factory=dict)


class AddonsConfig(Model):
    """Placeholder shape until the add-on catalog lands: a map of add-on name -> toggle."""

    enabled: dict[str, AddonToggle] = Field(default_factory=dict)
