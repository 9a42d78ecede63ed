"""The Kubernetes policies of pack `eks-platform-kubernetes`, as pure functions over the engine's view of objects.

The rule logic lives in `pss` (Pod Security Standards) and `workloads`; this module maps Pulumi type tokens to
Kubernetes objects, applies each policy's config (policies.rules.config) and turns violations into messages.
A Kubernetes resource's inputs are the object itself (apiVersion, kind, metadata, spec...); values unknown at
preview read as missing, which those rules skip.

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

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from . import pss, workloads
from .config import resolve
from .values import Finding, StackResource, strip_unknowns

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


def k8s_object(type_token: str, props: Props) -> dict[str, Any] | None:
    """The Kubernetes object a resource's inputs describe (kind filled in from the type token), or None."""
    kind = KIND_OF_TYPE.get(type_token)
    if kind is None:
        return None
    obj = strip_unknowns(dict(props))
    obj["kind"] = kind
    return obj


def namespace_of(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata")
    ns = meta.get("namespace") if isinstance(meta, Mapping) else None
    return ns if isinstance(ns, str) and ns else "default"


def _name_of(obj: Mapping[str, Any]) -> str | None:
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return name if isinstance(name, str) and name else None


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
    if type_token == NAMESPACE_TYPE and state is not None:
        obj = k8s_object(type_token, props)
        if obj is not None:
            state.remember_namespace(obj)
        return []
    kind = POD_TYPES.get(type_token)
    if kind is None:
        return []
    obj = k8s_object(type_token, props)
    assert obj is not None
    if namespace_of(obj) in cfg["exemptNamespaces"]:
        return []
    level, version = cfg["level"], cfg["version"]
    if state is not None:
        level, version = workloads.effective_pss_level(obj, state.snapshot(), level, version)
        if urn:
            state.record(urn, level, version)
    if level == "privileged":
        return []
    return _pss_messages(level, version, pss.evaluate(obj, level, version, kind=kind))


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
            obj = k8s_object(r.type, r.props)
            if obj is not None and (name := _name_of(obj)):
                namespaces[name] = obj
    findings: list[Finding] = []
    for r in resources:
        kind = POD_TYPES.get(r.type)
        if kind is None:
            continue
        obj = k8s_object(r.type, r.props)
        assert obj is not None
        if namespace_of(obj) in cfg["exemptNamespaces"]:
            continue
        level, version = workloads.effective_pss_level(obj, namespaces, cfg["level"], cfg["version"])
        used = (state.used.get(r.urn) if state is not None else None) or (cfg["level"], cfg["version"])
        if (level, version) == used or level == "privileged":
            continue
        reported = set()
        if used[0] != "privileged":
            reported = {(v.check, v.path) for v in pss.evaluate(obj, used[0], used[1], kind=kind)}
        new = [v for v in pss.evaluate(obj, level, version, kind=kind) if (v.check, v.path) not in reported]
        findings += [Finding(r.urn, m) for m in _pss_messages(level, version, new)]
    return findings


# --- namespace-pod-security-labels

_RECOMMENDED = (workloads.PSA_ENFORCE_VERSION, workloads.PSA_AUDIT, workloads.PSA_WARN)


def check_namespace_labels(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"minimumLevel": "baseline"|"restricted", "requireAllLabels": bool, "exemptNamespaces": [...]}."""
    if type_token != NAMESPACE_TYPE:
        return []
    cfg = resolve("namespace-pod-security-labels", config)
    obj = k8s_object(type_token, props)
    assert obj is not None
    name = _name_of(obj)
    if name in cfg["exemptNamespaces"]:
        return []
    wanted = set(workloads.PSA_REQUIRED_CHECKS) | (set(_RECOMMENDED) if cfg["requireAllLabels"] else set())
    out = [_msg(v) for v in workloads.namespace_psa_labels(obj) if v.check in wanted]
    labels = (obj.get("metadata") or {}).get("labels") or {}
    enforce = labels.get(workloads.ENFORCE_LABEL) if isinstance(labels, Mapping) else None
    minimum = cfg["minimumLevel"]
    if enforce in LEVEL_RANK and LEVEL_RANK[enforce] < LEVEL_RANK[minimum]:
        out.append(
            f'Namespace "{name or "<unnamed>"}": label {workloads.ENFORCE_LABEL} is "{enforce}", below this '
            f'environment\'s minimum: set it to "{minimum}" or stricter, or exempt the namespace in the policy config'
        )
    return out


# --- workload-resources, image-pinned, loadbalancer-internal


def _exempt(obj: Mapping[str, Any], cfg: Mapping[str, Any]) -> bool:
    return namespace_of(obj) in cfg.get("exemptNamespaces", [])


def check_workload_resources(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"exemptNamespaces": [...]}."""
    if type_token not in POD_TYPES:
        return []
    cfg = resolve("workload-resources", config)
    obj = k8s_object(type_token, props)
    assert obj is not None
    return [] if _exempt(obj, cfg) else [_msg(v) for v in workloads.resources_set(obj)]


def check_image_pinned(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"allowedRegistries": [prefix...], "exemptNamespaces": [...]}."""
    if type_token not in POD_TYPES:
        return []
    cfg = resolve("image-pinned", config)
    obj = k8s_object(type_token, props)
    assert obj is not None
    if _exempt(obj, cfg):
        return []
    return [_msg(v) for v in workloads.image_pinned(obj, cfg["allowedRegistries"])]


def check_loadbalancer_internal(type_token: str, props: Props, config: Mapping[str, Any] | None = None) -> list[str]:
    """config: {"allowList": ["namespace/name" or "name", ...]}."""
    if type_token != SERVICE_TYPE:
        return []
    cfg = resolve("loadbalancer-internal", config)
    obj = k8s_object(type_token, props)
    assert obj is not None
    return [_msg(v) for v in workloads.lb_service_internal(obj, cfg["allowList"])]


# --- namespace-default-deny


def check_namespace_default_deny(
    resources: Iterable[StackResource], config: Mapping[str, Any] | None = None
) -> list[Finding]:
    """config: {"exemptNamespaces": [...]}. Reported on the Namespace resource."""
    cfg = resolve("namespace-default-deny", config)
    objects: list[dict[str, Any]] = []
    urn_of_namespace: dict[str, str] = {}
    for r in resources:
        obj = k8s_object(r.type, r.props)
        if obj is None:
            continue
        objects.append(obj)
        if r.type == NAMESPACE_TYPE and (name := _name_of(obj)):
            urn_of_namespace[name] = r.urn
    return [
        Finding(urn_of_namespace.get(v.namespace, ""), v.message)
        for v in workloads.namespaces_without_default_deny(objects)
        if v.namespace not in cfg["exemptNamespaces"]
    ]


RULES = {
    "namespace-pod-security-labels": check_namespace_labels,
    "workload-resources": check_workload_resources,
    "image-pinned": check_image_pinned,
    "loadbalancer-internal": check_loadbalancer_internal,
}
STACK_RULES = {"namespace-default-deny": check_namespace_default_deny}
