"""The account check of `preview/up/refresh/drift/destroy`: before any `pulumi` command runs, the AWS identity the
stack would act as must belong to the stack's account (`platform:environment.account`).

The identity is found the way the program's AWS provider finds it (components/config/aws.py): the default
credential chain, or the stack's `aws:profile`; then, when the stack assumes a role (`aws:assumeRoles`), that role
with the same session settings. STS `GetCallerIdentity` says whose credentials they are. The providers refuse any
other account anyway (`allowed_account_ids`); this check stops earlier, before a preview or an update starts, with
one line naming both accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.errors import EXIT_NO_CREDENTIALS, EXIT_USAGE, PlatformError

SESSION_NAME = "platformctl-account-check"


@dataclass(frozen=True)
class Target:
    """What the check needs of a stack: its name, account, region and credential settings."""

    stack: str
    account: str
    region: str
    settings: Any  # components.config.aws.AwsSettings


def target(stack: str, short: str, project_dir: Path) -> Target:
    """The stack's account and credential settings; from the raw file when the full config does not validate (e.g.
    `destroy` of a stack whose config is broken), as long as the account and the aws: keys do."""
    from components.config import ConfigError, load_stack_config
    from components.config.aws import aws_settings
    from components.config.stack import read_stack_file

    try:
        cfg = load_stack_config(short, project_dir=project_dir)
        return Target(stack, cfg.account, cfg.region, cfg.aws_settings)
    except ConfigError:
        pass
    path = project_dir / f"Pulumi.{short}.yaml"
    try:
        values = read_stack_file(path)
    except ConfigError as exc:
        raise PlatformError(exc.lines[0], EXIT_USAGE, exc.lines[1:], kind="config") from None
    env = values.get("platform:environment")
    account = env.get("account") if isinstance(env, dict) else None
    region = values.get("aws:region")
    aws = {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("aws:")}
    settings, problems = aws_settings(aws, account if isinstance(account, str) else None)
    if not (isinstance(account, str) and account.isdigit() and len(account) == 12) or not isinstance(region, str):
        raise PlatformError(
            f"error: cannot check the AWS account of stack {stack}: {path.name} needs platform:environment.account "
            "(12 digits) and aws:region",
            EXIT_USAGE,
            kind="config",
        )
    if problems:
        raise PlatformError(problems[0].line(), EXIT_USAGE, [p.line() for p in problems[1:]], kind="config")
    return Target(stack, account, region, settings)


def sts_client(t: Target, credentials: dict[str, str] | None = None) -> Any:
    """An STS client with the credentials the provider would use (its profile; or the given role credentials)."""
    import botocore.session

    session = botocore.session.Session(profile=t.settings.profile) if t.settings.profile else botocore.session.Session()
    region = t.settings.sts_region or t.region
    if credentials:
        return session.create_client("sts", region_name=region, **credentials)
    return session.create_client("sts", region_name=region)


def caller(t: Target, client_factory: Callable[..., Any] = sts_client) -> dict[str, str]:
    """GetCallerIdentity of the identity the stack's providers act as (after its assumed role, if any)."""
    client = client_factory(t)
    role = t.settings.assume_roles[-1] if t.settings.assume_roles else None
    if role is None:
        return client.get_caller_identity()
    request: dict[str, Any] = {"RoleArn": role.role_arn, "RoleSessionName": role.session_name or SESSION_NAME}
    if role.tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in role.tags.items()]
    if role.transitive_tag_keys:
        request["TransitiveTagKeys"] = list(role.transitive_tag_keys)
    if role.source_identity:
        request["SourceIdentity"] = role.source_identity
    if role.policy:
        request["Policy"] = role.policy
    if role.policy_arns:
        request["PolicyArns"] = [{"arn": a} for a in role.policy_arns]
    creds = client.assume_role(**request)["Credentials"]
    assumed = client_factory(
        t,
        {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        },
    )
    return assumed.get_caller_identity()


def check(t: Target, client_factory: Callable[..., Any] = sts_client) -> str:
    """The caller's ARN when it is in the stack's account; else a PlatformError (one line naming both accounts)."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

    acting = f"role {t.settings.role_arn}" if t.settings.role_arn else "the credentials"
    try:
        identity = caller(t, client_factory)
    except ProfileNotFound:
        raise PlatformError(
            f"error: stack {t.stack}: AWS profile {t.settings.profile!r} (aws:profile) is not configured on this "
            "machine (~/.aws/config)",
            EXIT_NO_CREDENTIALS,
            kind="credentials",
        ) from None
    except NoCredentialsError:
        raise PlatformError(
            f"error: stack {t.stack}: no AWS credentials found (AWS_PROFILE after `aws sso login`, an OIDC role in "
            f"CI, or aws:profile); the stack deploys into account {t.account}",
            EXIT_NO_CREDENTIALS,
            kind="credentials",
        ) from None
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise PlatformError(
            f"error: stack {t.stack}: AWS refused to identify {acting} for account {t.account}: "
            f"{err.get('Code', 'error')}: {err.get('Message', exc)}",
            EXIT_NO_CREDENTIALS,
            kind="credentials",
        ) from None
    except BotoCoreError as exc:
        raise PlatformError(
            f"error: stack {t.stack}: cannot check the AWS account ({exc})", EXIT_NO_CREDENTIALS, kind="credentials"
        ) from None
    if identity.get("Account") != t.account:
        raise PlatformError(
            f"error: stack {t.stack} deploys into AWS account {t.account} (platform:environment.account), but the "
            f"caller is in account {identity.get('Account')} ({identity.get('Arn')}): switch credentials "
            "(AWS_PROFILE, aws sso login) or fix the stack file",
            EXIT_NO_CREDENTIALS,
            kind="account",
        )
    return str(identity.get("Arn"))


def check_stacks(refs: Sequence[Any], project_dir: Path, client_factory: Callable[..., Any] | None = None) -> None:
    """Check every stack (StackRef) before anything runs; the first mismatch stops the command."""
    for ref in refs:
        check(target(ref.name, ref.short, project_dir), client_factory or sts_client)
