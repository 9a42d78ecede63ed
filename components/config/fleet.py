"""Fleets: the stacks of one repository that work together, as data (`fleets/<name>.yaml`; docs/fleets.md).

A fleet names one `global` stack (the program in `global/`: Route 53 latency records, ECR replication), one `hub`
(a cluster whose Argo CD manages the others) and its regional `spoke` clusters, in the waves a rollout applies them:

    organization: example-org   # the Pulumi organization: StackReferences are <organization>/<project>/<stack>
    global: global              # global/Pulumi.global.yaml
    hub: mgmt                   # Pulumi.mgmt.yaml
    apiAccess: private          # how the hub's Argo CD reaches the spokes' API endpoints (private | public)
    waves:                      # spokes, rolled out wave by wave
      - {name: apac, spokes: [prod-apse1]}

Each stack keeps its own stack file, validated as always; `check_fleet` adds the rules that need all of them (one
Region per spoke, non-overlapping VPCs where the hub reaches the spokes privately, GitOps on, ...).

Cross-stack data flows by StackReference only: a spoke reads the global stack's outputs, the hub reads every
spoke's. Nothing reads the hub: the one thing spokes need from it, the ARN of its Argo CD role, is a fixed name
(`hub_role_arn`), so a spoke can be created before the hub and the references never form a cycle. Offline the
stacks are planned in `dependency_order` (global, spokes, hub); a rollout applies `rollout_waves` (global, the hub,
then the spoke waves), where the hub reads the spokes' outputs of their previous update.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from components import naming, netmath

from ._base import Model
from .problems import ConfigError, Problem, join_path

if TYPE_CHECKING:
    from .global_stack import GlobalConfig
    from .stack import StackConfig

FLEETS_DIR = "fleets"
# The global program: its own Pulumi project in this folder of the repository.
GLOBAL_DIR = "global"
GLOBAL_PROJECT = f"{naming.PROJECT}-global"
CLUSTER_PROJECT = naming.PROJECT
STACK_NAME = r"^[a-z][a-z0-9-]{1,15}$"  # = platform:environment.name (a stack is its environment)
# Pulumi Cloud organization names (or `organization`, the fixed name a self-managed backend uses).
ORGANIZATION = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
FLEET_FILE = re.compile(r"^(?P<name>[a-z][a-z0-9-]{0,30})\.ya?ml$")

HUB, SPOKE, GLOBAL = "hub", "spoke", "global"
# The IAM role the hub's Argo CD (application controller, server, ApplicationSet controller) acts as. Its name is
# fixed, so spokes trust it without reading the hub (components/fleet.py).
ARGOCD_SERVICE_ACCOUNTS = ("argocd-application-controller", "argocd-applicationset-controller", "argocd-server")


def hub_role_name(hub_environment: str) -> str:
    return f"{naming.PROJECT}-{hub_environment}-argocd-hub"


def hub_role_arn(partition: str, account: str, hub_environment: str) -> str:
    return f"arn:{partition}:iam::{account}:role/{hub_role_name(hub_environment)}"


def spoke_role_name(spoke_environment: str) -> str:
    """The role the hub's Argo CD assumes to reach one spoke; the spoke's access entry maps it."""
    return f"{naming.PROJECT}-{spoke_environment}-argocd-spoke"


def stack_reference(organization: str, project: str, stack: str) -> str:
    """A fully qualified stack name, as `pulumi.StackReference` and the backend want it."""
    return f"{organization}/{project}/{stack}"


class Wave(Model):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
    spokes: Annotated[list[Annotated[str, Field(pattern=STACK_NAME)]], Field(min_length=1)]


class FleetFile(Model):
    organization: Annotated[str, Field(pattern=ORGANIZATION)]
    global_stack: Annotated[str, Field(pattern=STACK_NAME, alias="global")]
    hub: Annotated[str, Field(pattern=STACK_NAME)]
    # private: the hub's VPC reaches each spoke's VPC over a Transit Gateway or VPC peering you run (the platform
    # creates neither); public: through the spokes' public API endpoints (their publicAccessCidrs must admit the
    # hub's NAT addresses).
    api_access: Literal["private", "public"] = "private"
    waves: Annotated[list[Wave], Field(min_length=1)]

    @field_validator("waves")
    @classmethod
    def _unique_waves(cls, v: list[Wave]) -> list[Wave]:
        names = [w.name for w in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"wave {', '.join(dupes)} is named more than once")
        return v


@dataclass(frozen=True)
class Fleet:
    name: str
    path: Path  # fleets/<name>.yaml
    organization: str
    global_stack: str
    hub: str
    api_access: str
    waves: tuple[tuple[str, tuple[str, ...]], ...]  # (wave, spokes)

    @property
    def file(self) -> str:
        return f"{FLEETS_DIR}/{self.path.name}"

    @property
    def spokes(self) -> list[str]:
        return [s for _, spokes in self.waves for s in spokes]

    @property
    def stacks(self) -> list[str]:
        """Every stack of the fleet, in dependency order."""
        return self.dependency_order

    @property
    def dependency_order(self) -> list[str]:
        """The order StackReferences need: global (read by spokes), the spokes (read by the hub), the hub."""
        return [self.global_stack, *self.spokes, self.hub]

    def rollout_waves(self) -> list[tuple[str, list[str]]]:
        """(wave, stacks) in rollout order: global, the hub (management first), then the fleet's spoke waves."""
        return [(GLOBAL, [self.global_stack]), (HUB, [self.hub]), *((w, list(s)) for w, s in self.waves)]

    def role_of(self, stack: str) -> str | None:
        if stack == self.global_stack:
            return GLOBAL
        if stack == self.hub:
            return HUB
        return SPOKE if stack in self.spokes else None

    def wave_of(self, stack: str) -> str:
        for wave, stacks in self.rollout_waves():
            if stack in stacks:
                return wave
        raise KeyError(stack)

    def project_of(self, stack: str) -> str:
        return GLOBAL_PROJECT if stack == self.global_stack else CLUSTER_PROJECT

    def reference(self, stack: str) -> str:
        return stack_reference(self.organization, self.project_of(stack), stack)

    def references_of(self, stack: str) -> list[str]:
        """The stacks `stack` reads by StackReference (what must be planned or deployed before it)."""
        role = self.role_of(stack)
        if role == SPOKE:
            return [self.global_stack]
        if role == HUB:
            return list(self.spokes)
        return []


