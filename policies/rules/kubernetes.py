"""The Kubernetes policies of pack `eks-platform-kubernetes`, as pure functions over the engine's view of objects.

The rule logic lives in `pss` (Pod Security Standards) and `workloads`; this module maps Pulumi type tokens to
Kubernetes objects, applies each policy's config (policies.rules.config) and turns violations into messages.
A Kubernetes resource's inputs are the object itself (apiVersion, kind, metadata, spec...). Two things happen to
it before a rule reads it:

* Shape (`shapes`): every field a policy reads must have its Kubernetes type; a field that does not is a
  violation naming it, and is removed before the rule runs - so no input can crash a rule or slip past it.
* Unknowns: a value unknown at preview reads as missing, and the fields read are tracked (`_Tracked`). A
  violation whose evaluation read an unknown in the same container (or at pod level) is not proven: it becomes
  an advisory `Deferred` "cannot be checked until apply" message, never a mandatory violation.

`pod-security-standards` runs in both phases of an analysis, under one name and one config:

* per resource (Analyze): the configured level/version; or, when the object's Namespace was already analysed in
  this pack process with `pod-security.kubernetes.io/enforce` (`-version`) labels, those labels (the engine
  analyses a Namespace before the workloads that reference it). `PssState` remembers, per URN, the level used.
* per stack (AnalyzeStack): with every Namespace of the stack known, the effective level of each object is
  recomputed; where it differs from the one used per resource (the Namespace came later), only the violations
  not already reported are added - nothing is reported twice. A Namespace label can lower the level as well as
  raise it, except in that late case, where the per-resource report (at the configured level) stands.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from . import pss, shapes, workloads
from .config import resolve
from .values import Deferred, Finding, StackResource, is_unknown

PSS_POLICY = "pod-security-standards"
NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
SERVICE_TYPE = "kubernetes:core/v1:Service"
NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
# Every pod-bearing kind, by the type token the Pulumi Kubernetes provider registers it under.
POD_TYPES: dict[str, str] = {
    "kubernetes:core/v1:Pod": "Pod",
    "kubernetes:core/v1:PodTemplate": "PodTemplate",
    "kubernetes:core/v1:ReplicationController": "ReplicationController",
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
    "kubernetes:apps/v1:DaemonSet": "DaemonSet",
    "kubernetes:apps/v1:ReplicaSet": "ReplicaSet",
    "kubernetes:batch/v1:Job": "Job",
    "kubernetes:batch/v1:CronJob": "CronJob",
}
KIND_OF_TYPE = {**POD_TYPES, NAMESPACE_TYPE: "Namespace", SERVICE_TYPE: "Service", NETWORK_POLICY_TYPE: "NetworkPolicy"}
LEVEL_RANK = {"privileged": 0, "baseline": 1, "restricted": 2}

Props = Mapping[str, Any]


def k8s_object(type_token: str, props: Props, schema: Any = None) -> tuple[dict[str, Any] | None, list[str]]:
    """(the Kubernetes object a resource's inputs describe, kind filled in from the type token; shape problems
    as messages). With `schema`, fields of the wrong shape are removed (and reported). Unknowns stay UNKNOWN."""
    kind = KIND_OF_TYPE.get(type_token)
    if kind is None:
        return None, []
    obj: Any = dict(props)
    problems: list[pss.Violation] = []
    if schema is not None:
        obj, problems = shapes.sanitize(obj, schema)
    obj["kind"] = kind
    return obj, [_msg(v) for v in problems]


def namespace_of(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata")
    ns = meta.get("namespace") if isinstance(meta, Mapping) else None
    return ns if isinstance(ns, str) and ns else "default"


def _name_of(obj: Mapping[str, Any]) -> str | None:
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return name if isinstance(name, str) and name else None


# --- values unknown at preview


def has_unknown(value: Any) -> bool:
    """Whether anything in `value` is unknown (iterative: a value may nest thousands of levels deep)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if is_unknown(item):
            return True
        if isinstance(item, Mapping):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class _Tracked(Mapping):
    """A read-only view of a dict in which UNKNOWN reads as None (missing) and every such read is recorded by
    its path from the object's root, so a violation can tell whether it rests on something not known yet."""

    __slots__ = ("_path", "_reads", "_target")

    def __init__(self, target: Mapping[str, Any], path: str, reads: set[str]) -> None:
        self._target, self._path, self._reads = target, path, reads

    def __getitem__(self, key: str) -> Any:
        return _track(self._target[key], shapes.field_path(self._path, str(key)), self._reads)

    def __iter__(self) -> Iterator[str]:
        return iter(self._target)

    def __len__(self) -> int:
        return len(self._target)


