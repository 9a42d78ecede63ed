"""The whole stack configuration: every `platform:*` section plus `aws:region`, validated at once.

Validation runs before any resource is declared, both in the Pulumi program (`__main__.py`, under
`pulumi up`) and in `platformctl`. Each problem is one line naming the key:
`platform:<section>.<path>: <what is wrong> (got <value>)`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import json
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from components import aws_partitions, netmath

from . import checks, safe_yaml
from .addons import AddonsConfig, with_stack_defaults
from .aws import AwsSettings, aws_settings
from .cluster import ClusterConfig
from .cost import CostConfig
from .data import DataConfig
from .deploy_runner import DeployRunnerConfig
from .environment import EnvironmentConfig, TagsConfig
from .gitops import GitOpsConfig
from .karpenter import KarpenterConfig
from .network import NetworkConfig
from .node_pools import NodePool, NodePools
from .problems import ConfigError, Problem, join_path

NAMESPACE = "platform"
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")

# section key (camelCase, as in Pulumi.<stack>.yaml) -> (type, required)
SECTIONS: dict[str, tuple[Any, bool]] = {
    "environment": (EnvironmentConfig, True),
    "tags": (TagsConfig, True),
    "network": (NetworkConfig, False),
    "cluster": (ClusterConfig, False),
    "nodePools": (NodePools, True),
    "karpenter": (KarpenterConfig, False),
    "addons": (AddonsConfig, False),
    "gitops": (GitOpsConfig, False),
    "data": (DataConfig, False),
    "deployRunner": (DeployRunnerConfig, False),
    # Usage assumptions of `platformctl cost` (the program never reads them).
    "cost": (CostConfig, False),
}
# Secrets are separate keys set with `pulumi config set --secret platform:<key> ...`; never plain values.
SECRET_KEYS: dict[str, str] = {
    "gitopsRepoToken": "token (or password) Argo CD uses to read platform:gitops.repoUrl",
}
# Flags platformctl sets for one run (in a temporary copy of the stack file, `pulumi up --config-file`); never
# written in Pulumi.<stack>.yaml (platformctl refuses them there).
RUN_FLAGS: dict[str, str] = {
    "bootstrap": "set by `platformctl up STACK --bootstrap` (and `plan --bootstrap`): declare only the AWS part of the "
    "stack, no Kubernetes resource, for the first deploy of a stack whose cluster CI cannot reach yet",
}
# Namespaces of other providers/tools that may appear in a stack file without being validated here.
PASS_THROUGH_NAMESPACES = ("pulumi", "kubernetes", "random", "eks")

_ADAPTERS: dict[str, TypeAdapter] = {}


def _adapter(section: str) -> TypeAdapter:
    if section not in _ADAPTERS:
        _ADAPTERS[section] = TypeAdapter(SECTIONS[section][0])
    return _ADAPTERS[section]


class SecretValue:
    """A secure config value: its plaintext is only available inside Pulumi (never in platformctl output)."""

    def __init__(self, key: str, plaintext: str | None = None):
        self.key = key
        self.plaintext = plaintext

    def __repr__(self) -> str:
        return f"SecretValue({self.key!r})"


class _PartialConfig:
    """The sections that validated, under StackConfig's attribute names; reading another raises MissingSection."""

    _ATTRS = {"node_pools": "nodePools", "deploy_runner": "deployRunner"}

    def __init__(self, parsed: dict[str, Any], region: Any, stack: str):
        self._parsed, self.region, self.stack = parsed, region, stack

    def __getattr__(self, attr: str) -> Any:
        section = self._ATTRS.get(attr, attr)
        if section in self._parsed:
            return self._parsed[section]
        if attr == "production" and "environment" in self._parsed:
            return self._parsed["environment"].production
        raise checks.MissingSection(attr)


