"""`platformctl upgrade STACK --to X.Y`: a Kubernetes upgrade as one staged, resumable operation.

The stages, in EKS's order (the control plane first, one minor at a time; add-ons compatible with the new minor;
nodes after):

1. the control plane (`platform:cluster.version`), with every other layer held at the previous minor (with Karpenter,
   the hold is its own step before the control plane moves: its NodePools get a `Drifted` budget of 0 first);
2. the EKS managed add-ons to the target row of the version matrix (components/version_matrix.py);
3. the in-cluster pins that follow the minor: per-minor chart versions and images, namespaces' Pod Security labels;
4. the managed node groups, one at a time (EKS rolls each within its update config);
5. Karpenter's nodes, replaced through drift within their NodePools' disruption budgets.

How a stage is made to change only its layer: the stack file says which layers are still at the previous minor
(`platform:cluster.dataPlane`, components/config/cluster.py), and the program follows it (add-on versions, per-pool
node group versions, a `Drifted` budget of 0 on every NodePool while Karpenter is held). Each stage is one edit of
`Pulumi.<stack>.yaml` - stage 1 holds every layer and sets `version`, each later stage releases one - previewed,
shown, applied with `pulumi up` and committed on its own, so git shows every completed stage and any plain `pulumi up`
between stages re-applies exactly what is committed. The alternative, `pulumi up --target <urns>` with the final
config, was rejected: targets leave the stack's other resources with un-applied changes that the next plain `up`
applies all at once and out of order, the committed config would claim a state the cluster is not in, and targets
do not follow replacements or resources created by the change.

Limits (also in docs/known-limits.md): the guarantee is about what the program declares. Chart v4 renders charts with
the live server's version, so a chart whose templates depend on the minor can show changes in the stage after the
control plane (the stage then stops: apply them with `platformctl up`, then `--resume`); Karpenter replaces expired
nodes (`expireAfter`) during the hold regardless of budgets; EKS itself upgrades nothing else.

This module is the offline half (plans, pre-flight, the stack file) and EKS Upgrade Insights; the Automation API
half is platformctl/upgrade_cli.py.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components import version_matrix, versions
from components.version_matrix import minor_key, next_minor

if TYPE_CHECKING:
    from components.config import StackConfig
    from platformctl.plan import Plan
    from platformctl.platform_tree import Manifest

STAGE_TITLES = {
    1: "control plane",
    2: "EKS managed add-ons",
    3: "Helm charts and in-cluster pins that follow the minor",
    4: "managed node groups, one at a time",
    5: "Karpenter nodes through drift, within their disruption budgets",
}
STAGES = len(STAGE_TITLES)


class UsageError(Exception):
    """A bad target or state: one line each, exit 2, nothing changed."""

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


# ------------------------------------------------------------------------------------------------ stages


@dataclass(frozen=True)
class Step:
    """One applied unit: a stage, one node group of stage 4, or stage 1's hold of Karpenter's nodes."""

    stage: int
    pool: str | None = None  # stage 4: the managed node group
    index: int = 0  # stage 4: 1-based position among the node groups
    of: int = 0
    hold: bool = False  # stage 1, before the control plane moves: every layer held, Karpenter's drift stopped

    @property
    def title(self) -> str:
        if self.stage == 4 and self.pool:
            return f"managed node group {self.pool} ({self.index} of {self.of})"
        if self.hold:
            return "control plane, first holding Karpenter's nodes"
        return STAGE_TITLES[self.stage]

    @property
    def label(self) -> str:
        return f"stage {self.stage}/{STAGES}: {self.title}"

    @property
    def key(self) -> str:
        """Stable id, also in the update message the engine records."""
        suffix = f" node group {self.pool}" if self.pool else (" hold" if self.hold else "")
        return f"stage {self.stage}/{STAGES}{suffix}"


@dataclass(frozen=True)
class Layers:
    """Where each layer of a stack is, as its config says."""

    version: str  # the control plane
    data_plane: dict[str, Any]  # platform:cluster.dataPlane as written: addons, charts, nodeGroups, karpenter

    @staticmethod
    def of(cfg: StackConfig) -> Layers:
        dp = cfg.cluster.data_plane
        out: dict[str, Any] = {}
        if dp.addons is not None:
            out["addons"] = dp.addons
        if dp.charts is not None:
            out["charts"] = dp.charts
        if dp.node_groups:
            out["nodeGroups"] = dict(dp.node_groups)
        if dp.karpenter is not None:
            out["karpenter"] = dp.karpenter
        return Layers(cfg.cluster.version, out)


@dataclass
class Upgrade:
    """An upgrade of one stack from `source` to `target`: the steps still to do and those done (from the file)."""

    stack: str  # the short stack name (Pulumi.<stack>.yaml)
    source: str
    target: str
    pools: list[str]  # managed node groups, in platform:nodePools order
    karpenter: bool  # Karpenter on: stage 5 releases its hold
    done: list[Step] = field(default_factory=list)
    remaining: list[Step] = field(default_factory=list)
    name: str = ""  # the stack as the user named it (org/eks-platform/prod), for the commands printed

    @property
    def steps(self) -> list[Step]:
        return [*self.done, *self.remaining]

    @property
    def in_progress(self) -> bool:
        return bool(self.done)

    def resume_command(self) -> str:
        return f"platformctl upgrade {self.name or self.stack} --to {self.target} --resume"


def all_steps(pools: list[str], karpenter: bool) -> list[Step]:
    # With Karpenter, the hold is applied before the control plane moves: in one update the NodePools (which depend on
    # the cluster) would change only after it, and Karpenter could start replacing nodes in between.
    steps = [*([Step(1, hold=True)] if karpenter else []), Step(1), Step(2), Step(3)]
    steps += [Step(4, pool, i, len(pools)) for i, pool in enumerate(pools, 1)]
    if karpenter:
        steps.append(Step(5))
    return steps


def layers_after(step: Step, before: Layers, up: Upgrade) -> Layers:
    """The config layers once `step` is applied."""
    if step.stage == 1:
        dp: dict[str, Any] = {
            "addons": up.source,
            "charts": up.source,
            "nodeGroups": dict.fromkeys(up.pools, up.source),
        }
        if up.karpenter:
            dp["karpenter"] = up.source
        return Layers(up.source if step.hold else up.target, dp)
    dp = {k: (dict(v) if isinstance(v, dict) else v) for k, v in before.data_plane.items()}
    if step.stage == 2:
        dp.pop("addons", None)
    elif step.stage == 3:
        dp.pop("charts", None)
    elif step.stage == 4:
        groups = dp.get("nodeGroups", {})
        groups.pop(step.pool, None)
        if not groups:
            dp.pop("nodeGroups", None)
    elif step.stage == 5:
        dp.pop("karpenter", None)
    return Layers(up.target, dp)


def is_done(step: Step, layers: Layers, up: Upgrade) -> bool:
    """Whether the config already shows `step` applied (layers of an upgrade in progress)."""
    dp = layers.data_plane
    if step.stage == 1:
        return layers.version == up.target or (step.hold and "karpenter" in dp)
    if layers.version != up.target:
        return False
    if step.stage == 2:
        return "addons" not in dp
    if step.stage == 3:
        return "charts" not in dp
    if step.stage == 4:
        return step.pool not in dp.get("nodeGroups", {})
    return "karpenter" not in dp


def plan_upgrade(cfg: StackConfig, stack: str, target: str | None, *, resume: bool) -> Upgrade:
    """The upgrade `--to target` (or the one in progress, with `--resume`) of a stack; UsageError when it cannot be.

    Rules: the target is a minor the version matrix knows (EKS supports it), exactly one minor above the control
    plane (EKS upgrades one minor at a time), and every layer is at the control plane's minor before it starts (EKS
    wants the nodes on the control plane's minor before its next upgrade); an upgrade in progress is resumed, never
    restarted or redirected."""
    layers = Layers.of(cfg)
    current = layers.version
    pools = [p.name for p in cfg.node_pools]
    karpenter = cfg.karpenter.enabled
    supported = ", ".join(version_matrix.matrix())
    if target is not None and not version_matrix.MINOR.match(target):
        raise UsageError(f"error: --to {target!r} is not a Kubernetes minor like 1.36")
    not_in_matrix = (
        f"Kubernetes {target} is not in the version matrix (the EKS versions this platform supports: {supported}; "
        "components/versions.py KUBERNETES_VERSIONS)"
    )
    if layers.data_plane:  # an upgrade in progress
        held = {layers.data_plane.get("addons"), layers.data_plane.get("charts"), layers.data_plane.get("karpenter")}
        held |= set(layers.data_plane.get("nodeGroups", {}).values())
        if held - {None} == {current}:  # held before the control plane moved: the target is the next minor
            source, going_to = current, next_minor(current)
        else:  # the control plane is at its target already
            source, going_to = f"{minor_key(current)[0]}.{minor_key(current)[1] - 1}", current
        if target is not None and target != going_to:
            raise UsageError(
                f"error: {stack} is being upgraded to {going_to} (platform:cluster.dataPlane holds layers at "
                f"{source}): finish it with `platformctl upgrade {stack} --to {going_to} --resume` before going to "
                f"{target}"
            )
        if not version_matrix.supported(going_to):
            raise UsageError(
                f"error: platform:cluster.dataPlane holds {stack} for an upgrade to {going_to}, which is not in the "
                "version matrix: remove platform:cluster.dataPlane"
            )
        up = Upgrade(stack, source, going_to, pools, karpenter)
        for step in all_steps(pools, karpenter):
            (up.done if is_done(step, layers, up) else up.remaining).append(step)
        return up
    if target is not None and minor_key(target) > minor_key(next_minor(current)):
        also = "" if version_matrix.supported(target) else f" (and {not_in_matrix})"
        raise UsageError(
            f"error: {stack} runs Kubernetes {current}: EKS upgrades one minor version at a time, so --to {target} is "
            f"not allowed; upgrade to {next_minor(current)} first{also}"
        )
    if target is not None and not version_matrix.supported(target):
        raise UsageError(f"error: {not_in_matrix}")
    if target is None:
        raise UsageError(
            f"error: no upgrade of {stack} is in progress (platform:cluster.dataPlane is not set): "
            "name the target with --to X.Y"
        )
    if target == current and resume:
        return Upgrade(stack, current, target, pools, karpenter, done=all_steps(pools, karpenter))
    if minor_key(target) <= minor_key(current):
        raise UsageError(
            f"error: {stack} runs Kubernetes {current}: --to {target} is not an upgrade (EKS never downgrades)"
        )
    return Upgrade(stack, current, target, pools, karpenter, remaining=all_steps(pools, karpenter))


# ------------------------------------------------------------------------------------------------ the stack file


def _quoted(minor: str) -> str:
    return f'"{minor}"'


def render_data_plane(dp: Mapping[str, Any], indent: int, source: str, target: str) -> list[str]:
    """The `dataPlane:` block (block style: each later stage removes one line)."""
    if not dp:
        return []
    pad = " " * indent
    lines = [f"{pad}dataPlane:  # layers still at {source} while `platformctl upgrade` moves this stack to {target}\n"]
    for key in ("addons", "charts"):
        if key in dp:
            lines.append(f"{pad}  {key}: {_quoted(dp[key])}\n")
    if dp.get("nodeGroups"):
        lines.append(f"{pad}  nodeGroups:\n")
        lines.extend(f"{pad}    {pool}: {_quoted(v)}\n" for pool, v in dp["nodeGroups"].items())
    if "karpenter" in dp:
        lines.append(f"{pad}  karpenter: {_quoted(dp['karpenter'])}\n")
    return lines


def write_layers(text: str, layers: Layers, source: str, target: str) -> str:
    """`text` (a Pulumi.<stack>.yaml) with `platform:cluster.version` and `platform:cluster.dataPlane` set to
    `layers`; everything else (comments, order) is kept."""
    import yaml

    from components.config.locate import locate

    locs = locate(text)
    cluster = locs.get("platform:cluster")
    lines = text.splitlines(keepends=True)
    if text and not text.endswith("\n"):
        lines[-1] += "\n"
    if cluster is None:
        pools = locs.get("platform:nodePools")
        if pools is None:
            raise UsageError("error: the stack file has no platform:nodePools to place platform:cluster before")
        at = pools.key_line - 1
        pad = " " * pools.indent
        block = [f"{pad}platform:cluster:\n", f"{pad}  version: {_quoted(layers.version)}\n"]
        block += render_data_plane(layers.data_plane, pools.indent + 2, source, target)
        return "".join(lines[:at] + block + lines[at:])
    if not isinstance(cluster.node, yaml.MappingNode) or cluster.node.flow_style:
        raise UsageError("error: platform:cluster is not a block mapping: edit its version by hand")
    removed: set[int] = set()
    existing = locs.get("platform:cluster.dataPlane")
    if existing is not None:
        first = existing.key_line - 1
        row, column = existing.end
        end = row if (row >= len(lines) or not lines[row][:column].strip()) else row + 1
        removed.update(range(first, end))
    version = locs.get("platform:cluster.version")
    child_indent = next(
        (loc.indent for key, loc in locs.items() if key.startswith("platform:cluster.") and key.count(".") == 1),
        cluster.indent + 2,
    )
    if version is not None:
        (sl, sc), (el, ec) = version.start, version.end
        if sl != el:
            raise UsageError("error: platform:cluster.version spans lines: edit it by hand")
        lines[sl] = lines[sl][:sc] + _quoted(layers.version) + lines[sl][ec:]
        insert_after = version.key_line - 1
        block = render_data_plane(layers.data_plane, version.indent, source, target)
    else:
        insert_after = cluster.key_line - 1
        block = [f"{' ' * child_indent}version: {_quoted(layers.version)}\n"]
        block += render_data_plane(layers.data_plane, child_indent, source, target)
    out: list[str] = []
    for i, line in enumerate(lines):
        if i not in removed:
            out.append(line)
        if i == insert_after:
            out.extend(block)
    return "".join(out)


def checked_text(text: str, layers: Layers, source: str, target: str, stack: str) -> str:
    """`write_layers`, then read back: the file must validate and say exactly `layers` (an edit never guesses)."""
    from components.config import ConfigError
    from components.config.stack import validate

    new = write_layers(text, layers, source, target)
    try:
        cfg = validate(_values(new), stack)
    except ConfigError as exc:
        head = "error: the upgraded stack file would not validate (nothing was written):"
        raise UsageError([head, *exc.lines]) from None
    if Layers.of(cfg) != layers:
        raise UsageError(f"error: editing platform:cluster failed (read back {Layers.of(cfg)}, wanted {layers})")
    return new


def _values(text: str) -> dict[str, Any]:
    from components.config.stack import read_stack_file

    with tempfile.TemporaryDirectory(prefix="platformctl-upgrade-") as tmp:
        path = Path(tmp) / "Pulumi.stack.yaml"
        path.write_text(text)
        return read_stack_file(path)


def step_texts(text: str, up: Upgrade, cfg: StackConfig) -> list[tuple[Step, str]]:
    """(step, the stack file after it) for every remaining step, from `text` (the file as it is now)."""
    out = []
    layers = Layers.of(cfg)
    for step in up.remaining:
        layers = layers_after(step, layers, up)
        text = checked_text(text, layers, up.source, up.target, up.stack)
        out.append((step, text))
    return out


# ------------------------------------------------------------------------------------------------ plan diffs


@dataclass(frozen=True)
class ResourceChange:
    op: str  # create | delete | update
    urn: str
    type: str
    name: str
    details: tuple[str, ...] = ()
    inputs: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def line(self) -> str:
        symbol = {"create": "+", "delete": "-", "update": "~"}[self.op]
        extra = f"  {'; '.join(self.details)}" if self.details else ""
        return f"{symbol} {self.type} {self.name}{extra}"


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{path}.{k}" if path else str(k)))
        return out or {path: {}}
    if isinstance(value, list) and value and any(isinstance(v, Mapping | list) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(_leaves(v, f"{path}[{i}]"))
        return out
    return {path: value}


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else ("-" if value is None else repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def diff_plans(old: Plan, new: Plan, max_details: int = 4) -> list[ResourceChange]:
    """Per resource: created, deleted, or updated (the input paths that differ, old -> new)."""
    before = {r.urn: r for r in old.resources}
    after = {r.urn: r for r in new.resources}
    out: list[ResourceChange] = []
    for urn in sorted(set(before) | set(after)):
        a, b = before.get(urn), after.get(urn)
        r = b or a
        assert r is not None
        if a is None:
            out.append(ResourceChange("create", urn, r.type, r.name, inputs=r.requested))
        elif b is None:
            out.append(ResourceChange("delete", urn, r.type, r.name, inputs=r.requested))
        else:
            la, lb = _leaves(a.requested), _leaves(b.requested)
            keys = [k for k in sorted(set(la) | set(lb)) if la.get(k) != lb.get(k)]
            if keys:
                details = [f"{k}: {_short(la.get(k))} -> {_short(lb.get(k))}" for k in keys[:max_details]]
                if len(keys) > max_details:
                    details.append(f"{len(keys) - max_details} more")
                out.append(ResourceChange("update", urn, r.type, r.name, tuple(details), inputs=b.requested))
    return out


def pool_of(change: ResourceChange) -> str | None:
    """The managed node pool an aws.eks.NodeGroup belongs to (its `nodeGroupNamePrefix` is `<pool>-`)."""
    if change.type != "aws:eks/nodeGroup:NodeGroup":
        return None
    prefix = change.inputs.get("nodeGroupNamePrefix")
    return str(prefix)[:-1] if isinstance(prefix, str) and prefix.endswith("-") else None


# ------------------------------------------------------------------------------------------------ scopes


def in_scope(step: Step, urn: str) -> bool:
    """Whether a change to `urn` belongs to `step` (a live preview's changes outside it stop the upgrade)."""
    chain = urn.split("::")[2] if urn.count("::") >= 3 else ""
    rtype = chain.rsplit("$", 1)[-1]
    name = urn.rsplit("::", 1)[-1]
    if step.stage == 1 and step.hold:  # the drift hold: a budget on every NodePool
        return rtype == "kubernetes:karpenter.sh/v1:NodePool"
    if step.stage == 1:  # pulumi-eks's cluster and what it manages
        return "eks:index:Cluster" in chain.split("$")
    if step.stage == 2:
        return rtype == "aws:eks/addon:Addon"
    if step.stage == 3:
        return rtype.startswith("kubernetes:") and rtype != "kubernetes:karpenter.sh/v1:NodePool"
    if step.stage == 4:
        return rtype == "aws:eks/nodeGroup:NodeGroup" and name.endswith(f"-{step.pool}")
    return rtype == "kubernetes:karpenter.sh/v1:NodePool"


# ------------------------------------------------------------------------------------------------ pre-flight


@dataclass
class Preflight:
    blockers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # what was checked -> how many

    @property
    def ok(self) -> bool:
        return not self.blockers

    def lines(self) -> list[str]:
        counts = ", ".join(f"{n} {what}" for what, n in self.checked.items())
        head = (
            "pre-flight: "
            + ("passed" if self.ok else f"{len(self.blockers)} blocker(s)")
            + (f" (checked {counts})" if counts else "")
        )
        out = [head]
        out += [f"  blocker: {b}" for b in self.blockers]
        out += [f"  note: {n}" for n in self.notes]
        return out


def _api_of_type(token: str) -> tuple[str, str] | None:
    """`kubernetes:apps/v1:Deployment` -> ("apps/v1", "Deployment"); None for Pulumi-only types (charts, providers)."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes":
        return None
    group_version, kind = parts[1], parts[2]
    if group_version.startswith(("helm.sh/", "yaml/", "kustomize/")):
        return None
    api_version = "v1" if group_version == "core/v1" else group_version
    return api_version, kind.removesuffix("Patch") if kind.endswith("Patch") else kind


@dataclass(frozen=True)
class KubeObject:
    """A Kubernetes object of the target state, and where it comes from (for one line per blocker)."""

    api_version: str
    kind: str
    name: str
    namespace: str
    where: str  # the file or the resource that declares it
    body: Mapping[str, Any]


def stack_objects(plan: Plan) -> list[KubeObject]:
    """Every Kubernetes object the plan declares or renders from a chart (children of a Chart/Release)."""
    by_urn = {r.urn: r for r in plan.resources}
    out = []
    for r in plan.resources:
        api = _api_of_type(r.type)
        if api is None:
            continue
        body = r.inputs if isinstance(r.inputs, Mapping) else {}
        meta = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else {}
        parent = by_urn.get(r.parent or "")
        if parent is not None and parent.type.startswith("kubernetes:helm.sh/"):
            chart = next((e for e in plan.expansions if e.urn == parent.urn), None)
            where = f"{parent.name} (chart {chart.label if chart else parent.name})"
        else:
            where = f"{r.component or r.name} (resource {r.name})"
        out.append(
            KubeObject(
                api[0],
                api[1],
                str(meta.get("name") or r.name),
                str(meta.get("namespace") or ""),
                where,
                body,
            )
        )
    return out


def manifest_objects(manifests: Iterable[Manifest]) -> list[KubeObject]:
    return [KubeObject(m.api_version, m.kind, m.name, m.namespace, m.source, m.obj) for m in manifests]


def _crds(objects: Iterable[KubeObject]) -> dict[tuple[str, str], set[str]]:
    """(group, kind) -> served versions of every CustomResourceDefinition among the objects."""
    from platformctl.expand import crd_info

    out: dict[tuple[str, str], set[str]] = {}
    for o in objects:
        if o.kind != "CustomResourceDefinition":
            continue
        info = crd_info({"apiVersion": o.api_version, "kind": o.kind, **dict(o.body)})
        if info is not None:
            out.setdefault((info[0], info[1]), set()).update(info[2])
    return out


def check_apis(objects: list[KubeObject], target: str, report: Preflight) -> None:
    """Every object's API served by the target minor: built-in APIs per platformctl.api_removals, custom resources
    by a CRD the stack installs (when it is known offline)."""
    from platformctl.api_removals import check, group_of, is_builtin

    crds = _crds(objects)
    unknown: set[str] = set()
    for o in objects:
        if is_builtin(o.api_version):
            found = check(o.api_version, o.kind, target)
            if found is not None:
                report.blockers.append(
                    f"{o.where}: {o.kind} {_ident(o)} uses {found.what}; Kubernetes {target} does not serve it: "
                    f"{found.fix}"
                )
            continue
        group, version = group_of(o.api_version), o.api_version.rsplit("/", 1)[-1]
        served = crds.get((group, o.kind))
        if served is None:
            unknown.add(f"{o.api_version}/{o.kind}")
        elif version not in served:
            report.blockers.append(
                f"{o.where}: {o.kind} {_ident(o)} uses {o.api_version}, which its CRD does not serve (serves "
                f"{', '.join(sorted(served))}): use {group}/{sorted(served)[-1]}"
            )
    report.checked["objects' APIs"] = len(objects)
    if unknown:
        report.notes.append(
            f"custom resources whose CRD is not in the offline plan (a chart not expanded, or installed by Argo CD) "
            f"were not checked: {', '.join(sorted(unknown))}"
        )


def _ident(o: KubeObject) -> str:
    return f"{o.namespace}/{o.name}" if o.namespace else o.name


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    match = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return bool(match or selector.get("matchExpressions"))


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "ReplicaSet")


def _replicas(objects: list[KubeObject], pdb: KubeObject) -> int | None:
    """The replicas of the workload(s) a PDB selects in its namespace (an HPA's minReplicas when it scales them)."""
    selector = (pdb.body.get("spec") or {}).get("selector") or {}
    total, found = 0, False
    for o in objects:
        if o.kind not in WORKLOAD_KINDS or o.namespace != pdb.namespace:
            continue
        spec = o.body.get("spec") or {}
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if not isinstance(labels, Mapping) or not _selects(selector, labels):
            continue
        found = True
        replicas = spec.get("replicas")
        if not isinstance(replicas, int):
            hpa = next(
                (
                    h
                    for h in objects
                    if h.kind == "HorizontalPodAutoscaler"
                    and h.namespace == o.namespace
                    and ((h.body.get("spec") or {}).get("scaleTargetRef") or {}).get("name") == o.name
                ),
                None,
            )
            replicas = (hpa.body.get("spec") or {}).get("minReplicas", 1) if hpa else 1
        total += int(replicas) if isinstance(replicas, int) else 1
    return total if found else None


def _scaled(value: Any, replicas: int | None) -> int | None:
    """An IntOrString of a PDB as a pod count: percentages of the replicas rounded up (Kubernetes' rule, docs
    "Specifying a Disruption Budget for your Application", rounding logic)."""
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%") and text[:-1].isdigit():
        if replicas is None:
            return None
        return math.ceil(replicas * int(text[:-1]) / 100)
    return int(text) if text.isdigit() else None


def allowed_disruptions(spec: Mapping[str, Any], replicas: int | None) -> int | None:
    """How many pods a PDB lets a drain evict at once with `replicas` healthy pods; None when it cannot be told
    offline (a percentage or minAvailable without a known workload)."""
    if "maxUnavailable" in spec:
        value = spec["maxUnavailable"]
        if str(value) in ("0", "0%"):
            return 0
        return _scaled(value, replicas if replicas is not None else None)
    if "minAvailable" in spec:
        value = spec["minAvailable"]
        if str(value) == "100%":
            return 0
        needed = _scaled(value, replicas)
        if needed is None or replicas is None:
            return None
        return max(0, replicas - needed)
    return None


def check_pdbs(objects: list[KubeObject], report: Preflight) -> None:
    """Every PodDisruptionBudget must let a node drain evict at least one pod (else node group and Karpenter rolls
    stop at its pods)."""
    pdbs = [o for o in objects if o.kind == "PodDisruptionBudget" and o.api_version.startswith("policy/")]
    for pdb in pdbs:
        spec = pdb.body.get("spec") or {}
        replicas = _replicas(objects, pdb)
        allowed = allowed_disruptions(spec, replicas)
        if allowed is not None and allowed < 1:
            rule = (
                f"maxUnavailable {spec['maxUnavailable']}"
                if "maxUnavailable" in spec
                else f"minAvailable {spec.get('minAvailable')}"
            )
            of = f" of {replicas} replica(s)" if replicas is not None else ""
            report.blockers.append(
                f"{pdb.where}: PodDisruptionBudget {_ident(pdb)} allows no disruption ({rule}{of}): node drains "
                "would stop at its pods; set maxUnavailable to 1 or more (or add replicas above minAvailable)"
            )
    report.checked["disruption budgets"] = report.checked.get("disruption budgets", 0) + len(pdbs)


def check_addon_pdbs(plan: Plan, report: Preflight) -> None:
    """The disruption budgets EKS managed add-ons create from their configuration values (CoreDNS's
    `podDisruptionBudget` with its `replicaCount`): the same rule as for PodDisruptionBudget objects."""
    import json

    for r in plan.resources:
        if r.type != "aws:eks/addon:Addon" or not isinstance(r.inputs.get("configurationValues"), str):
            continue
        try:
            values = json.loads(r.inputs["configurationValues"])
        except ValueError:
            continue
        pdb = values.get("podDisruptionBudget") if isinstance(values, Mapping) else None
        if not isinstance(pdb, Mapping) or pdb.get("enabled") is False:
            continue
        replicas = values.get("replicaCount") if isinstance(values.get("replicaCount"), int) else None
        allowed = allowed_disruptions(pdb, replicas)
        report.checked["disruption budgets"] = report.checked.get("disruption budgets", 0) + 1
        if allowed is not None and allowed < 1:
            report.blockers.append(
                f"{r.name} (EKS add-on {r.inputs.get('addonName')}): its podDisruptionBudget {dict(pdb)} allows no "
                f"disruption with {replicas} replica(s): set maxUnavailable to 1 or more in platform:addons"
            )


def check_node_groups(plan: Plan, cfg: StackConfig, report: Preflight) -> None:
    """Every managed node group has an update config that lets it roll (EKS replaces nodes maxUnavailable at a
    time)."""
    index = {p.name: i for i, p in enumerate(cfg.node_pools)}
    groups = [r for r in plan.resources if r.type == "aws:eks/nodeGroup:NodeGroup"]
    for r in groups:
        prefix = str(r.inputs.get("nodeGroupNamePrefix") or "")
        pool = prefix[:-1] if prefix.endswith("-") else r.name
        update = r.inputs.get("updateConfig") or {}
        count = update.get("maxUnavailable") or 0
        percent = update.get("maxUnavailablePercentage") or 0
        if not (isinstance(count, int) and count >= 1) and not (isinstance(percent, int) and percent >= 1):
            where = f"platform:nodePools[{index[pool]}].maxUnavailable" if pool in index else r.name
            report.blockers.append(
                f"{r.name} (managed node group {pool}): no update config that lets it roll (updateConfig "
                f"{dict(update) or 'missing'}): set {where} to 1 or more"
            )
    report.checked["managed node groups"] = len(groups)


def budgets_block_drift(budgets: list[Mapping[str, Any]]) -> bool:
    """Whether an always-active budget allows no drifted node to be replaced."""
    for b in budgets:
        zero = str(b.get("nodes")) in ("0", "0%")
        always = not b.get("schedule")
        reasons = b.get("reasons")
        if zero and always and (not reasons or "Drifted" in reasons):
            return True
    return False


def check_karpenter_pools(plan: Plan, cfg: StackConfig, report: Preflight) -> None:
    """Every Karpenter NodePool has disruption budgets, and they let drift replace nodes (stage 5)."""
    index = {p.name: i for i, p in enumerate(cfg.karpenter.node_pools)}
    pools = [r for r in plan.resources if r.type == "kubernetes:karpenter.sh/v1:NodePool"]
    for r in pools:
        name = str((r.inputs.get("metadata") or {}).get("name") or r.name)
        where = f"platform:karpenter.nodePools[{index[name]}].disruptionBudgets" if name in index else r.name
        budgets = ((r.inputs.get("spec") or {}).get("disruption") or {}).get("budgets") or []
        if not budgets:
            report.blockers.append(f"{r.name} (Karpenter NodePool {name}): no disruption budgets: set {where}")
        elif budgets_block_drift(budgets):
            report.blockers.append(
                f"{r.name} (Karpenter NodePool {name}): a budget of 0 nodes is always active for drift, so its nodes "
                f"never move to the new minor: give {where} a budget above 0 (or a schedule)"
            )
    report.checked["Karpenter NodePools"] = len(pools)


def check_matrix(cfg: StackConfig, plan: Plan, target: str, report: Preflight) -> None:
    """Every EKS add-on, chart and pin of the stack has a version for the target minor (components/versions.py)."""
    from components.addons.catalog import CATALOG, enabled_addons

    row = version_matrix.row(target)
    enabled = enabled_addons(cfg.addons, cfg.production)
    eks = ["eks-pod-identity-agent", *(a for a in enabled if CATALOG[a].kind == "eks")]
    for addon in eks:
        if addon not in row.eks_addons:
            report.blockers.append(
                f"EKS add-on {addon}: no version for Kubernetes {target} in the version matrix: add it to "
                f"components/versions.py EKS_ADDON_VERSIONS[{target!r}] (`aws eks describe-addon-versions "
                f"--kubernetes-version {target} --addon-name {addon}`)"
            )
    charts = [a for a in enabled if CATALOG[a].kind == "helm"]
    if cfg.gitops.enabled:
        charts.append("argo-cd")
    if cfg.karpenter.enabled:
        charts.append("karpenter")
    for key in charts:
        if key in versions.HELM_CHARTS and not row.charts.get(key):
            report.blockers.append(
                f"chart {key} {versions.HELM_CHARTS[key]['version']}: its kubeVersion "
                f"{versions.CHART_KUBE_VERSIONS.get(key)!r} rejects Kubernetes {target}: pin a version that admits it "
                "(components/versions.py HELM_CHARTS, then `platformctl charts lock`)"
            )
    if "cluster-autoscaler" in enabled and "cluster-autoscaler" not in row.images:
        report.blockers.append(
            f"cluster-autoscaler: no image for Kubernetes {target}: add CLUSTER_AUTOSCALER_IMAGE_TAGS[{target!r}]"
        )
    if cfg.karpenter.enabled:
        if row.karpenter is None:
            low, high = versions.KARPENTER_KUBERNETES_RANGE
            report.blockers.append(
                f"Karpenter {versions.HELM_CHARTS['karpenter']['version']} supports Kubernetes {low}-{high}, not "
                f"{target}: pin a release that does (components/versions.py HELM_CHARTS['karpenter'])"
            )
        alias = cfg.karpenter.ami_selector_alias
        if cfg.karpenter.ami_pinned and alias not in row.ami_aliases:
            known = versions.KARPENTER_AMI_RELEASES.get(alias)
            why = (
                f"publishes {', '.join(known)}" if known else "is not in components/versions.py KARPENTER_AMI_RELEASES"
            )
            report.blockers.append(
                f"platform:karpenter.amiSelectorAlias {alias}: the release {why}, not Kubernetes {target}: after the "
                f"control plane Karpenter would find no AMI; pin a release that publishes {target} "
                f"({', '.join(row.ami_aliases) or 'none known'}; `platformctl versions check {cfg.stack}`)"
            )
    failed = [e for e in plan.expansions if e.status == "failed"]
    for e in failed:
        report.blockers.append(f"{e.name}: {e.label} does not render for Kubernetes {target}: {e.reason}")
    not_expanded = [e for e in plan.expansions if e.status == "not-expanded"]
    if not_expanded:
        report.notes.append(
            f"{len(not_expanded)} chart(s) not expanded offline ({', '.join(sorted(e.label for e in not_expanded))}): "
            "their rendered objects were not checked against the target's APIs (`platformctl charts pull`)"
        )
    report.checked["pins"] = len(eks) + len(charts)


def preflight(
    cfg: StackConfig, plan: Plan, manifests: list[Manifest], target: str, render_problems: Iterable[str] = ()
) -> Preflight:
    """Every offline check of an upgrade to `target`, on the plan of the target state (every layer at `target`) and
    the platform/ objects rendered for it."""
    report = Preflight()
    check_matrix(cfg, plan, target, report)
    objects = stack_objects(plan)
    platform = manifest_objects(manifests)
    check_apis([*objects, *platform], target, report)
    check_pdbs(objects, report)
    check_pdbs(platform, report)
    check_addon_pdbs(plan, report)
    check_node_groups(plan, cfg, report)
    if cfg.karpenter.enabled:
        check_karpenter_pools(plan, cfg, report)
    for problem in render_problems:
        report.blockers.append(problem)
    return report


# ------------------------------------------------------------------------------------------------ EKS Upgrade Insights


def insights_client(region: str) -> Any | None:
    """An EKS client, or None when no AWS credentials can be found (the insights are then skipped)."""
    import boto3
    import botocore.session
    from botocore.config import Config

    if botocore.session.get_session().get_credentials() is None:
        return None
    # Read-only and advisory: a slow or unreachable EKS API is one note, not a stuck upgrade.
    config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"})
    return boto3.session.Session(region_name=region).client("eks", config=config)


def upgrade_insights(eks: Any, cluster: str, target: str, report: Preflight) -> None:
    """EKS Upgrade Insights of the cluster for the target minor: ERROR is a blocker, WARNING and UNKNOWN are notes.
    A cluster EKS cannot answer for (not created yet, no permission, no network) is one note."""
    try:
        insights: list[Mapping[str, Any]] = []
        kwargs: dict[str, Any] = {
            "clusterName": cluster,
            "filter": {"categories": ["UPGRADE_READINESS"], "kubernetesVersions": [target]},
        }
        while True:
            page = eks.list_insights(**kwargs)
            insights.extend(page.get("insights", []))
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        for item in insights:
            status = (item.get("insightStatus") or {}).get("status", "UNKNOWN")
            if status == "PASSING":
                continue
            detail = eks.describe_insight(clusterName=cluster, id=item["id"]).get("insight", {})
            resources = [
                r.get("kubernetesResourceUri") or r.get("arn") or ""
                for r in detail.get("resources", [])
                if (r.get("insightStatus") or {}).get("status") != "PASSING"
            ]
            what = f"EKS Upgrade Insight {item.get('name')!r} ({status})"
            reason = (item.get("insightStatus") or {}).get("reason") or item.get("description") or ""
            line = f"{what}: {reason}".rstrip(": ")
            if resources:
                line += f" - {', '.join(r for r in resources[:5] if r)}" + (
                    f" and {len(resources) - 5} more" if len(resources) > 5 else ""
                )
            if detail.get("recommendation"):
                line += f": {detail['recommendation']}"
            (report.blockers if status == "ERROR" else report.notes).append(line)
        report.checked["EKS Upgrade Insights"] = len(insights)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
        report.notes.append(
            f"EKS Upgrade Insights of {cluster}: not read ({code or type(exc).__name__}: {str(exc).splitlines()[0]})"
        )


# ------------------------------------------------------------------------------------------------ offline runs


@dataclass
class DryRun:
    upgrade: Upgrade
    preflight: Preflight
    changes: list[tuple[Step, list[ResourceChange]]]  # per step, what its plan changes


def plan_text(stack: str, text: str, project_dir: Path) -> Plan:
    """The offline plan of a stack file's text (written to a temporary file beside nothing)."""
    from platformctl.engine import run_plan

    with tempfile.TemporaryDirectory(prefix="platformctl-upgrade-") as tmp:
        path = Path(tmp) / f"Pulumi.{stack}.yaml"
        path.write_text(text)
        return run_plan(stack, config_file=path, project_dir=project_dir)


def target_state(text: str, up: Upgrade, cfg: StackConfig) -> str:
    """The stack file once every layer is at the target."""
    return checked_text(text, Layers(up.target, {}), up.source, up.target, up.stack)


def run_preflight(
    cfg: StackConfig,
    up: Upgrade,
    target_plan: Plan,
    project_dir: Path,
    *,
    insights: Callable[[str], Any] | None = insights_client,
) -> Preflight:
    """Pre-flight of `up` from the target state's plan, `platform/` rendered for the target, and (with credentials)
    EKS Upgrade Insights."""
    from components import naming
    from components.chart_cache import cache_dir
    from platformctl.platform_tree import render

    manifests, problems = render(project_dir, cfg.environment.name, up.target, cache_dir(project_dir))
    report = preflight(target_plan.config, target_plan, manifests, up.target, problems)
    client = None
    if insights is not None:
        with contextlib.suppress(Exception):
            client = insights(cfg.region)
    if client is None:
        report.notes.append("EKS Upgrade Insights: skipped (no AWS credentials; the checks above are all offline)")
    else:
        upgrade_insights(client, naming.cluster_name(cfg.environment.name), up.target, report)
    return report


def live_preflight(
    cfg: StackConfig, up: Upgrade, text: str, project_dir: Path, *, insights: Callable[[str], Any] | None = None
) -> Preflight:
    """The pre-flight before a live upgrade: the target state planned offline, then `run_preflight`."""
    target_plan = plan_text(up.stack, target_state(text, up, cfg), project_dir)
    return run_preflight(cfg, up, target_plan, project_dir, insights=insights or insights_client)


def dry_run(
    cfg: StackConfig,
    text: str,
    up: Upgrade,
    project_dir: Path,
    *,
    insights: Callable[[str], Any] | None = insights_client,
) -> DryRun:
    """Plan the stack as it is and after each remaining stage (stage 4 once, its changes split per node group), diff
    each against the one before, and run the pre-flight on the final state."""
    current = plan_text(up.stack, text, project_dir)
    texts = step_texts(text, up, cfg)
    changes: list[tuple[Step, list[ResourceChange]]] = []
    previous = current
    final = current
    pending_pools: list[Step] = []
    for i, (step, new_text) in enumerate(texts):
        last_of_stage_4 = step.stage == 4 and (i + 1 == len(texts) or texts[i + 1][0].stage != 4)
        if step.stage == 4 and not last_of_stage_4:
            pending_pools.append(step)
            continue
        planned = plan_text(up.stack, new_text, project_dir)
        diff = diff_plans(previous, planned)
        if step.stage == 4:
            pools = [*pending_pools, step]
            for s in pools:
                changes.append((s, [c for c in diff if pool_of(c) == s.pool]))
            others = [c for c in diff if pool_of(c) not in {s.pool for s in pools}]
            if others:
                changes[-1] = (changes[-1][0], [*changes[-1][1], *others])
            pending_pools = []
        else:
            changes.append((step, diff))
        previous = final = planned
    if not texts:
        final = current
    report = run_preflight(cfg, up, final, project_dir, insights=insights)
    return DryRun(up, report, changes)


def stage_edit(step: Step, up: Upgrade) -> str:
    """What a step writes in the stack file, in words."""
    if step.stage == 1 and step.hold:
        return (
            f"platform:cluster.dataPlane holds every layer at {up.source} (version unchanged): each Karpenter NodePool "
            "gets a Drifted budget of 0 before the control plane moves"
        )
    if step.stage == 1:
        held = "add-ons, charts, node groups" + (", Karpenter" if up.karpenter else "")
        return f'platform:cluster.version: "{up.target}"; {held} held at {up.source} in platform:cluster.dataPlane'
    if step.stage == 2:
        return f"platform:cluster.dataPlane.addons removed: the add-ons take {up.target}'s row of the version matrix"
    if step.stage == 3:
        return f"platform:cluster.dataPlane.charts removed: the in-cluster pins follow {up.target}"
    if step.stage == 4:
        return f"platform:cluster.dataPlane.nodeGroups.{step.pool} removed: node group {step.pool} runs {up.target}"
    return "platform:cluster.dataPlane.karpenter removed: the drift hold is lifted"


def render_dry_run(result: DryRun) -> list[str]:
    up = result.upgrade
    out = [f"upgrade {up.stack}: Kubernetes {up.source} -> {up.target} (dry run: nothing is changed)"]
    moving = version_matrix.changes(up.source, up.target)
    for layer, rows in moving.items():
        if rows:
            out.append(
                f"  version matrix {up.source} -> {up.target}, {layer}: "
                + ", ".join(f"{n} {a} -> {b}" for n, a, b in rows)
            )
    out.append("")
    out.extend(result.preflight.lines())
    out.append("")
    for stage in range(1, STAGES + 1):
        steps = [(s, c) for s, c in result.changes if s.stage == stage]
        done = [s for s in up.done if s.stage == stage]
        header = f"stage {stage}/{STAGES}: {STAGE_TITLES[stage]}"
        if not steps:
            if stage == 5 and not up.karpenter:
                out.append(f"{header}: nothing to do (Karpenter is off)")
            elif done:
                out.append(f"{header}: done (the stack file says so)")
            continue
        out.append(f"{header} ({sum(len(c) for _, c in steps)} change(s))")
        for step, changes in steps:
            if len(steps) > 1:  # stage 1 with Karpenter's hold first, stage 4 per node group
                out.append(f"  {step.title}: {stage_edit(step, up)}")
            else:
                out.append(f"  {stage_edit(step, up)}")
            out.extend(f"    {c.line()}" for c in changes)
            if not changes:
                out.append("    no changes")
    return out
