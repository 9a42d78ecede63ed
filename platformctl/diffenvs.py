"""`platformctl diff-envs STACK_A STACK_B`: what differs between two environments, from their offline plans.

Both stacks' programs run offline (platformctl.engine, Pulumi's mocks); the two plans are compared as
Markdown:

* key settings - availability zones, NAT gateways, VPC endpoints, Kubernetes version, API endpoint access,
  deletion protection, node pools, replicas, protected resources - read from the planned resources where the
  program declares them, else from the stack's validated config (which the program turns into those resources);
* resource settings that differ on "the same" resource (names compared with the environment name masked):
  replicas, multi-AZ, backups, retention, deletion protection, instance sizes, ...;
* resource counts by type that differ, and resources that exist in one environment only;
* every config key (`Pulumi.<stack>.yaml`) whose value differs.

All of it is computed by pure functions over `Plan` objects (`compare(plan_a, plan_b)` -> `EnvDiff`), rendered by
`render_markdown`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from platformctl.plan import Plan, PlanResource

NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
EKS_CLUSTERS = ("aws:eks/cluster:Cluster", "eks:index:Cluster")
NODE_GROUPS = ("aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup", "eks:index:NodeGroupV2")
UNSET = "—"
PLACEHOLDERS = {"[unknown]", "[secret]"}

# Input properties worth comparing on the same resource in two environments (the last key of the path).
RESOURCE_SETTINGS: dict[str, str] = {
    "replicas": "replicas",
    "replicaCount": "replicas",
    "minReplicas": "replicas",
    "maxReplicas": "replicas",
    "minAvailable": "replicas",
    "deletionProtection": "deletion protection",
    "multiAz": "resilience",
    "availabilityZone": "resilience",
    "backupRetentionPeriod": "backups",
    "skipFinalSnapshot": "backups",
    "retentionInDays": "retention",
    "instanceClass": "size",
    "instanceTypes": "size",
    "instanceType": "size",
    "capacityType": "size",
    "allocatedStorage": "size",
    "maxAllocatedStorage": "size",
    "desiredSize": "size",
    "minSize": "size",
    "maxSize": "size",
    "endpointPublicAccess": "access",
    "endpointPrivateAccess": "access",
    "publicAccessCidrs": "access",
    "enabledClusterLogTypes": "logging",
    "performanceInsightsRetentionPeriod": "retention",
}
MAX_DEPTH = 10


# ------------------------------------------------------------------------------------------- helpers


def _placeholder(value: Any) -> bool:
    return isinstance(value, str) and value in PLACEHOLDERS


def mask_env(name: str, env: str) -> str:
    """`prod-vpc` -> `<env>-vpc`, so that the same resource of two environments has the same key."""
    if not env:
        return name
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(env)}(?![A-Za-z0-9])", "<env>", name)


def fmt(value: Any) -> str:
    if value is None:
        return UNSET
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def walk(value: Any, path: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every (dotted path, value) of a JSON-like value; lists of scalars are one value."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}" if path else str(k), depth + 1)
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        for i, v in enumerate(value):
            key = v.get("name") if isinstance(v.get("name"), str) else i
            yield from walk(v, f"{path}[{key}]", depth + 1)
    else:
        yield path, value


def last_key(path: str) -> str:
    return re.split(r"[.\[]", path)[-1].rstrip("]")


@dataclass(frozen=True)
class Row:
    label: str
    a: str
    b: str
    note: str = ""

    @property
    def differs(self) -> bool:
        return self.a != self.b


@dataclass
class EnvDiff:
    a: str
    b: str
    overview: list[Row] = field(default_factory=list)
    key_settings: list[Row] = field(default_factory=list)
    node_pools: list[Row] = field(default_factory=list)
    replicas: list[Row] = field(default_factory=list)
    protection: list[Row] = field(default_factory=list)
    resource_settings: list[Row] = field(default_factory=list)
    types: list[tuple[str, int, int]] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    config: list[Row] = field(default_factory=list)
    cost: list[Row] = field(default_factory=list)  # monthly estimate per component (platformctl cost)

    @property
    def identical(self) -> bool:
        return not (
            any(r.differs for r in self.key_settings + self.node_pools + self.replicas + self.protection)
            or self.resource_settings
            or self.types
            or self.only_a
            or self.only_b
            or self.config
        )


# ------------------------------------------------------------------------------------------- key settings


def _of_types(plan: Plan, types: tuple[str, ...]) -> list[PlanResource]:
    return [r for r in plan.resources if r.type in types]


def _azs(plan: Plan) -> Any:
    zones = {z for r in plan.of_type(SUBNET) if isinstance(z := r.inputs.get("availabilityZone"), str)} - PLACEHOLDERS
    return len(zones) if zones else plan.config.network.az_count


def _nat(plan: Plan) -> Any:
    n = len(plan.of_type(NAT_GATEWAY))
    return f"{n} ({plan.config.network.nat_gateways})"


def _vpc_cidr(plan: Plan) -> Any:
    vpcs = plan.of_type(VPC)
    return vpcs[0].inputs.get("cidrBlock") if vpcs else plan.config.network.vpc_cidr


def _endpoints(plan: Plan) -> Any:
    eps = plan.of_type(VPC_ENDPOINT)
    if not eps:
        return sorted(plan.config.network.interface_endpoints)
    names = []
    for r in eps:
        service = str(r.inputs.get("serviceName", ""))
        kind = r.inputs.get("vpcEndpointType", "Gateway")
        short = re.sub(r"^com\.amazonaws\.[a-z0-9-]+\.", "", service)
        names.append(short if kind == "Interface" else f"{short} (gw)")
    return sorted(names)


def _cluster_inputs(plan: Plan) -> dict[str, Any] | None:
    clusters = _of_types(plan, EKS_CLUSTERS)
    if not clusters:
        return None
    r = clusters[0]
    vpc = r.inputs.get("vpcConfig") if isinstance(r.inputs.get("vpcConfig"), Mapping) else {}
    return {**r.inputs, **vpc}


def _k8s_version(plan: Plan) -> Any:
    c = _cluster_inputs(plan)
    return (c or {}).get("version") or plan.config.cluster.version


def _endpoint_access(plan: Plan) -> Any:
    c = _cluster_inputs(plan)
    if c is not None and "endpointPublicAccess" in c:
        public, private = c.get("endpointPublicAccess"), c.get("endpointPrivateAccess", True)
        cidrs = c.get("publicAccessCidrs") or []
    else:
        ep = plan.config.cluster.endpoint
        public, private, cidrs = ep.public_access, True, ep.public_access_cidrs
    if not public:
        return "private only" if private else "none"
    where = ", ".join(cidrs) if cidrs else "anywhere (0.0.0.0/0)"
    return f"{'private + ' if private else ''}public from {where}"


def _cluster_deletion_protection(plan: Plan) -> Any:
    c = _cluster_inputs(plan)
    if c is not None and "deletionProtection" in c:
        return c["deletionProtection"]
    return plan.config.cluster.deletion_protection


def _node_pools(plan: Plan) -> dict[str, str]:
    """Pool (env-masked name) -> "capacity types min/desired/max"."""
    groups = _of_types(plan, NODE_GROUPS)
    env = plan.config.environment.name
    out: dict[str, str] = {}
    if groups:
        for r in groups:
            sc = r.inputs.get("scalingConfig") if isinstance(r.inputs.get("scalingConfig"), Mapping) else {}
            name = r.inputs.get("nodeGroupName") or r.name
            out[mask_env(str(name), env)] = _pool_text(
                r.inputs.get("capacityType", "ON_DEMAND"),
                r.inputs.get("instanceTypes") or [],
                sc.get("minSize"),
                sc.get("desiredSize"),
                sc.get("maxSize"),
            )
        return out
    for pool in plan.config.node_pools:
        out[pool.name] = _pool_text(
            pool.capacity_type, pool.instance_types, pool.min_size, pool.desired_size, pool.max_size
        )
    return out


def _pool_text(capacity: Any, types: Any, lo: Any, desired: Any, hi: Any) -> str:
    return f"{capacity} {fmt(types)}, {fmt(lo)}/{fmt(desired)}/{fmt(hi)} (min/desired/max)"


def _capacity(plan: Plan) -> str:
    pools = plan.config.node_pools
    return (
        f"{sum(p.min_size for p in pools)}/{sum(p.desired_size for p in pools)}/{sum(p.max_size for p in pools)} "
        f"nodes in {len(pools)} pool(s)"
    )


def _replicas(plan: Plan) -> Any:
    """Replica counts the program declares (Deployments, Helm values, HPAs, PDBs), in all."""
    settings = [v for (_, _, path), v in _settings(plan).items() if RESOURCE_SETTINGS[last_key(path)] == "replicas"]
    counts = [v for v in settings if isinstance(v, int) and not isinstance(v, bool)]
    if not counts:
        return "none declared"
    return f"{sum(counts)} in {len(counts)} setting(s)"


def _protected(plan: Plan) -> Any:
    return sum(1 for r in plan.resources if r.options.get("protect"))


def _deletion_protected(plan: Plan) -> Any:
    return sum(1 for r in plan.resources if r.inputs.get("deletionProtection") is True) or (
        1 if plan.config.cluster.deletion_protection and not _of_types(plan, EKS_CLUSTERS) else 0
    )


KEY_SETTINGS: list[tuple[str, Callable[[Plan], Any]]] = [
    ("production", lambda p: p.config.production),
    ("region", lambda p: p.config.region),
    ("availability zones", _azs),
    ("NAT gateways", _nat),
    ("VPC CIDR", _vpc_cidr),
    ("VPC endpoints", _endpoints),
    ("flow log retention (days)", lambda p: p.config.network.flow_logs.retention_days),
    ("Kubernetes version", _k8s_version),
    ("API endpoint access", _endpoint_access),
    ("cluster deletion protection", _cluster_deletion_protection),
    ("control-plane log retention (days)", lambda p: p.config.cluster.log_retention_days),
    ("node capacity", _capacity),
    ("replicas", _replicas),
    ("protected resources (protect)", _protected),
    ("resources with deletion protection", _deletion_protected),
]


# ------------------------------------------------------------------------------------------- comparison


def _settings(plan: Plan) -> dict[tuple[str, str, str], Any]:
    """(type, env-masked name, property path) -> value, for the properties in RESOURCE_SETTINGS."""
    env = plan.config.environment.name
    out: dict[tuple[str, str, str], Any] = {}
    for r in plan.resources:
        for path, value in walk(r.inputs):
            if last_key(path) in RESOURCE_SETTINGS and not _placeholder(value):
                out[(r.type, mask_env(r.name, env), path)] = value
    return out


def _flat_config(plan: Plan, project_dir: Path) -> dict[str, Any]:
    """The stack file's config as flat `namespace:key.path` -> value (secrets masked)."""
    from components.config import read_stack_file
    from components.config.stack import SecretValue

    try:
        values = read_stack_file(project_dir / f"Pulumi.{plan.stack}.yaml")
    except Exception:
        return {}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, SecretValue):
            out[key] = "[secret]"
            continue
        items = list(walk(value)) if isinstance(value, Mapping | list) else [("", value)]
        for path, v in items:
            if path.endswith("].name"):  # list items are keyed by their name already
                continue
            out[f"{key}{'' if path.startswith('[') else '.'}{path}" if path else key] = v
    return out


