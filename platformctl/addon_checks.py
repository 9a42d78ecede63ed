"""Do the add-ons work as deployed? Checks over the expanded plan (every object each Helm chart renders).

The policy packs judge objects one by one; these checks look at how a chart's objects fit the cluster this stack
builds around them, the failures that leave an add-on installed but broken:

* pod-security: every pod a chart renders is admitted by its namespace's Pod Security level (the namespace's
  `pod-security.kubernetes.io/enforce` labels as the stack declares them; a namespace the stack does not label is
  `privileged`, EKS's default admission configuration). Rejected pods never start.
* network-policy: in a namespace whose NetworkPolicies deny ingress by default, every port a Service of the
  namespace routes to (the container port its `targetPort` names) is opened by a NetworkPolicy selecting those
  pods. Webhooks and aggregated APIs reach their pods through such Services: a closed port fails every admission
  request the webhook serves. (Egress beyond DNS and what the stack allows is not checked: who calls whom inside a
  namespace is not in the objects.)
* pod-identity: an add-on with an IAM role has a chart pod running as the service account its Pod Identity
  association binds; otherwise the role reaches no pod and the controller has no AWS credentials.
* image: every container image is allowed by each stack's `image-pinned` policy configuration (policies/config),
  so the add-on can be turned on in any stack.

`platformctl addons check STACK [--all-addons]` runs them (every catalog add-on on with `--all-addons`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.addons.spec import ServiceAccount
from policies.rules import pss, workloads
from policies.rules.kubernetes import NAMESPACE_TYPE, NETWORK_POLICY_TYPE, POD_TYPES, SERVICE_TYPE

CHART_TYPES = ("kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release")
# EKS runs the PodSecurity admission plugin with its defaults: an unlabelled namespace is `privileged`.
EKS_DEFAULT_LEVEL = ("privileged", "latest")


@dataclass(frozen=True)
class Finding:
    addon: str  # the add-on (or component chart) the object belongs to
    check: str  # pod-security | network-policy | pod-identity | image
    resource: str  # the object's resource name in the plan
    message: str

    def line(self) -> str:
        return f"{self.addon}: {self.check}: {self.resource}: {self.message}"


@dataclass(frozen=True)
class ChartRole:
    """A chart whose pods need AWS credentials through Pod Identity: the service account the role is bound to."""

    addon: str
    service_account: ServiceAccount


def addon_of(chart_name: str, environment: str) -> str:
    """The add-on a chart resource installs: `<env>-addons-<addon>`, `<env>-gitops-argocd`, `<env>-karpenter-chart`."""
    name = chart_name.removeprefix(f"{environment}-")
    for prefix, label in (("addons-", None), ("gitops-argocd", "argo-cd"), ("karpenter-chart", "karpenter")):
        if name.startswith(prefix):
            return label or name.removeprefix(prefix)
    return name


def _obj(r: Any) -> dict[str, Any]:
    return r.inputs if isinstance(r.inputs, dict) else {}


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _namespace(obj: Mapping[str, Any]) -> str:
    ns = _meta(obj).get("namespace")
    return ns if isinstance(ns, str) and ns else "default"


def _pod_template(obj: Mapping[str, Any], kind: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(pod metadata, pod spec) of a pod-bearing object."""
    templates = pss.pod_templates(dict(obj), kind)
    if not templates:
        return None
    _, meta, spec = templates[0]
    return (meta if isinstance(meta, dict) else {}), (spec if isinstance(spec, dict) else {})


