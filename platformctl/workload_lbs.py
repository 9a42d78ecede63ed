"""The load balancers the reference workloads (platform/workloads) make AWS create, for the cost estimate.

Argo CD renders platform/workloads/chart with `values-<environment>.yaml`, the release name and the destination
namespace of its ApplicationSet (platform/bootstrap/workloads.yaml); the chart is rendered here the same way, with
Helm's own engine. The AWS Load Balancer Controller then creates one Application Load Balancer per Ingress of class
`alb` (Ingresses sharing an `alb.ingress.kubernetes.io/group.name` share one) and one Network Load Balancer per
Service of type LoadBalancer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

WORKLOADS = Path("platform") / "workloads"
APPLICATION_SET = Path("platform") / "bootstrap" / "workloads.yaml"
GROUP_ANNOTATION = "alb.ingress.kubernetes.io/group.name"


class RenderFailed(Exception):
    pass


@dataclass(frozen=True)
class LoadBalancer:
    kind: str  # application | network
    name: str
    source: str  # the object(s) it comes from


def _release(project_dir: Path) -> tuple[str, str]:
    """The ApplicationSet's Helm release name and destination namespace (defaults: Argo CD's own)."""
    path = project_dir / APPLICATION_SET
    if not path.is_file():
        return "workloads", "default"
    for doc in yaml.safe_load_all(path.read_text()):
        spec = ((doc or {}).get("spec") or {}).get("template", {}).get("spec", {})
        for source in spec.get("sources") or [spec.get("source") or {}]:
            if "helm" in source:
                return source["helm"].get("releaseName") or "workloads", spec["destination"].get("namespace", "default")
    return "workloads", "default"


def render(environment: str, project_dir: Path) -> list[dict[str, Any]] | None:
    """The workload objects of one environment; None when it has no values file (no workloads there)."""
    import helm_python

    values_file = project_dir / WORKLOADS / f"values-{environment}.yaml"
    if not values_file.is_file():
        return None
    release, namespace = _release(project_dir)
    try:
        with helm_python.Chart.load(project_dir / WORKLOADS / "chart") as chart:
            rendered = chart.render(
                values=helm_python.values_from_yaml(values_file.read_text()), name=release, namespace=namespace
            )
    except (helm_python.HelmError, OSError) as exc:
        raise RenderFailed(f"{type(exc).__name__}: {exc}") from None
    objects = []
    for template, text in sorted(rendered.items()):
        if template.endswith((".yaml", ".yml")):
            objects += [o for o in yaml.safe_load_all(text) if isinstance(o, dict)]
    return objects


def load_balancers(environment: str, project_dir: Path | None = None) -> list[LoadBalancer] | None:
    from platformctl.paths import project_root

    objects = render(environment, project_dir or project_root())
    if objects is None:
        return None
    out: list[LoadBalancer] = []
    groups: dict[str, list[str]] = {}
    for o in objects:
        meta = o.get("metadata") or {}
        ref = f"{o.get('kind')}/{meta.get('namespace', '')}/{meta.get('name', '')}"
        spec = o.get("spec") or {}
        if o.get("kind") == "Ingress" and spec.get("ingressClassName") == "alb":
            group = (meta.get("annotations") or {}).get(GROUP_ANNOTATION)
            if group:
                groups.setdefault(group, []).append(ref)
            else:
                out.append(LoadBalancer("application", str(meta.get("name")), ref))
        elif o.get("kind") == "Service" and spec.get("type") == "LoadBalancer":
            out.append(LoadBalancer("network", str(meta.get("name")), ref))
    out += [LoadBalancer("application", g, ", ".join(refs)) for g, refs in sorted(groups.items())]
    return out
