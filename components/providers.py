"""The program's explicit AWS provider: the stack's region and default tags, its account only, its credentials.

An explicit provider reads none of the stack's `aws:` keys, so everything it needs is passed here from the validated
config (components/config/aws.py): `allowed_account_ids` pins `platform:environment.account`, and the credential
settings the config accepted become typed provider arguments (plain dicts would reach the engine with snake_case
keys, which the provider does not read).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.config.aws import provider_args

if TYPE_CHECKING:
    from components.config import StackConfig


def stack_aws_provider(name: str, cfg: StackConfig, opts: pulumi.ResourceOptions | None = None) -> aws.Provider:
    args = provider_args(cfg.aws_settings, cfg.account)
    if "assume_roles" in args:
        args["assume_roles"] = [aws.ProviderAssumeRoleArgs(**role) for role in args["assume_roles"]]
    return aws.Provider(
        name,
        region=cfg.region,
        # Every AWS resource gets the stack's tags (plus its own Name tag).
        default_tags=aws.ProviderDefaultTagsArgs(tags=cfg.tags),
        opts=opts,
        **args,
    )