def compare(pa: Plan, pb: Plan, project_dir: Path | None = None) -> EnvDiff:
    from platformctl.paths import project_root

    project_dir = project_dir or project_root()
    diff = EnvDiff(pa.stack, pb.stack)
    sa, sb = pa.summary(), pb.summary()
    diff.overview = [
        Row("environment", pa.config.environment.name, pb.config.environment.name),
        Row("resources", str(sa["resources"]), str(sb["resources"])),
        Row("components", str(len(sa["byComponent"])), str(len(sb["byComponent"]))),
    ]
    diff.key_settings = [Row(label, fmt(fn(pa)), fmt(fn(pb))) for label, fn in KEY_SETTINGS]

    pools_a, pools_b = _node_pools(pa), _node_pools(pb)
    diff.node_pools = [Row(n, pools_a.get(n, UNSET), pools_b.get(n, UNSET)) for n in sorted(pools_a | pools_b)]

    set_a, set_b = _settings(pa), _settings(pb)
    for key in sorted(set_a.keys() | set_b.keys()):
        va, vb = set_a.get(key), set_b.get(key)
        if va == vb:
            continue
        rtype, name, path = key
        row = Row(f"{name} `{rtype.rsplit(':', 1)[-1]}` {path}", fmt(va), fmt(vb))
        category = RESOURCE_SETTINGS[last_key(path)]
        if category == "replicas":
            diff.replicas.append(row)
        elif category == "deletion protection":
            diff.protection.append(row)
        elif key[:2] in _keys(set_a) and key[:2] in _keys(set_b):  # the same resource in both: a setting differs
            diff.resource_settings.append(row)

    prot_a = Counter(r.type for r in pa.resources if r.options.get("protect"))
    prot_b = Counter(r.type for r in pb.resources if r.options.get("protect"))
    diff.protection = [
        Row(f"protect: `{t}`", str(prot_a.get(t, 0)), str(prot_b.get(t, 0)))
        for t in sorted(prot_a.keys() | prot_b.keys())
        if prot_a.get(t, 0) != prot_b.get(t, 0)
    ] + diff.protection

    ta, tb = sa["byType"], sb["byType"]
    diff.types = [
        (t, ta.get(t, 0), tb.get(t, 0)) for t in sorted(ta.keys() | tb.keys()) if ta.get(t, 0) != tb.get(t, 0)
    ]

    names_a = {(r.type, mask_env(r.name, pa.config.environment.name)) for r in pa.resources}
    names_b = {(r.type, mask_env(r.name, pb.config.environment.name)) for r in pb.resources}
    diff.only_a = [f"{n} `{t}`" for t, n in sorted(names_a - names_b)]
    diff.only_b = [f"{n} `{t}`" for t, n in sorted(names_b - names_a)]

    from platformctl.cost import cost_rows

    diff.cost = [Row(*r) for r in cost_rows((pa.document(), pa.config.cost), (pb.document(), pb.config.cost))]

    ca, cb = _flat_config(pa, project_dir), _flat_config(pb, project_dir)
    diff.config = [
        Row(k, fmt(ca.get(k)), fmt(cb.get(k))) for k in sorted(ca.keys() | cb.keys()) if ca.get(k) != cb.get(k)
    ]
    return diff