@dataclass(frozen=True)
class StackConfig:
    stack: str
    region: str
    environment: EnvironmentConfig
    tags: dict[str, str]  # the full set applied to every resource (includes environment, managed-by)
    network: NetworkConfig
    cluster: ClusterConfig
    node_pools: list[NodePool]
    addons: AddonsConfig
    gitops: GitOpsConfig
    data: DataConfig
    secrets: dict[str, SecretValue] = field(default_factory=dict)
    aws: dict[str, Any] = field(default_factory=dict)
    karpenter: KarpenterConfig = field(default_factory=KarpenterConfig)
    # The validated aws: keys the program passes to its providers (components/config/aws.py).
    aws_settings: AwsSettings = field(default_factory=AwsSettings)
    deploy_runner: DeployRunnerConfig = field(default_factory=DeployRunnerConfig)
    # platform:bootstrap (RUN_FLAGS): only the AWS part, no Kubernetes resource.
    bootstrap: bool = False

    @property
    def deployer_role_arn(self) -> str | None:
        """The role in-cluster resources are applied as, when the config fixes it: the role the providers assume
        (aws:assumeRoles), else the deploy runner's deploy role (CI deploys act as it). None: whoever runs `up`."""
        if self.aws_settings.role_arn:
            return self.aws_settings.role_arn
        return self.deploy_runner.deploy_role_arn if self.deploy_runner.enabled else None

    @property
    def account(self) -> str:
        """The AWS account this stack deploys into (platform:environment.account)."""
        return self.environment.account

    cost: CostConfig = field(default_factory=CostConfig)
    # Allowed but probably mistakes (a public VPC range, a value copied from another stack): shown, never fatal.
    warnings: tuple[Problem, ...] = ()

    @property
    def production(self) -> bool:
        return self.environment.production

    @property
    def subnets(self) -> netmath.SubnetLayout:
        n = self.network
        if n.public_subnet_cidrs and n.private_subnet_cidrs:
            return netmath.SubnetLayout(tuple(n.public_subnet_cidrs), tuple(n.private_subnet_cidrs))
        return netmath.compute_subnets(n.vpc_cidr, n.az_count)