def _selected(selector: Any, labels: Mapping[str, Any]) -> bool:
    """A label selector (matchLabels and matchExpressions) against labels; {} selects everything."""
    if not isinstance(selector, Mapping):
        return False
    match = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In" and (not present or labels[key] not in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _service_selects(service: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    selector = (service.get("spec") or {}).get("selector")
    return isinstance(selector, Mapping) and bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _container_ports(spec: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """(name, containerPort, protocol) of every container port of a pod spec."""
    out = []
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for port in container.get("ports") or []:
            if isinstance(port.get("containerPort"), int):
                out.append((str(port.get("name") or ""), port["containerPort"], str(port.get("protocol") or "TCP")))
    return out


def _target_port(port: Mapping[str, Any], pod_ports: list[tuple[str, int, str]]) -> tuple[int | None, str, str]:
    """The container port a Service port routes to on a pod: (number or None, its name, protocol)."""
    protocol = str(port.get("protocol") or "TCP")
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        name = next((n for n, p, proto in pod_ports if p == target and proto == protocol), "")
        return target, name, protocol
    for name, number, proto in pod_ports:
        if name == target and proto == protocol:
            return number, name, protocol
    return None, str(target), protocol


def _allows(policy: Mapping[str, Any], pod_labels: Mapping[str, Any], port: int, name: str, protocol: str) -> bool:
    """Whether this NetworkPolicy lets ingress reach `port` (named `name`) of a pod with these labels."""
    spec = policy.get("spec") or {}
    if not _selected(spec.get("podSelector") or {}, pod_labels):
        return False
    types = spec.get("policyTypes") or ["Ingress"]
    if "Ingress" not in types:
        return False
    for rule in spec.get("ingress") or []:
        ports = rule.get("ports")
        if not ports:
            return True
        for p in ports:
            if str(p.get("protocol") or "TCP") != protocol:
                continue
            value = p.get("port")
            if value is None:
                return True
            if isinstance(value, int):
                end = p.get("endPort") if isinstance(p.get("endPort"), int) else value
                if value <= port <= end:
                    return True
            elif value == name:
                return True
    return False


def _denies_ingress(policies: list[Mapping[str, Any]]) -> bool:
    return any("Ingress" in workloads._denies(dict(p)) for p in policies)


def check_plan(
    plan: Any,
    *,
    chart_roles: Iterable[ChartRole] = (),
    image_configs: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Finding]:
    """Every finding of the four checks over the plan's rendered chart objects."""
    environment = plan.config.environment.name
    by_urn = plan.by_urn
    charts = {r.urn: r for r in plan.resources if r.type in CHART_TYPES}
    rendered = [r for r in plan.resources if r.parent in charts]
    namespaces = {
        str(_meta(_obj(r)).get("name")): _obj(r) for r in plan.resources if r.type == NAMESPACE_TYPE and _obj(r)
    }

    def addon(r: Any) -> str:
        return addon_of(by_urn[r.parent].name, environment)

    pods = [(r, POD_TYPES[r.type]) for r in rendered if r.type in POD_TYPES]
    findings: list[Finding] = []

    # pod-security: admission with the namespace's labels.
    for r, kind in pods:
        obj = _obj(r)
        level, version = workloads.effective_pss_level(obj, namespaces, *EKS_DEFAULT_LEVEL)
        if level == "privileged":
            continue
        for v in pss.evaluate(obj, level, version, kind):
            findings.append(
                Finding(
                    addon(r),
                    "pod-security",
                    r.name,
                    f"rejected by the {_namespace(obj)} namespace's Pod Security level {level} ({version}): "
                    f"{v.message} [{v.path}]",
                )
            )

    # network-policy: every Service port open in namespaces that deny ingress.
    all_policies = [_obj(r) for r in plan.resources if r.type == NETWORK_POLICY_TYPE]
    policies_in: dict[str, list[Mapping[str, Any]]] = {}
    for p in all_policies:
        policies_in.setdefault(_namespace(p), []).append(p)
    for svc in (r for r in rendered if r.type == SERVICE_TYPE):
        service = _obj(svc)
        ns = _namespace(service)
        policies = policies_in.get(ns, [])
        if not _denies_ingress(policies):
            continue
        for pod, kind in pods:
            obj = _obj(pod)
            if _namespace(obj) != ns:
                continue
            template = _pod_template(obj, kind)
            if template is None:
                continue
            pod_meta, pod_spec = template
            labels = pod_meta.get("labels") or {}
            if not _service_selects(service, labels):
                continue
            pod_ports = _container_ports(pod_spec)
            for port in (service.get("spec") or {}).get("ports") or []:
                number, name, protocol = _target_port(port, pod_ports)
                if number is None:
                    continue
                if not any(_allows(p, labels, number, name, protocol) for p in policies):
                    findings.append(
                        Finding(
                            addon(svc),
                            "network-policy",
                            svc.name,
                            f"port {port.get('port')} -> {pod.name.rsplit(':', 1)[-1]}:{number}/{protocol}"
                            f"{f' ({name})' if name else ''} is closed: no NetworkPolicy in {ns} admits ingress to it",
                        )
                    )

    # pod-identity: the bound service account is the one the chart's pods run as.
    for role in chart_roles:
        chart_pods = [(r, k) for r, k in pods if addon(r) == role.addon]
        if not chart_pods:
            continue
        sa = role.service_account
        running = set()
        for r, kind in chart_pods:
            template = _pod_template(_obj(r), kind)
            if template is None:
                continue
            _, spec = template
            running.add((_namespace(_obj(r)), str(spec.get("serviceAccountName") or "default")))
        if (sa.namespace, sa.name) not in running:
            seen = ", ".join(f"{ns}/{name}" for ns, name in sorted(running)) or "none"
            findings.append(
                Finding(
                    role.addon,
                    "pod-identity",
                    f"{sa.namespace}/{sa.name}",
                    f"the IAM role is bound to {sa.namespace}/{sa.name}, but the chart's pods run as {seen}",
                )
            )

    # image: each stack's image-pinned configuration.
    for stack, config in sorted((image_configs or {}).items()):
        allowed = list(config.get("allowedRegistries") or [])
        for r, kind in pods:
            obj = {**_obj(r), "kind": kind}
            for v in workloads.image_pinned(obj, allowed):
                findings.append(Finding(addon(r), "image", r.name, f"{stack}'s image-pinned: {v.message} [{v.path}]"))
    return sorted(set(findings), key=lambda f: (f.addon, f.check, f.resource, f.message))


# ------------------------------------------------------------------------------------------------ stack setup


def chart_roles(cfg: Any) -> list[ChartRole]:
    """The Helm-installed add-ons (and Karpenter) whose pods get an IAM role through Pod Identity."""
    from components import karpenter
    from components.addons.catalog import CATALOG

    out = []
    for name, spec in CATALOG.items():
        if spec.kind == "helm" and spec.service_account is not None and spec.has_role(cfg.addons):
            out.append(ChartRole(name, spec.service_account))
    if cfg.karpenter.enabled:
        out.append(ChartRole("karpenter", ServiceAccount(karpenter.NAMESPACE, karpenter.SERVICE_ACCOUNT)))
    return out


def image_configs(project: Path) -> dict[str, dict[str, Any]]:
    """The `image-pinned` configuration of every policy config file (policies/config/<stack>.json)."""
    from policies.rules.config import PolicyConfigError, load_config_file

    out = {}
    for path in sorted((project / "policies" / "config").glob("*.json")):
        try:
            config = load_config_file(path)
        except PolicyConfigError:
            continue
        if "image-pinned" in config:
            out[path.stem] = dict(config["image-pinned"])
    return out


# Add-ons that `--all-addons` leaves as the stack has them, and why.
EXCLUSIVE = {
    "cluster-autoscaler": "Karpenter scales the nodes (platform:karpenter.enabled); check it again with Karpenter off",
}


def with_every_addon(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The stack's config values with every catalog add-on enabled, and the lines saying what was left alone."""
    from pydantic.alias_generators import to_camel

    from components.addons.catalog import CATALOG
    from components.config.gitops import GITOPS_ADDONS

    out = copy.deepcopy(dict(values))
    addons = dict(out.get("platform:addons") or {})
    karpenter_on = bool((out.get("platform:karpenter") or {}).get("enabled"))
    gitops = out.get("platform:gitops") or {}
    gitops_addons = list(gitops.get("addons") or [])
    if gitops.get("enabled", True):  # Argo CD installs these with GitOps on (platform/bootstrap/addons/)
        gitops_addons += [a for a in GITOPS_ADDONS if a not in gitops_addons]
    notes = []
    for name in CATALOG:
        if name == "cluster-autoscaler" and karpenter_on:
            notes.append(f"{name}: left off ({EXCLUSIVE[name]})")
            continue
        if name in gitops_addons:
            notes.append(f"{name}: left to GitOps (platform:gitops.addons installs it)")
            continue
        key = to_camel(name.replace("-", "_"))  # the add-on's key in platform:addons
        settings = dict(addons.get(key) or {})
        settings["enabled"] = True
        addons[key] = settings
    out["platform:addons"] = addons
    return out, notes


def every_addon_stack_file(stack_file: Path, target: Path) -> list[str]:
    """Write a copy of a stack file with every catalog add-on enabled; returns what `with_every_addon` left alone."""
    import yaml

    doc = yaml.safe_load(stack_file.read_text()) or {}
    config, notes = with_every_addon(doc.get("config") or {})
    doc["config"] = config
    target.write_text(yaml.safe_dump(doc, sort_keys=False))
    return notes