class _TrackedList(Sequence):
    __slots__ = ("_path", "_reads", "_target")

    def __init__(self, target: list[Any], path: str, reads: set[str]) -> None:
        self._target, self._path, self._reads = target, path, reads

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._target)))]
        return _track(self._target[index], f"{self._path}[{index}]", self._reads)

    def __len__(self) -> int:
        return len(self._target)


def _track(value: Any, path: str, reads: set[str]) -> Any:
    if is_unknown(value):
        reads.add(path)
        return None
    if isinstance(value, Mapping):
        return _Tracked(value, path, reads)
    if isinstance(value, list):
        return _TrackedList(value, path, reads)
    return value


_UNIT = re.compile(r"^.*?\[\d+\]")


def _unit(path: str) -> str | None:
    """The list item a path lies in (a container, a volume, a sysctl...): what one violation can depend on
    besides the pod-level fields."""
    match = _UNIT.match(path)
    return match.group(0) if match else None


def _depends_on(path: str, reads: Iterable[str]) -> list[str]:
    """The unknown fields among `reads` that a violation at `path` may depend on: those at pod level, and those
    in its own list item; a pod-level violation depends on every one."""
    unit = _unit(path)
    return sorted(r for r in reads if unit is None or _unit(r) is None or _unit(r) == unit)


def _split(
    obj: dict[str, Any], rule: Callable[[Any], list[pss.Violation]]
) -> tuple[list[pss.Violation], list[tuple[pss.Violation, list[str]]]]:
    """Run `rule` on `obj`: (violations proven, violations resting on unknown fields with those fields)."""
    if not has_unknown(obj):
        return rule(obj), []
    reads: set[str] = set()
    proven, deferred = [], []
    for v in rule(_Tracked(obj, "", reads)):
        fields = _depends_on(v.path, reads)
        if fields:
            deferred.append((v, fields))
        else:
            proven.append(v)
    return proven, deferred


def _deferred(items: Iterable[tuple[pss.Violation, list[str]]], prefix: str = "") -> list[str]:
    out = []
    for v, fields in items:
        shown = ", ".join(f"`{f}`" for f in fields[:3]) + (f" and {len(fields) - 3} more" if len(fields) > 3 else "")
        out.append(Deferred(f"cannot be checked until apply ({shown} unknown at preview): {prefix}{_msg(v)}"))
    return out


def _msg(v: pss.Violation) -> str:
    return f"{v.message} [{v.path}]" if v.path and v.path not in v.message else v.message


# --- pod-security-standards