def fleets_dir(project_dir: Path) -> Path:
    return project_dir / FLEETS_DIR


def fleet_files(project_dir: Path) -> dict[str, Path]:
    """fleet name -> fleets/<name>.yaml."""
    out: dict[str, Path] = {}
    directory = fleets_dir(project_dir)
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            match = FLEET_FILE.match(path.name)
            if match and path.is_file():
                out.setdefault(match["name"], path)
    return out


def fleet_names(project_dir: Path) -> list[str]:
    return sorted(fleet_files(project_dir))


def global_stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / GLOBAL_DIR / f"Pulumi.{stack}.yaml"


def load_fleet(project_dir: Path, name: str) -> Fleet:
    """Read fleets/<name>.yaml (its structure only; `check_fleet` validates its stacks). Raises ConfigError."""
    files = fleet_files(project_dir)
    if name not in files:
        known = ", ".join(files) or f"none: add {FLEETS_DIR}/{name}.yaml"
        raise ConfigError([Problem(f"{FLEETS_DIR}/{name}.yaml", f"fleet {name!r} not found (fleets: {known})")])
    path = files[name]
    where = f"{FLEETS_DIR}/{path.name}"
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError([Problem(where, f"is not valid YAML{at}")], source=str(path)) from None
    if not isinstance(doc, dict):
        raise ConfigError([Problem(where, "must be a YAML mapping (organization, global, hub, waves)")], str(path))
    try:
        parsed = FleetFile.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
            key = join_path(f"{where}:", tuple(err["loc"])).replace(":.", ":")
            if err["type"] == "missing":
                problems.append(Problem(key, "is required"))
            else:
                problems.append(Problem(key, msg[:1].lower() + msg[1:], err.get("input")))
        raise ConfigError(problems, source=str(path)) from None
    fleet = Fleet(
        name=name,
        path=path,
        organization=parsed.organization,
        global_stack=parsed.global_stack,
        hub=parsed.hub,
        api_access=parsed.api_access,
        waves=tuple((w.name, tuple(w.spokes)) for w in parsed.waves),
    )
    problems = structure_problems(fleet)
    if problems:
        raise ConfigError(problems, source=str(path))
    return fleet


