"""The global stack's configuration: `global/Pulumi.<stack>.yaml`, the program in `global/` (docs/fleets.md).

A fleet's global stack holds what no Region owns: the public Route 53 zone with one latency record per spoke
Region (each with a health check, so Route 53 answers from the next-closest healthy Region when one fails) and the
ECR repositories whose images are replicated to every spoke Region. Its keys live in the `global:` namespace:

    global:environment   name (= the stack name), account, production - as platform:environment
    global:tags          as platform:tags
    global:fleet         the fleet (fleets/<name>.yaml) whose spokes it serves
    global:dns           zone, records (name, target, ttl, healthCheck)
    global:registry      apps, keepTaggedReleases, expireUntaggedDays - as platform:data.registries

Problems are one line each naming the key, like the cluster stacks' (components/config/stack.py).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError, field_validator, model_validator

from ._base import Model
from .aws import AwsSettings, aws_settings
from .data import RegistriesConfig
from .environment import EnvironmentConfig, TagsConfig
from .gitops import DNS_NAME
from .problems import ConfigError, Problem, join_path
from .stack import PASS_THROUGH_NAMESPACES, SecretValue, read_stack_file, region_problems, runtime_values

NAMESPACE = "global"
# A DNS label: one part of a host name (the record's name in the zone, or the spoke host it points at).
LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
FLEET_NAME = r"^[a-z][a-z0-9-]{0,30}$"


class HealthCheck(Model):
    """The Route 53 health check of one record in one Region: Route 53 requests `https://<target host><path>`."""

    protocol: Literal["HTTPS", "HTTP"] = "HTTPS"
    port: Annotated[int, Field(ge=1, le=65535)] = 443
    # The front end's liveness path (platform/workloads/chart frontend.probes.livenessPath), through the ALB.
    path: Annotated[str, Field(pattern=r"^/[\w./~%-]*$", max_length=255)] = "/healthz"
    # Consecutive failures (or successes) before Route 53 changes the status (Route 53 accepts 1-10).
    failure_threshold: Annotated[int, Field(ge=1, le=10)] = 3
    # Seconds between checks from each checker: 30 (standard) or 10 (fast, charged extra).
    request_interval: Literal[10, 30] = 30


class LatencyRecord(Model):
    """`<name>.<zone>`, a CNAME to `<target>.<domain of each spoke>`, one latency record per spoke Region."""

    name: Annotated[str, Field(pattern=LABEL)]
    # The host of each spoke it points at, under the spoke's platform:gitops.domain (the reference application's
    # front end is `app.<domain>`). Default: the same label as `name`.
    target: Annotated[str, Field(pattern=LABEL)] | None = None
    ttl: Annotated[int, Field(ge=5, le=3600)] = 60
    health_check: HealthCheck = Field(default_factory=HealthCheck)

    @property
    def target_label(self) -> str:
        return self.target or self.name


class DnsConfig(Model):
    # The public hosted zone the stack creates, e.g. prod.example.com (delegate it from its parent with the
    # `nameServers` output).
    zone: str
    records: Annotated[list[LatencyRecord], Field(min_length=1)]

    @field_validator("zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        if not DNS_NAME.match(v):
            raise ValueError("must be a lowercase DNS name like prod.example.com")
        return v

    @model_validator(mode="after")
    def _unique(self) -> DnsConfig:
        names = [r.name for r in self.records]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"records name {', '.join(dupes)} more than once")
        return self


# section key -> (type, required)
SECTIONS: dict[str, tuple[Any, bool]] = {
    "environment": (EnvironmentConfig, True),
    "tags": (TagsConfig, True),
    "fleet": (Annotated[str, Field(pattern=FLEET_NAME)], True),
    "dns": (DnsConfig, True),
    "registry": (RegistriesConfig | None, False),
}
_ADAPTERS = {section: TypeAdapter(tp) for section, (tp, _) in SECTIONS.items()}


@dataclass(frozen=True)
class GlobalConfig:
    stack: str
    region: str
    environment: EnvironmentConfig
    tags: dict[str, str]  # applied to every resource (includes environment, managed-by)
    fleet: str
    dns: DnsConfig
    registry: RegistriesConfig | None
    aws_settings: AwsSettings = field(default_factory=AwsSettings)
    aws: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()

    @property
    def account(self) -> str:
        return self.environment.account

    @property
    def production(self) -> bool:
        return self.environment.production


def _problems(section: str, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] == "missing":
            out.append(Problem(join_path(f"{NAMESPACE}:{section}", loc), "is required"))
            continue
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        out.append(Problem(join_path(f"{NAMESPACE}:{section}", loc), msg[:1].lower() + msg[1:], err.get("input")))
    return out


def validate_global(values: Mapping[str, Any], stack: str) -> GlobalConfig:
    """Validate a global stack's config map. Raises ConfigError with every problem."""
    from .checks import full_tags

    problems: list[Problem] = []
    raw: dict[str, Any] = {}
    aws: dict[str, Any] = {}
    for full_key, value in values.items():
        ns, _, key = full_key.partition(":")
        if ns == NAMESPACE:
            if isinstance(value, SecretValue):
                problems.append(Problem(full_key, "must not be a secret (the global stack has no secret keys)"))
            elif key in SECTIONS:
                raw[key] = value
            else:
                hint = difflib.get_close_matches(key, list(SECTIONS), n=1)
                allowed = f"did you mean '{NAMESPACE}:{hint[0]}'?" if hint else f"allowed: {', '.join(SECTIONS)}"
                problems.append(Problem(full_key, f"unknown key; {allowed}", value))
        elif ns == "aws":
            aws[key] = value
        elif ns not in PASS_THROUGH_NAMESPACES:
            problems.append(
                Problem(full_key, f"unknown config namespace {ns!r}; settings belong under '{NAMESPACE}:'", value)
            )
    region = aws.get("region")
    problems += region_problems(region, "us-east-2", "the Region of the source registry, e.g. us-east-2")
    parsed: dict[str, Any] = {}
    for section, (_, required) in SECTIONS.items():
        if section not in raw:
            if required:
                problems.append(Problem(f"{NAMESPACE}:{section}", "is required"))
                continue
            parsed[section] = None
            continue
        try:
            parsed[section] = _ADAPTERS[section].validate_python(raw[section])
        except ValidationError as exc:
            problems.extend(_problems(section, exc))
    environment = parsed.get("environment")
    settings, aws_problems = aws_settings(aws, environment.account if environment is not None else None)
    problems.extend(aws_problems)
    if environment is not None and environment.name != stack:
        problems.append(
            Problem(
                f"{NAMESPACE}:environment.name",
                f"must equal the stack name {stack!r} (global/Pulumi.{stack}.yaml): names and tags follow it",
                environment.name,
            )
        )
    if problems:
        raise ConfigError(problems)
    return GlobalConfig(
        stack=stack,
        region=region,
        environment=environment,
        tags=full_tags(environment, parsed["tags"]),
        fleet=parsed["fleet"],
        dns=parsed["dns"],
        registry=parsed["registry"],
        aws_settings=settings,
        aws=aws,
    )


def validate_global_file(path: Path, stack: str) -> tuple[GlobalConfig, dict[str, Any]]:
    """Read and validate one global stack file: (config, raw values the engine hands the program)."""
    values = read_stack_file(path)
    try:
        return validate_global(values, stack), values
    except ConfigError as exc:
        exc.source = str(path)
        raise


def from_pulumi_runtime() -> GlobalConfig:
    """Inside the global program: the running stack's config, validated (raises ConfigError)."""
    import pulumi

    return validate_global(runtime_values(), pulumi.get_stack())