class PssState:
    """What one pack process has seen so far: declared Namespaces, and the (level, version) used per URN."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.namespaces: dict[str, dict[str, Any]] = {}
        self.used: dict[str, tuple[str, str]] = {}

    def remember_namespace(self, obj: dict[str, Any]) -> None:
        name = _name_of(obj)
        if name:
            with self._lock:
                self.namespaces[name] = obj

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self.namespaces)

    def record(self, urn: str, level: str, version: str) -> None:
        with self._lock:
            self.used[urn] = (level, version)


def _pss_messages(level: str, version: str, violations: Iterable[pss.Violation]) -> list[str]:
    return [f"Pod Security Standard {level} ({version}): {_msg(v)}" for v in violations]


def _known_namespace(type_token: str, props: Props) -> dict[str, Any] | None:
    """A Namespace as the level lookup reads it: labels of the wrong shape, or unknown, are left out."""
    obj, _ = k8s_object(type_token, props, shapes.NAMESPACE)
    if obj is None:
        return None
    labels = (obj.get("metadata") or {}).get("labels") if isinstance(obj.get("metadata"), Mapping) else None
    if isinstance(labels, Mapping):
        obj["metadata"] = {**obj["metadata"], "labels": {k: v for k, v in labels.items() if isinstance(v, str)}}
    return obj


def _pss_evaluate(
    obj: dict[str, Any], level: str, version: str, kind: str
) -> tuple[list[pss.Violation], list[tuple[pss.Violation, list[str]]]]:
    """pss.evaluate, check by check, so that an unknown read by one check defers only that check's violations."""
    proven: list[pss.Violation] = []
    deferred: list[tuple[pss.Violation, list[str]]] = []
    checks = pss.checks_for(level, version)
    for check_id, check in checks:

        def one(o: Any, check_id: str = check_id, check: Any = check) -> list[pss.Violation]:
            return [
                pss.Violation(check_id, message, prefix + path)
                for prefix, meta, spec in pss.pod_templates(o, kind)
                for path, message in check(meta, spec)
            ]

        p, d = _split(obj, one)
        proven += p
        deferred += d
    return proven, deferred


def _pss_object(type_token: str, props: Props) -> tuple[dict[str, Any] | None, list[str]]:
    kind = POD_TYPES.get(type_token, "")
    return k8s_object(type_token, props, shapes.workload(kind, shapes.PSS_POD_SPEC))


def _level_for(obj: dict[str, Any], namespaces: dict[str, dict[str, Any]], cfg: Mapping[str, Any]) -> tuple[str, str]:
    if is_unknown((obj.get("metadata") or {}).get("namespace") if isinstance(obj.get("metadata"), Mapping) else None):
        return cfg["level"], cfg["version"]  # which namespace is not known yet: the configured level
    return workloads.effective_pss_level(obj, namespaces, cfg["level"], cfg["version"])


def check_pod_security(
    type_token: str,
    props: Props,
    config: Mapping[str, Any] | None = None,
    *,
    state: PssState | None = None,
    urn: str = "",
) -> list[str]:
    """config: {"level": "baseline"|"restricted", "version": "latest"|"v1.25".., "exemptNamespaces": [...]}."""
    cfg = resolve(PSS_POLICY, config)
    if type_token == NAMESPACE_TYPE:
        if state is not None and (ns := _known_namespace(type_token, props)) is not None:
            state.remember_namespace(ns)
        return []
    kind = POD_TYPES.get(type_token)
    if kind is None:
        return []
    obj, problems = _pss_object(type_token, props)
    assert obj is not None
    if _exempt(obj, cfg):
        return []
    level, version = cfg["level"], cfg["version"]
    if state is not None:
        level, version = _level_for(obj, state.snapshot(), cfg)
        if urn:
            state.record(urn, level, version)
    if level == "privileged":
        return problems
    proven, deferred = _pss_evaluate(obj, level, version, kind)
    return (
        problems
        + _pss_messages(level, version, proven)
        + _deferred(deferred, f"Pod Security Standard {level} ({version}): ")
    )