def structure_problems(fleet: Fleet) -> list[Problem]:
    """Rules of the file alone: every stack has one role, once."""
    out: list[Problem] = []
    seen: dict[str, str] = {fleet.global_stack: "global"}
    if fleet.hub in seen:
        out.append(Problem(f"{fleet.file}:hub", "is also the global stack: the hub is a cluster stack", fleet.hub))
    seen.setdefault(fleet.hub, "hub")
    for i, (wave, spokes) in enumerate(fleet.waves):
        for j, spoke in enumerate(spokes):
            if spoke in seen:
                out.append(
                    Problem(
                        f"{fleet.file}:waves[{i}].spokes[{j}]",
                        f"is already the fleet's {seen[spoke]}: every stack has one role and one wave",
                        spoke,
                    )
                )
            else:
                seen[spoke] = f"spoke of wave {wave}"
    return out


# ------------------------------------------------------------------------------------------- members


@dataclass(frozen=True)
class FleetMembers:
    """A fleet with every stack validated: the cluster stacks' and the global stack's configs."""

    fleet: Fleet
    global_config: GlobalConfig
    hub: StackConfig
    spokes: dict[str, StackConfig] = field(default_factory=dict)

    @property
    def hub_partition(self) -> str:
        from components.cluster_iam import partition_of

        return partition_of(self.hub.region)

    @property
    def hub_role_arn(self) -> str:
        return hub_role_arn(self.hub_partition, self.hub.account, self.hub.environment.name)


def check_fleet(project_dir: Path, fleet: Fleet) -> FleetMembers:
    """Validate every stack of the fleet on its own and the fleet's rules; raises ConfigError with every problem,
    each line naming its file."""
    from .global_stack import validate_global_file
    from .stack import validate_file

    problems: list[Problem] = []
    configs: dict[str, StackConfig] = {}
    global_cfg = None

    def prefixed(exc: ConfigError, file: str) -> list[Problem]:
        return [Problem(f"{file}: {p.key}", p.message, p.got) for p in exc.problems]

    global_path = global_stack_file(project_dir, fleet.global_stack)
    global_rel = f"{GLOBAL_DIR}/{global_path.name}"
    if not global_path.is_file():
        problems.append(
            Problem(f"{fleet.file}:global", f"names stack {fleet.global_stack}, but {global_rel} does not exist")
        )
    else:
        try:
            global_cfg, _ = validate_global_file(global_path, fleet.global_stack)
        except ConfigError as exc:
            problems.extend(prefixed(exc, global_rel))
    for stack in [fleet.hub, *fleet.spokes]:
        path = project_dir / f"Pulumi.{stack}.yaml"
        key = f"{fleet.file}:hub" if stack == fleet.hub else f"{fleet.file}:waves"
        if not path.is_file():
            problems.append(Problem(key, f"names stack {stack}, but Pulumi.{stack}.yaml does not exist", stack))
            continue
        try:
            configs[stack] = validate_file(path, stack, project_dir)[0]
        except ConfigError as exc:
            problems.extend(prefixed(exc, path.name))
    problems.extend(member_problems(fleet, configs, global_cfg))
    problems.extend(_membership_problems(project_dir, fleet))
    if problems or global_cfg is None:
        raise ConfigError(problems, source=str(fleet.path))
    return FleetMembers(
        fleet=fleet,
        global_config=global_cfg,
        hub=configs[fleet.hub],
        spokes={s: configs[s] for s in fleet.spokes},
    )