def _model_in(tp: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation: Annotated[X, ...], X | None, list[X], dict[str, X]."""
    if typing.get_origin(tp) is typing.Annotated:
        return _model_in(typing.get_args(tp)[0])
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in typing.get_args(tp):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _allowed_keys_at(model: Any, loc: tuple) -> list[str]:
    """The camelCase keys a model accepts at `loc`, for 'did you mean' hints."""
    current = _model_in(model)
    for part in loc:
        if current is None:
            return []
        if isinstance(part, int):
            continue  # a list item: _model_in already unwrapped list[X] to X
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        current = _model_in(field.annotation) if field is not None else None
    return [f.alias or n for n, f in current.model_fields.items()] if current is not None else []


def _problems_from(section: str, exc: ValidationError) -> list[Problem]:
    key = f"{NAMESPACE}:{section}"
    model = SECTIONS[section][0]
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        msg = err["msg"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys_at(model, loc[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            msg = "unknown key" + (f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {', '.join(allowed)}")
        elif kind == "missing":
            out.append(Problem(join_path(key, loc), "is required"))
            continue
        elif kind.startswith("value_error"):
            msg = msg.removeprefix("Value error, ")
        if kind in ("string_type", "literal_error") and type(err.get("input")) in (int, float):
            msg += "; quote it in YAML (a bare 1.30 is the number 1.3)"
        if kind == "bool_type" and isinstance(err.get("input"), str):
            msg += "; write true or false (the Pulumi CLI reads YAML 1.2: yes/no/on/off are strings)"
        out.append(Problem(join_path(key, loc), msg[:1].lower() + msg[1:], err.get("input")))
    return out


def _is_secure(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"}


def region_problems(region: Any, example: str, required_hint: str) -> list[Problem]:
    """`aws:region`: present, shaped like a Region name, and a Region of the AWS SDK's partition data."""
    if region is None:
        return [Problem("aws:region", f"is required ({required_hint})")]
    if not isinstance(region, str) or not REGION.match(region):
        return [Problem("aws:region", f"is not an AWS region name like {example}", region)]
    if aws_partitions.region(region) is None:
        hint = difflib.get_close_matches(region, list(aws_partitions.regions()), n=1)
        return [
            Problem(
                "aws:region",
                f"is not an AWS Region ({aws_partitions.source()}" + (f"; did you mean '{hint[0]}'?)" if hint else ")"),
                region,
            )
        ]
    return []


def validate(values: Mapping[str, Any], stack: str) -> StackConfig:
    """Validate a stack's config map (`namespace:key` -> parsed value). Raises ConfigError with every problem."""
    problems: list[Problem] = []
    sections: dict[str, Any] = {}
    secrets: dict[str, SecretValue] = {}
    aws: dict[str, Any] = {}
    flags: dict[str, bool] = {}
    for full_key, value in values.items():
        ns, _, key = full_key.partition(":")
        if ns == NAMESPACE:
            if key in SECRET_KEYS:
                if isinstance(value, SecretValue):
                    secrets[key] = value
                else:
                    problems.append(
                        Problem(
                            full_key, f"must be a secret: set it with `pulumi config set --secret {full_key} <value>`"
                        )
                    )
            elif key in RUN_FLAGS:
                if value in (True, "true", False, "false"):
                    flags[key] = value in (True, "true")
                else:
                    problems.append(Problem(full_key, "must be true or false", value))
            elif key in SECTIONS:
                if _is_secure(value) or isinstance(value, SecretValue):
                    problems.append(
                        Problem(full_key, f"must not be a secret (only these keys are: {', '.join(SECRET_KEYS)})")
                    )
                else:
                    sections[key] = value
            else:
                hint = difflib.get_close_matches(key, [*SECTIONS, *SECRET_KEYS, *RUN_FLAGS], n=1)
                problems.append(
                    Problem(
                        full_key,
                        "unknown key"
                        + (
                            f"; did you mean '{NAMESPACE}:{hint[0]}'?"
                            if hint
                            else f"; allowed: {', '.join(f'{NAMESPACE}:{s}' for s in SECTIONS)}"
                        ),
                        value,
                    )
                )
        elif ns == "aws":
            aws[key] = value  # checked below, with the stack's account (components/config/aws.py)
        elif ns in PASS_THROUGH_NAMESPACES:
            continue
        else:
            problems.append(
                Problem(full_key, f"unknown config namespace {ns!r}; settings belong under '{NAMESPACE}:'", value)
            )

    region = aws.get("region")
    problems += region_problems(region, "eu-west-1", "e.g. eu-west-1")

    parsed: dict[str, Any] = {}
    for section, (_tp, required) in SECTIONS.items():
        if section not in sections:
            if required:
                problems.append(Problem(f"{NAMESPACE}:{section}", "is required"))
                continue
            raw: Any = {}
        else:
            raw = sections[section]
        try:
            parsed[section] = _adapter(section).validate_python(raw)
        except ValidationError as exc:
            problems.extend(_problems_from(section, exc))

    environment = parsed.get("environment")
    settings, aws_problems = aws_settings(aws, environment.account if environment is not None else None)
    problems.extend(aws_problems)

    if len(parsed) < len(SECTIONS) or problems:
        # Still run the cross-field checks whose sections are valid, so every problem shows at once.
        problems.extend(checks.semantic_problems(_PartialConfig(parsed, region, stack)))
        raise ConfigError(problems)
    cfg = StackConfig(
        stack=stack,
        region=region,
        environment=parsed["environment"],
        tags=checks.full_tags(parsed["environment"], parsed["tags"]),
        network=parsed["network"],
        cluster=parsed["cluster"],
        node_pools=parsed["nodePools"],
        addons=with_stack_defaults(parsed["addons"], parsed["nodePools"], parsed["karpenter"]),
        gitops=parsed["gitops"],
        data=parsed["data"],
        karpenter=parsed["karpenter"],
        deploy_runner=parsed["deployRunner"],
        bootstrap=flags.get("bootstrap", False),
        cost=parsed["cost"],
        secrets=secrets,
        aws=aws,
        aws_settings=settings,
    )
    problems.extend(checks.semantic_problems(cfg))
    if not problems:
        return dataclasses.replace(cfg, warnings=tuple(checks.semantic_warnings(cfg)))
    raise ConfigError(problems)


# ---------------------------------------------------------------------------------------------- loading


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{short_stack_name(stack)}.yaml"


def short_stack_name(stack: str) -> str:
    """`org/eks-platform/dev` -> `dev`."""
    return stack.rsplit("/", 1)[-1]


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` map of a Pulumi.<stack>.yaml, with secure values as SecretValue placeholders.

    Read with `safe_yaml`: a duplicated key, an alias expansion or nesting beyond the limits, invalid UTF-8 or
    YAML is a ConfigError naming the key (when there is one), the file and the line - never a silent last-wins
    value, a hang or a traceback.
    """
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([Problem(source, "stack config file not found")], source=source) from None
    except OSError as exc:
        raise ConfigError([Problem(source, f"cannot read it: {exc.strerror}")], source=source) from None
    try:
        doc = safe_yaml.load(safe_yaml.decode(data, source), source)
    except safe_yaml.YamlProblem as exc:
        raise ConfigError([yaml_problem(exc)], source=source) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError([Problem(f"{source}:1", "must be a YAML mapping with a 'config:' key")], source=source)
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        problem = Problem(f"{source}: config", "must be a mapping of 'namespace:key' to values")
        raise ConfigError([problem], source=source)
    return {str(k): (SecretValue(str(k)) if _is_secure(v) else v) for k, v in config.items()}


def yaml_problem(exc: safe_yaml.YamlProblem) -> Problem:
    """A YAML problem as a config problem line: the config key when there is one (the path below `config:`),
    always the file and line."""
    path = exc.path.removeprefix("config.") if exc.path.startswith("config.") else exc.path
    if path:
        return Problem(path, f"{exc.message} [{exc.where()}]")
    return Problem(exc.where(), exc.message)


def load_stack_config(stack: str, config_file: Path | None = None, project_dir: Path | None = None) -> StackConfig:
    """Read and validate `Pulumi.<stack>.yaml` (or `config_file`)."""
    from components.paths import project_root

    project_dir = project_dir or project_root()
    path = config_file or stack_file(project_dir, stack)
    return validate_file(Path(path), stack, project_dir)[0]


def validate_file(path: Path, stack: str, project_dir: Path | None = None) -> tuple[StackConfig, dict[str, Any]]:
    """Read one stack file once: its validated config (on its own and next to the project's other stacks) and
    its raw values (what the engine hands a program)."""
    from components.paths import project_root

    from .repository import check_repository

    values = read_stack_file(path)
    if project_dir is None:
        project_dir = path.parent if (path.parent / "Pulumi.yaml").is_file() else project_root()
    try:
        cfg = validate(values, short_stack_name(stack))
        return check_repository(cfg, project_dir), values
    except ConfigError as exc:
        exc.source = str(path)
        raise


def runtime_values(secret_keys: typing.Collection[str] = ()) -> dict[str, Any]:
    """The running stack's config as the engine hands it to a program: objects and lists arrive as JSON text and are
    decoded; a key of `secret_keys` (`<namespace>:<key>`) that the engine marks secret is kept as a SecretValue."""
    from pulumi.runtime import config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret = set(runtime_config.get_config_secret_keys_env()) | set(runtime_config._SECRET_KEYS.get())
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in secret and key in secret_keys:
            values[key] = SecretValue(key, value)
            continue
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        values[key] = value
    return values


def from_pulumi_runtime() -> StackConfig:
    """Inside a Pulumi program: the running stack's config, validated (raises ConfigError)."""
    import pulumi

    values = runtime_values({f"{NAMESPACE}:{key}" for key in SECRET_KEYS})
    from components.paths import project_root

    from .repository import check_repository

    # Pulumi runs the program in the project directory, next to the other stacks' files.
    return check_repository(validate(values, pulumi.get_stack()), project_root())