def _keys(settings: Mapping[tuple[str, str, str], Any]) -> set[tuple[str, str]]:
    return {k[:2] for k in settings}


# ------------------------------------------------------------------------------------------- markdown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(rows: list[Row], a: str, b: str, first: str) -> list[str]:
    out = [f"| {first} | `{a}` | `{b}` |", "|---|---|---|"]
    for r in rows:
        out.append(f"| {_cell(r.label)} | {_cell(r.a)} | {_cell(r.b)} |")
    return out


MAX_LISTED = 60


def render_markdown(diff: EnvDiff) -> str:
    a, b = diff.a, diff.b
    out = [f"# Environments `{a}` vs `{b}`", ""]
    out += _table(diff.overview, a, b, "")
    changed = [r for r in diff.key_settings if r.differs]
    same = [r for r in diff.key_settings if not r.differs]
    out += ["", "## Key settings that differ", ""]
    out += _table(changed, a, b, "setting") if changed else ["None."]
    if same:
        out += ["", f"Same in both: {', '.join(f'{r.label} ({r.a})' for r in same)}."]
    if any(r.differs for r in diff.node_pools):
        out += ["", "## Node pools", "", *_table(diff.node_pools, a, b, "pool")]
    if diff.replicas:
        out += ["", "## Replicas", "", *_table(diff.replicas, a, b, "resource / setting")]
    if diff.protection:
        out += ["", "## Protection", "", *_table(diff.protection, a, b, "resource / setting")]
    if diff.resource_settings:
        out += ["", "## Other resource settings that differ", ""]
        out += _table(diff.resource_settings[:MAX_LISTED], a, b, "resource / setting")
        if len(diff.resource_settings) > MAX_LISTED:
            out.append(f"\n… and {len(diff.resource_settings) - MAX_LISTED} more.")
    if diff.types:
        out += ["", "## Resource counts that differ", "", f"| type | `{a}` | `{b}` | Δ |", "|---|---:|---:|---:|"]
        for t, na, nb in diff.types:
            out.append(f"| `{t}` | {na} | {nb} | {nb - na:+d} |")
    for env, only in ((a, diff.only_a), (b, diff.only_b)):
        if only:
            out += ["", f"<details><summary>{len(only)} resource(s) only in <code>{env}</code></summary>", ""]
            out += [f"- {x}" for x in only[:MAX_LISTED]]
            if len(only) > MAX_LISTED:
                out.append(f"- … and {len(only) - MAX_LISTED} more")
            out += ["", "</details>"]
    if diff.config:
        out += ["", "## Config keys that differ", "", *_table(diff.config, a, b, "key")]
    if diff.cost:
        out += ["", "## Monthly cost estimate (USD, `platformctl cost`)", "", *_table(diff.cost, a, b, "component")]
    if diff.identical:
        out += ["", f"No differences between `{a}` and `{b}`."]
    out += ["", "<sub>platformctl diff-envs · offline plans (Pulumi mocks), no cloud calls</sub>", ""]
    return "\n".join(out)


def diff_envs(stack_a: str, stack_b: str, project_dir: Path | None = None) -> str:
    """Plan both stacks offline and render their differences (raises ConfigError on an invalid config)."""
    from platformctl.engine import run_plan
    from platformctl.paths import project_root

    project_dir = project_dir or project_root()
    plan_a = run_plan(stack_a, project_dir=project_dir)
    plan_b = run_plan(stack_b, project_dir=project_dir)
    return render_markdown(compare(plan_a, plan_b, project_dir))
