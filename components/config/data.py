"""`platform:data`: the application's database, its image registries and the CI role that pushes images.

Each part is optional: leave a key out and that part is not deployed. Cross-field and per-environment rules
(supported engine version for the chosen engine, production minimums) live in `checks._data`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from components.versions import DEFAULT_POSTGRES_VERSION

from ._base import Model

# Minimum automated-backup retention anywhere, and in production.
MIN_BACKUP_RETENTION_DAYS = 7
MIN_PROD_BACKUP_RETENTION_DAYS = 30

LOG_RETENTION_DAYS = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]
# Performance Insights: 7 days are free; longer is paid, in whole months (31-day steps) up to 731 days.
PI_RETENTION_DAYS = (7, *range(31, 31 * 23 + 1, 31), 731)

APP_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# GitHub `owner/repo`: the exact repository whose workflows may assume the build role.
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# A branch name as it appears in `refs/heads/<branch>`; wildcards are refused (the trust policy matches exactly).
BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)(?!.*@\{)[A-Za-z0-9._/-]{1,200}(?<![/.])$")
OIDC_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")


class DatabaseConfig(Model):
    """The reference API's PostgreSQL: RDS for PostgreSQL, or Aurora PostgreSQL with `aurora: true`."""

    # The engine (PostgreSQL only).
    engine: Literal["postgres"] = "postgres"
    # Exact version, minor included (checked against components/versions.py for the chosen engine).
    engine_version: str = DEFAULT_POSTGRES_VERSION
    # Aurora PostgreSQL (a cluster) instead of a single RDS instance.
    aurora: bool = False
    # DB instance class, e.g. db.m7g.large.
    instance_class: Annotated[str, Field(pattern=r"^db\.[a-z0-9-]+\.[a-z0-9]+$")] = "db.t4g.medium"
    # gp3 storage in GiB (single instance only; Aurora storage grows by itself).
    allocated_storage: Annotated[int, Field(ge=20, le=65536)] = 20
    # Storage autoscaling ceiling in GiB; None turns autoscaling off.
    max_allocated_storage: Annotated[int, Field(ge=21, le=65536)] | None = None
    # A standby in another AZ (single instance), or a second instance (Aurora). Required in production.
    multi_az: bool = False
    # Days of automated backups (point-in-time recovery); production needs 7 or more.
    backup_retention_days: Annotated[int, Field(ge=MIN_BACKUP_RETENTION_DAYS, le=35)] = MIN_BACKUP_RETENTION_DAYS
    # The database created for the reference API.
    database_name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "app"
    # The master user; its password is managed by RDS in Secrets Manager (KMS-encrypted).
    master_username: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "platform_admin"
    # Statements slower than this are logged (log_min_duration_statement); 0 logs every statement.
    slow_query_log_ms: Annotated[int, Field(ge=0, le=3_600_000)] = 500
    # Retention of the exported PostgreSQL logs in CloudWatch.
    log_retention_days: LOG_RETENTION_DAYS = 30  # type: ignore[valid-type]
    # Performance Insights retention: 7 (free tier) or a multiple of 31 up to 731.
    performance_insights_retention_days: int = 7

    @field_validator("master_username")
    @classmethod
    def _username(cls, v: str) -> str:
        if v in ("rdsadmin", "rdsrepladmin", "rds_superuser"):
            raise ValueError(f"{v!r} is reserved by RDS")
        return v

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, v: int) -> int:
        if v not in PI_RETENTION_DAYS:
            raise ValueError("must be 7 (free), a multiple of 31 up to 713, or 731")
        return v


class RegistriesConfig(Model):
    """One ECR repository per application, named `<environment>/<app>`."""

    # One ECR repository per app (immutable tags, scan on push, KMS).
    apps: Annotated[list[Annotated[str, Field(pattern=APP_NAME, max_length=64)]], Field(min_length=1)] = Field(
        default_factory=lambda: ["frontend", "api"]
    )
    # Lifecycle: keep this many tagged images (releases), expire untagged ones after this many days.
    keep_tagged_releases: Annotated[int, Field(ge=1, le=1000)] = 30
    # Untagged images expire after this many days.
    expire_untagged_days: Annotated[int, Field(ge=1, le=365)] = 7

    @field_validator("apps")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        dupes = sorted({a for a in v if v.count(a) > 1})
        if dupes:
            raise ValueError(f"lists {', '.join(dupes)} more than once")
        return v


class BuildAccessConfig(Model):
    """GitHub Actions OIDC: workflows of one repository, on the listed branches only, may push images."""

    # owner/name of the repository whose workflows may push images.
    github_repository: str
    # Branches whose workflows may push (the OIDC subject is scoped to them).
    branches: Annotated[list[str], Field(min_length=1)] = Field(default_factory=lambda: ["main"])
    # The account's GitHub OIDC provider when it already exists (there is one per account, shared by stacks);
    # when left out, this stack creates it.
    oidc_provider_arn: str | None = None

    @field_validator("github_repository")
    @classmethod
    def _repo(cls, v: str) -> str:
        if not GITHUB_REPOSITORY.match(v):
            raise ValueError("must be a GitHub repository as owner/name, e.g. example-org/reference-app")
        return v

    @field_validator("branches")
    @classmethod
    def _branches(cls, v: list[str]) -> list[str]:
        for b in v:
            if "*" in b or "?" in b:
                raise ValueError(f"{b!r}: wildcards are not allowed, list each branch exactly")
            if b.startswith("refs/"):
                raise ValueError(f"{b!r}: give the branch name without refs/heads/")
            if not BRANCH.match(b):
                raise ValueError(f"{b!r} is not a valid branch name")
        if len(set(v)) != len(v):
            raise ValueError("lists a branch twice")
        return v

    @field_validator("oidc_provider_arn")
    @classmethod
    def _provider(cls, v: str | None) -> str | None:
        if v is not None and not OIDC_PROVIDER_ARN.match(v):
            raise ValueError(
                "must be the ARN of the account's GitHub OIDC provider, "
                "arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com"
            )
        return v


class DataConfig(Model):
    database: DatabaseConfig | None = None
    registries: RegistriesConfig | None = None
    build_access: BuildAccessConfig | None = None