def check_pod_security_stack(
    resources: Iterable[StackResource], config: Mapping[str, Any] | None = None, *, state: PssState | None = None
) -> list[Finding]:
    """The stack phase: objects whose effective level (from the stack's Namespaces) differs from the one used
    per resource get the violations that were not reported yet."""
    cfg = resolve(PSS_POLICY, config)
    resources = list(resources)
    namespaces: dict[str, dict[str, Any]] = {}
    for r in resources:
        if r.type == NAMESPACE_TYPE:
            obj = _known_namespace(r.type, r.props)
            if obj is not None and (name := _name_of(obj)):
                namespaces[name] = obj
    findings: list[Finding] = []
    for r in resources:
        kind = POD_TYPES.get(r.type)
        if kind is None:
            continue
        obj, _ = _pss_object(r.type, r.props)  # shape problems were reported per resource
        assert obj is not None
        if _exempt(obj, cfg):
            continue
        level, version = _level_for(obj, namespaces, cfg)
        used = (state.used.get(r.urn) if state is not None else None) or (cfg["level"], cfg["version"])
        if (level, version) == used or level == "privileged":
            continue
        reported: set[tuple[str, str]] = set()
        if used[0] != "privileged":
            proven, deferred = _pss_evaluate(obj, used[0], used[1], kind)
            reported = {(v.check, v.path) for v in proven} | {(v.check, v.path) for v, _ in deferred}
        proven, deferred = _pss_evaluate(obj, level, version, kind)
        new = [v for v in proven if (v.check, v.path) not in reported]
        later = [(v, f) for v, f in deferred if (v.check, v.path) not in reported]
        prefix = f"Pod Security Standard {level} ({version}): "
        findings += [Finding(r.urn, m) for m in _pss_messages(level, version, new) + _deferred(later, prefix)]
    return findings


# --- namespace-pod-security-labels

_RECOMMENDED = (workloads.PSA_ENFORCE_VERSION, workloads.PSA_AUDIT, workloads.PSA_WARN)


def check_namespace_labels(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"minimumLevel": "baseline"|"restricted", "requireAllLabels": bool, "exemptNamespaces": [...]}."""
    if type_token != NAMESPACE_TYPE:
        return []
    cfg = resolve("namespace-pod-security-labels", config)
    obj, problems = k8s_object(type_token, props, shapes.NAMESPACE)
    assert obj is not None
    name = _name_of(obj)
    if name in cfg["exemptNamespaces"]:
        return []
    wanted = set(workloads.PSA_REQUIRED_CHECKS) | (set(_RECOMMENDED) if cfg["requireAllLabels"] else set())
    minimum = cfg["minimumLevel"]

    def rule(o: Any) -> list[pss.Violation]:
        found = [v for v in workloads.namespace_psa_labels(o) if v.check in wanted]
        labels = (o.get("metadata") or {}).get("labels") or {}
        enforce = labels.get(workloads.ENFORCE_LABEL) if isinstance(labels, Mapping) else None
        if enforce in LEVEL_RANK and LEVEL_RANK[enforce] < LEVEL_RANK[minimum]:
            found.append(
                pss.Violation(
                    workloads.PSA_ENFORCE,
                    f'Namespace "{name or "<unnamed>"}": label {workloads.ENFORCE_LABEL} is "{enforce}", below this '
                    f'environment\'s minimum: set it to "{minimum}" or stricter, or exempt the namespace in the '
                    "policy config",
                    f'metadata.labels["{workloads.ENFORCE_LABEL}"]',
                )
            )
        return found

    proven, deferred = _split(obj, rule)
    return problems + [_msg(v) for v in proven] + _deferred(deferred)


# --- workload-resources, image-pinned, loadbalancer-internal


def _exempt(obj: Mapping[str, Any], cfg: Mapping[str, Any]) -> bool:
    """In an exempt namespace. A namespace not known yet exempts nothing."""
    return namespace_of(obj) in cfg.get("exemptNamespaces", [])


def _workload_rule(
    type_token: str, props: Props, cfg: Mapping[str, Any], pod_spec: dict[str, Any], rule: Callable[[Any], list]
) -> list[str]:
    kind = POD_TYPES[type_token]
    obj, problems = k8s_object(type_token, props, shapes.workload(kind, pod_spec))
    assert obj is not None
    if _exempt(obj, cfg):
        return []
    proven, deferred = _split(obj, rule)
    return problems + [_msg(v) for v in proven] + _deferred(deferred)


def check_workload_resources(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"exemptNamespaces": [...]}."""
    if type_token not in POD_TYPES:
        return []
    cfg = resolve("workload-resources", config)
    return _workload_rule(type_token, props, cfg, shapes.RESOURCES_POD_SPEC, workloads.resources_set)


