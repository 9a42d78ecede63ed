"""The stack's `aws:*` keys: the account guard and the credential settings of every explicit provider.

Pulumi hands a stack's `aws:` configuration to the *default* AWS provider only; the program creates its own
explicit `aws.Provider` (default tags), which reads none of it. So every `aws:` key a user may write is either
passed by the program to the providers that act with AWS credentials, or rejected here with one line naming the
key - never accepted and ignored:

- the program's `aws.Provider` (`provider_args`): `allowedAccountIds` is always `[platform:environment.account]`,
  plus `profile`, `assumeRoles`, `stsRegion`, `skipMetadataApiCheck`;
- pulumi-eks's cluster kubeconfig (`kubeconfig_credentials` -> `providerCredentialOpts`), which both the Kubernetes
  provider pulumi-eks creates inside its component and the program's own Kubernetes provider use: its exec runs
  `aws eks get-token ... --role <role>` (plus `--profile <profile>`; pulumi-eks `generateKubeconfig`). That command
  cannot carry an external ID, a role chain, a web identity or other config files, so those settings are refused
  rather than applied to AWS and silently dropped for Kubernetes: an AWS profile expresses all of them and both
  read it. The role's session name, tags, source identity, duration and session policies reach the AWS provider
  only: `aws eks get-token` assumes the role without them (a trust policy that requires them refuses it).

The settings pulumi-aws 7 reads are in `pulumi_aws/config/vars.py`; the assume-role fields in
`pulumi_aws._inputs.ProviderAssumeRoleArgs`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError, field_validator

from ._base import Model
from .problems import Problem, join_path

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$")
# Go durations as the provider parses them: 15m, 1h, 1h30m.
DURATION = r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$"
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


class AssumeRole(Model):
    """One entry of `aws:assumeRoles` (pulumi-aws `ProviderAssumeRoleArgs`), minus `externalId` (see module doc)."""

    role_arn: str
    session_name: Annotated[str, Field(pattern=r"^[\w+=,.@-]{2,64}$")] | None = None
    duration: Annotated[str, Field(pattern=DURATION)] | None = None
    tags: dict[str, str] | None = None
    transitive_tag_keys: list[str] | None = None
    source_identity: Annotated[str, Field(pattern=r"^[\w+=,.@-]{2,64}$")] | None = None
    policy: str | None = None
    policy_arns: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/.+$")]] | None = None

    @field_validator("role_arn")
    @classmethod
    def _role(cls, v: str) -> str:
        if not ROLE_ARN.match(v):
            raise ValueError("must be an IAM role ARN like arn:aws:iam::123456789012:role/Name")
        return v


_ROLES = TypeAdapter(list[AssumeRole])

# aws: keys refused, with the reason and what to do instead (one line each).
REFUSED: dict[str, str] = {
    "accessKey": "long-lived credentials do not belong in a stack file: use aws:profile, aws:assumeRoles or the "
    "environment (AWS_PROFILE, an OIDC role in CI)",
    "secretKey": "long-lived credentials do not belong in a stack file: use aws:profile, aws:assumeRoles or the "
    "environment (AWS_PROFILE, an OIDC role in CI)",
    "token": "credentials do not belong in a stack file: use aws:profile, aws:assumeRoles or the environment",
    "assumeRole": "pulumi-aws 7 reads no aws:assumeRole: write aws:assumeRoles (a list with one role)",
    "assumeRoleWithWebIdentity": "the cluster's kubeconfig (`aws eks get-token`) cannot use it, so Kubernetes "
    "resources would be applied with another identity: set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in the "
    "environment instead (the provider and the AWS CLI both read them)",
    "sharedConfigFiles": "the cluster's kubeconfig (`aws eks get-token`) would not read them: set AWS_CONFIG_FILE "
    "in the environment instead (the provider and the AWS CLI both read it)",
    "sharedCredentialsFiles": "the cluster's kubeconfig (`aws eks get-token`) would not read them: set "
    "AWS_SHARED_CREDENTIALS_FILE in the environment instead (the provider and the AWS CLI both read it)",
    "forbiddenAccountIds": "conflicts with allowedAccountIds, which the program sets from platform:environment.account",
    "skipCredentialsValidation": "the account guard (allowedAccountIds) needs the provider to check its credentials "
    "and look up the account",
    "skipRequestingAccountId": "the account guard (allowedAccountIds) needs the provider to look up the account",
    "defaultTags": "the program sets the providers' default tags from platform:tags: put the tags there",
}
# Everything else pulumi-aws reads (endpoints, proxies, retries, ...) is not passed on: unknown here.
ACCEPTED = ("region", "profile", "allowedAccountIds", "assumeRoles", "stsRegion", "skipMetadataApiCheck")


@dataclass(frozen=True)
class AwsSettings:
    """The validated `aws:` keys (besides `aws:region`)."""

    profile: str | None = None
    assume_roles: tuple[AssumeRole, ...] = ()
    sts_region: str | None = None
    skip_metadata_api_check: bool | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def role_arn(self) -> str | None:
        """The role the providers act as (the last of the chain; at most one is accepted)."""
        return self.assume_roles[-1].role_arn if self.assume_roles else None


def _flag(key: str, value: Any, problems: list[Problem]) -> bool | None:
    # Inside `pulumi up` a scalar config value reaches the program as a string ("true"); in a YAML file it is a bool.
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    problems.append(Problem(key, "must be true or false", value))
    return None


def aws_settings(values: Mapping[str, Any], account: str | None) -> tuple[AwsSettings, list[Problem]]:
    """Validate the `aws:` keys (`values`: key without namespace -> value). `account`: platform:environment.account
    (None when that section did not validate: the account checks are skipped)."""
    problems: list[Problem] = []
    profile = sts_region = None
    skip_imds: bool | None = None
    roles: list[AssumeRole] = []
    for key, value in values.items():
        full = f"aws:{key}"
        if key == "region":
            continue  # validated with the sections (required)
        if key in REFUSED:
            problems.append(Problem(full, REFUSED[key]))
        elif key not in ACCEPTED:
            problems.append(Problem(full, f"unknown aws provider key; allowed: {', '.join(ACCEPTED)}", value))
        elif key == "profile":
            if isinstance(value, str) and re.fullmatch(r"[\w.@+-]{1,128}", value):
                profile = value
            else:
                problems.append(Problem(full, "must be an AWS profile name", value))
        elif key == "stsRegion":
            if isinstance(value, str) and REGION.match(value):
                sts_region = value
            else:
                problems.append(Problem(full, "is not an AWS region name like eu-west-1", value))
        elif key == "skipMetadataApiCheck":
            skip_imds = _flag(full, value, problems)
        elif key == "allowedAccountIds":
            if account is not None and value != [account]:
                problems.append(
                    Problem(
                        full,
                        f"the program allows exactly platform:environment.account ({account}); remove this key or "
                        f"set it to [{account!r}]",
                        value,
                    )
                )
        elif key == "assumeRoles":
            roles = _assume_roles(full, value, account, problems)
    return AwsSettings(profile, tuple(roles), sts_region, skip_imds, dict(values)), problems


def _assume_roles(key: str, value: Any, account: str | None, problems: list[Problem]) -> list[AssumeRole]:
    if not isinstance(value, list):
        problems.append(Problem(key, "must be a list with one role: [{roleArn: ..., sessionName: ...}]", value))
        return []
    for i, item in enumerate(value):
        if isinstance(item, Mapping) and "externalId" in item:
            problems.append(
                Problem(
                    f"{key}[{i}].externalId",
                    "the cluster's kubeconfig (`aws eks get-token --role-arn`) cannot pass an external ID, so "
                    "Kubernetes resources would be applied with another identity: put role_arn and external_id in "
                    "an AWS profile (aws:profile), which the provider and the AWS CLI both read",
                )
            )
    if len(value) > 1:
        problems.append(
            Problem(
                key,
                "the cluster's kubeconfig (`aws eks get-token --role-arn`) assumes one role, not a chain: give one "
                "role, or chain them in an AWS profile (source_profile) and use aws:profile",
                len(value),
            )
        )
    try:
        roles = _ROLES.validate_python([{k: v for k, v in r.items() if k != "externalId"} for r in value])
    except (ValidationError, AttributeError) as exc:
        if isinstance(exc, AttributeError):
            problems.append(Problem(key, "every role must be a mapping like {roleArn: ...}", value))
            return []
        for err in exc.errors(include_url=False):
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                problems.append(Problem(join_path(key, err["loc"]), "is required"))
                continue
            if err["type"] == "extra_forbidden":
                msg = f"unknown key; allowed: {', '.join(f.alias or n for n, f in AssumeRole.model_fields.items())}"
            problems.append(Problem(join_path(key, err["loc"]), msg[:1].lower() + msg[1:], err.get("input")))
        return []
    if account is not None and roles:
        role_account = ROLE_ARN.match(roles[-1].role_arn).group(1)  # type: ignore[union-attr]
        if role_account != account:
            problems.append(
                Problem(
                    f"{key}[{len(roles) - 1}].roleArn",
                    f"is a role of account {role_account}, but platform:environment.account is {account} (the "
                    "resources would be created in the role's account)",
                    roles[-1].role_arn,
                )
            )
    return roles


# ------------------------------------------------------------------------------------------------ program side


def provider_args(settings: AwsSettings, account: str) -> dict[str, Any]:
    """Keyword arguments for every explicit `aws.Provider` of the program (plain values; dicts for input types)."""
    args: dict[str, Any] = {"allowed_account_ids": [account]}
    if settings.profile is not None:
        args["profile"] = settings.profile
    if settings.assume_roles:
        args["assume_roles"] = [
            {k: v for k, v in role.model_dump(exclude_none=True).items()} for role in settings.assume_roles
        ]
    if settings.sts_region is not None:
        args["sts_region"] = settings.sts_region
    if settings.skip_metadata_api_check is not None:
        args["skip_metadata_api_check"] = settings.skip_metadata_api_check
    return args


def kubeconfig_credentials(settings: AwsSettings) -> dict[str, str] | None:
    """pulumi-eks `providerCredentialOpts` (KubeconfigOptions): the same identity for `aws eks get-token`."""
    opts = {}
    if settings.profile is not None:
        opts["profile_name"] = settings.profile
    if settings.role_arn is not None:
        opts["role_arn"] = settings.role_arn
    return opts or None
