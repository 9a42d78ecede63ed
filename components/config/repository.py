"""Checks that need every stack of the repository: what two environments may not share.

A stack is valid on its own (`validate`) and next to its siblings (`repository_problems`): two stacks may not
share an environment name, a domain or a secrets path prefix; their VPCs may not overlap when they are in one
account and Region (the platform peers no VPCs, so other stacks' networks never meet); only one stack per account
creates the account's GitHub OIDC provider. Values that should differ per environment but may legitimately be
equal (hosted zones, the build role's GitHub subject) are warnings naming the stack they match: "copied from
Pulumi.dev.yaml? change it".

Other stacks are read as the Pulumi CLI reads them and validated on their own; a stack that does not validate
is skipped here (its own problems are reported when it is planned).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from components import naming, netmath

from .problems import ConfigError, Problem

if TYPE_CHECKING:
    from .stack import StackConfig

STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[^/]+)\.ya?ml$")


def stack_files(project_dir: Path) -> dict[str, Path]:
    """Every stack config file of the project: stack name -> Pulumi.<stack>.yaml."""
    out = {}
    for path in sorted(project_dir.glob("Pulumi.*.y*ml")):
        match = STACK_FILE.match(path.name)
        if match and path.is_file():
            out.setdefault(match["stack"], path)
    return out


def stack_names(project_dir: Path) -> list[str]:
    """The project's stacks, from their config files (never a fixed list)."""
    return sorted(stack_files(project_dir))


@dataclass(frozen=True)
class StackFacts:
    """What the cross-stack checks compare, for one stack."""

    stack: str
    environment: str
    account: str
    region: str
    vpc_cidr: str
    domain: str | None
    secrets_prefix: str | None  # None: External Secrets is not installed
    creates_github_oidc: bool
    build_subjects: frozenset[str]  # repo:<owner>/<repo>:ref:refs/heads/<branch> the image push role trusts
    hosted_zones: frozenset[str]


def facts(cfg: StackConfig) -> StackFacts:
    from components.addons.catalog import is_enabled

    addons = cfg.addons
    build = cfg.data.build_access
    return StackFacts(
        stack=cfg.stack,
        environment=cfg.environment.name,
        account=cfg.environment.account,
        region=cfg.region,
        vpc_cidr=cfg.network.vpc_cidr,
        domain=cfg.gitops.domain if cfg.gitops.enabled else None,
        secrets_prefix=(
            naming.secrets_path_prefix(cfg.environment.name, addons.external_secrets.path_prefix)
            if is_enabled("external-secrets", addons, cfg.production)
            else None
        ),
        creates_github_oidc=build is not None and build.oidc_provider_arn is None,
        build_subjects=frozenset(
            f"repo:{build.github_repository}:ref:refs/heads/{b}" for b in (build.branches if build else [])
        ),
        hosted_zones=frozenset(addons.external_dns.hosted_zone_ids),
    )


def sibling_facts(project_dir: Path, stack: str) -> list[StackFacts]:
    """Facts of every other stack of the project that validates on its own."""
    from .stack import read_stack_file, validate

    out = []
    for other, path in stack_files(project_dir).items():
        if other == stack:
            continue
        try:
            out.append(facts(validate(read_stack_file(path), other)))
        except ConfigError:
            continue
    return out


def _overlaps(a: str, b: str) -> bool:
    return bool(netmath.overlapping([a, b]))


def _prefixes_overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def repository_problems(cfg: StackConfig, siblings: list[StackFacts]) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of `cfg` next to the other stacks."""
    me = facts(cfg)
    errors: list[Problem] = []
    warnings: list[Problem] = []

    def file(other: StackFacts) -> str:
        return f"Pulumi.{other.stack}.yaml"

    for other in siblings:
        if other.environment == me.environment:
            errors.append(
                Problem(
                    "platform:environment.name",
                    f"is also the environment of {file(other)}: every resource name would collide",
                    me.environment,
                )
            )
        if (other.account, other.region) == (me.account, me.region) and _overlaps(other.vpc_cidr, me.vpc_cidr):
            errors.append(
                Problem(
                    "platform:network.vpcCidr",
                    f"overlaps {other.vpc_cidr} of {file(other)} in the same account and Region "
                    f"({me.account}, {me.region}): choose a range no other stack uses",
                    me.vpc_cidr,
                )
            )
        if me.secrets_prefix and other.secrets_prefix and _prefixes_overlap(me.secrets_prefix, other.secrets_prefix):
            errors.append(
                Problem(
                    "platform:addons.externalSecrets.pathPrefix",
                    f"{me.secrets_prefix} overlaps {other.secrets_prefix} of {file(other)}: each environment reads "
                    f"only its own secrets (default {naming.secrets_path_prefix(me.environment)})",
                    me.secrets_prefix,
                )
            )
        if me.domain and me.domain == other.domain:
            errors.append(
                Problem(
                    "platform:gitops.domain",
                    f"is also the domain of {file(other)}: both clusters would claim argocd.{me.domain} and "
                    f"app.{me.domain}",
                    me.domain,
                )
            )
        if me.creates_github_oidc and other.creates_github_oidc and me.account == other.account:
            errors.append(
                Problem(
                    "platform:data.buildAccess.oidcProviderArn",
                    f"{file(other)} also creates the GitHub OIDC provider of account {me.account} (one per account): "
                    f"set oidcProviderArn: arn:aws:iam::{me.account}:oidc-provider/token.actions.githubusercontent.com "
                    "in all but one of them",
                )
            )
        shared_zones = sorted(me.hosted_zones & other.hosted_zones)
        if shared_zones:
            warnings.append(
                Problem(
                    "platform:addons.externalDns.hostedZoneIds",
                    f"{', '.join(shared_zones)} also in {file(other)} (copied from it? change it): two clusters "
                    "would manage records in one zone",
                    sorted(me.hosted_zones),
                )
            )
        shared_subjects = sorted(me.build_subjects & other.build_subjects)
        if shared_subjects:
            warnings.append(
                Problem(
                    "platform:data.buildAccess.branches",
                    f"{file(other)} trusts the same GitHub subject(s) {', '.join(shared_subjects)} (copied from it? "
                    "change it): one branch would push images to both environments",
                )
            )
    return errors, warnings


def check_repository(cfg: StackConfig, project_dir: Path) -> StackConfig:
    """`cfg` with the repository's warnings added; raises ConfigError with the repository's errors."""
    import dataclasses

    errors, warnings = repository_problems(cfg, sibling_facts(project_dir, cfg.stack))
    if errors:
        raise ConfigError(errors)
    return dataclasses.replace(cfg, warnings=(*cfg.warnings, *warnings))