def check_image_pinned(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"allowedRegistries": [registry...], "exemptNamespaces": [...]}."""
    if type_token not in POD_TYPES:
        return []
    cfg = resolve("image-pinned", config)
    registries = cfg["allowedRegistries"]
    return _workload_rule(
        type_token, props, cfg, shapes.IMAGES_POD_SPEC, lambda o: workloads.image_pinned(o, registries)
    )


def check_loadbalancer_internal(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"allowList": ["namespace/name" or "name", ...]}."""
    if type_token != SERVICE_TYPE:
        return []
    cfg = resolve("loadbalancer-internal", config)
    obj, problems = k8s_object(type_token, props, shapes.SERVICE)
    assert obj is not None
    proven, deferred = _split(obj, lambda o: workloads.lb_service_internal(o, cfg["allowList"]))
    return problems + [_msg(v) for v in proven] + _deferred(deferred)


# --- namespace-default-deny


def check_namespace_default_deny(
    resources: Iterable[StackResource], config: Mapping[str, Any] | None = None
) -> list[Finding]:
    """config: {"exemptNamespaces": [...]}. Reported on the Namespace resource; a NetworkPolicy with a field of the
    wrong shape is reported on itself. A namespace one of whose NetworkPolicies is not known yet at preview (it may
    be the default-deny one) is not reported."""
    cfg = resolve("namespace-default-deny", config)
    objects: list[dict[str, Any]] = []
    urn_of_namespace: dict[str, str] = {}
    findings: list[Finding] = []
    undecided: set[str] = set()
    every_namespace_undecided = False
    for r in resources:
        schema = {NAMESPACE_TYPE: shapes.NAMESPACE, NETWORK_POLICY_TYPE: shapes.NETWORK_POLICY}.get(r.type)
        if schema is None:
            continue
        obj, problems = k8s_object(r.type, r.props, schema)
        assert obj is not None
        findings += [Finding(r.urn, m) for m in problems]
        if r.type == NETWORK_POLICY_TYPE and has_unknown(obj):
            meta = obj.get("metadata")
            ns = meta.get("namespace") if isinstance(meta, Mapping) else meta
            if is_unknown(ns):
                every_namespace_undecided = True
            else:
                undecided.add(namespace_of(obj))
            continue
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
        if r.type == NAMESPACE_TYPE and is_unknown(meta.get("name")):
            continue  # a Namespace whose name is not known yet cannot be matched with its policies
        objects.append(obj)
        if r.type == NAMESPACE_TYPE and (name := _name_of(obj)):
            urn_of_namespace[name] = r.urn
    if every_namespace_undecided:
        return findings
    return findings + [
        Finding(urn_of_namespace.get(v.namespace, ""), v.message)
        for v in workloads.namespaces_without_default_deny(objects)
        if v.namespace not in cfg["exemptNamespaces"] and v.namespace not in undecided
    ]


RULES = {
    "namespace-pod-security-labels": check_namespace_labels,
    "workload-resources": check_workload_resources,
    "image-pinned": check_image_pinned,
    "loadbalancer-internal": check_loadbalancer_internal,
}
STACK_RULES = {"namespace-default-deny": check_namespace_default_deny}
STACK_READS = {"namespace-default-deny": frozenset({NAMESPACE_TYPE, NETWORK_POLICY_TYPE}).__contains__}
# Which resource types each policy looks at (the pack checks the type before decoding anything).
APPLIES: dict[str, Callable[[str], bool]] = {
    PSS_POLICY: lambda t: t in POD_TYPES or t == NAMESPACE_TYPE,
    "namespace-pod-security-labels": lambda t: t == NAMESPACE_TYPE,
    "workload-resources": POD_TYPES.__contains__,
    "image-pinned": POD_TYPES.__contains__,
    "loadbalancer-internal": lambda t: t == SERVICE_TYPE,
}