def member_problems(fleet: Fleet, configs: dict[str, StackConfig], global_cfg: GlobalConfig | None) -> list[Problem]:
    """The rules that need several stacks of the fleet (configs of the stacks that validated)."""
    out: list[Problem] = []
    if global_cfg is not None and global_cfg.fleet != fleet.name:
        out.append(
            Problem(
                f"{GLOBAL_DIR}/Pulumi.{fleet.global_stack}.yaml: global:fleet",
                f"must name this fleet ({fleet.name}): the global stack serves the spokes of one fleet",
                global_cfg.fleet,
            )
        )
    for stack, cfg in configs.items():
        if not cfg.gitops.enabled:
            what = "the hub runs the fleet's Argo CD" if stack == fleet.hub else "the hub registers it with its facts"
            out.append(Problem(f"Pulumi.{stack}.yaml: platform:gitops.enabled", f"must be true in a fleet ({what})"))
    regions: dict[str, str] = {}
    for spoke in fleet.spokes:
        cfg = configs.get(spoke)
        if cfg is None:
            continue
        if cfg.region in regions:
            out.append(
                Problem(
                    f"{fleet.file}:waves",
                    f"spokes {regions[cfg.region]} and {spoke} are both in {cfg.region}: one spoke per Region (the "
                    "global stack routes each Region's traffic to its one spoke)",
                )
            )
        regions.setdefault(cfg.region, spoke)
        if fleet.api_access == "public" and not cfg.cluster.endpoint.public_access:
            out.append(
                Problem(
                    f"Pulumi.{spoke}.yaml: platform:cluster.endpoint.publicAccess",
                    f"must be true: {fleet.file} has apiAccess: public, so the hub's Argo CD reaches this spoke's "
                    "API through its public endpoint (list the hub's NAT addresses in publicAccessCidrs)",
                    False,
                )
            )
    if fleet.api_access == "private":
        listed = [(s, configs[s].network.vpc_cidr) for s in [fleet.hub, *fleet.spokes] if s in configs]
        for (first, a), (second, b) in netmath.overlapping_pairs(listed):
            out.append(
                Problem(
                    f"Pulumi.{second}.yaml: platform:network.vpcCidr",
                    f"overlaps {a} of Pulumi.{first}.yaml: the hub reaches the spokes privately (apiAccess: "
                    "private, over your Transit Gateway or peering), which needs distinct address ranges",
                    b,
                )
            )
    hub = configs.get(fleet.hub)
    if hub is not None and len(hub_role_name(hub.environment.name)) > 64:
        out.append(Problem(f"Pulumi.{fleet.hub}.yaml: platform:environment.name", "is too long for the hub's role"))
    return out


def _membership_problems(project_dir: Path, fleet: Fleet) -> list[Problem]:
    """A stack belongs to one fleet at most (its role decides what the program declares)."""
    out = []
    mine = set(fleet.stacks)
    for other in fleet_names(project_dir):
        if other == fleet.name:
            continue
        try:
            theirs = load_fleet(project_dir, other)
        except ConfigError:
            continue
        shared = sorted(mine & set([theirs.hub, *theirs.spokes]) - {fleet.global_stack})
        if shared:
            out.append(
                Problem(fleet.file, f"stack(s) {', '.join(shared)} also in {theirs.file}: a stack is in one fleet")
            )
    return out


# ------------------------------------------------------------------------------------------- the program's view


@dataclass(frozen=True)
class Membership:
    """What the cluster program needs to know about its fleet."""

    members: FleetMembers
    stack: str
    role: str  # hub | spoke

    @property
    def fleet(self) -> Fleet:
        return self.members.fleet

    @property
    def global_reference(self) -> str:
        return self.fleet.reference(self.fleet.global_stack)

    @property
    def spoke_references(self) -> dict[str, str]:
        return {s: self.fleet.reference(s) for s in self.fleet.spokes}

    @property
    def hub_role_arn(self) -> str:
        return self.members.hub_role_arn

    @property
    def hub_vpc_cidr(self) -> str:
        return self.members.hub.network.vpc_cidr


def fleet_of(project_dir: Path, stack: str) -> tuple[Fleet, str] | None:
    """The fleet a cluster stack is the hub or a spoke of, and its role; None for a stack in no fleet."""
    for name in fleet_names(project_dir):
        fleet = load_fleet(project_dir, name)
        role = fleet.role_of(stack)
        if role in (HUB, SPOKE):
            return fleet, role
    return None


def membership(project_dir: Path, stack: str) -> Membership | None:
    """The stack's fleet, validated (every member and the fleet's rules); None outside any fleet."""
    found = fleet_of(project_dir, stack)
    if found is None:
        return None
    fleet, role = found
    return Membership(members=check_fleet(project_dir, fleet), stack=stack, role=role)
