"""Turn the `platform/` tree into the Kubernetes objects Argo CD would apply, offline.

Helm charts are rendered with the Helm Go SDK through helm-python-sdk (`helm_python`, a ctypes binding of
libhelm_c; no helm binary, no cluster): `Chart.load(dir).render(values, name=, namespace=)` is Helm's own engine
(`helm template`), including the chart's values.schema.json check. Each chart is rendered the way its Argo CD
ApplicationSet asks for it: with `values-<env>.yaml` next to the chart, the ApplicationSet's `releaseName` and the
destination namespace. Plain YAML files are loaded as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python
import yaml

PLATFORM_DIR = Path(__file__).resolve().parents[2] / "platform"
# Every stack of the repository (Pulumi.<env>.yaml next to platform/), never a fixed list.
ENVIRONMENTS = tuple(sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in PLATFORM_DIR.parent.glob("Pulumi.*.yaml")))
# Files under platform/ that are configuration for tools, not objects applied to the cluster.
KUSTOMIZATION = "kustomization.yaml"
ARGOCD_API = "argoproj.io/v1alpha1"


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object from the tree and where it came from."""

    source: str  # "bootstrap/teams.yaml" or "teams/chart[prod]: teams/templates/team.yaml"
    env: str | None  # the environment a chart was rendered for; None for plain YAML (same in every environment)
    obj: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str | None:
        return (self.obj.get("metadata") or {}).get("namespace")

    def __str__(self) -> str:
        return f"{self.source}: {self.kind}/{self.name}"


@dataclass(frozen=True)
class ChartSource:
    """How an ApplicationSet deploys a chart of this repository."""

    chart_path: str  # relative to the repository root, e.g. "platform/teams/chart"
    release_name: str
    namespace: str
    value_files: tuple[str, ...]  # as written, e.g. "$values/platform/teams/values-{{...environment}}.yaml"
    parameters: tuple[str, ...]  # Helm parameter names the ApplicationSet sets
    application_set: str


def relative(path: Path, root: Path = PLATFORM_DIR) -> str:
    return path.relative_to(root).as_posix()


def load_yaml_documents(text: str, source: str) -> list[dict[str, Any]]:
    """Every non-empty YAML document of `text`; anything but a mapping is an error naming `source`."""
    documents = []
    for index, document in enumerate(yaml.safe_load_all(text)):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ValueError(f"{source}: document {index} is a {type(document).__name__}, not a Kubernetes object")
        documents.append(document)
    return documents


def chart_dirs(root: Path = PLATFORM_DIR) -> list[Path]:
    """Every Helm chart in the tree (a directory holding Chart.yaml), subcharts excluded."""
    charts = sorted(path.parent for path in root.rglob("Chart.yaml"))
    return [chart for chart in charts if not any(parent in charts for parent in chart.parents)]


def is_inside_chart(path: Path, charts: list[Path]) -> bool:
    return any(chart == path or chart in path.parents for chart in charts)


def values_file(chart_dir: Path, env: str) -> Path:
    """The per-environment values file of a chart: `<chart dir>/../values-<env>.yaml`."""
    return chart_dir.parent / f"values-{env}.yaml"


def plain_yaml_files(root: Path = PLATFORM_DIR) -> list[Path]:
    """YAML files applied as they are: everything outside charts except values files and the kustomization."""
    charts = chart_dirs(root)
    values = {values_file(chart, env) for chart in charts for env in ENVIRONMENTS}
    files = sorted([*root.rglob("*.yaml"), *root.rglob("*.yml")])
    return [
        path
        for path in files
        if not is_inside_chart(path, charts) and path not in values and relative(path, root) != KUSTOMIZATION
    ]


def render_chart(chart_dir: Path, values: dict[str, Any], release_name: str, namespace: str) -> dict[str, str]:
    """Helm's rendering of a chart with user values (coalesced over the chart defaults and checked against the
    chart's values.schema.json): template path -> manifest text. Raises helm_python.HelmError on bad values or a
    failing template."""
    with helm_python.Chart.load(chart_dir) as chart:
        return chart.render(values=values, name=release_name, namespace=namespace)


def read_values(path: Path) -> dict[str, Any]:
    """A values file parsed by Helm's own YAML reader (as `helm template -f` would)."""
    return helm_python.values_from_yaml(path.read_text())


def manifests_from_rendering(rendered: dict[str, str], source: str, env: str) -> list[Manifest]:
    manifests = []
    for template, text in sorted(rendered.items()):
        if not template.endswith((".yaml", ".yml")):  # NOTES.txt, partials
            continue
        for obj in load_yaml_documents(text, f"{source}: {template}"):
            manifests.append(Manifest(source=f"{source}: {template}", env=env, obj=obj))
    return manifests


def application_sets(manifests: list[Manifest]) -> Iterator[Manifest]:
    return (m for m in manifests if m.obj.get("apiVersion") == ARGOCD_API and m.kind == "ApplicationSet")


def chart_sources(manifests: list[Manifest]) -> list[ChartSource]:
    """Every source of an ApplicationSet template that points at a chart of this repository (has `path` and `helm`)."""
    found = []
    for appset in application_sets(manifests):
        spec = appset.obj["spec"]["template"]["spec"]
        sources = spec.get("sources") or [spec.get("source") or {}]
        for source in sources:
            if "path" not in source or "helm" not in source:
                continue
            helm = source["helm"]
            found.append(
                ChartSource(
                    chart_path=source["path"],
                    release_name=helm.get("releaseName") or appset.name,
                    namespace=spec["destination"].get("namespace") or "default",
                    value_files=tuple(helm.get("valueFiles") or ()),
                    parameters=tuple(p["name"] for p in helm.get("parameters") or ()),
                    application_set=appset.name,
                )
            )
    return found


def load_plain_manifests(root: Path = PLATFORM_DIR) -> list[Manifest]:
    manifests = []
    for path in plain_yaml_files(root):
        source = relative(path, root)
        manifests.extend(Manifest(source, None, obj) for obj in load_yaml_documents(path.read_text(), source))
    return manifests


@dataclass(frozen=True)
class RenderError:
    chart: str  # relative to platform/, e.g. "teams/chart"
    env: str
    message: str


def render_platform(root: Path = PLATFORM_DIR) -> tuple[list[Manifest], list[RenderError]]:
    """All objects of the tree: plain YAML files, then every chart rendered for every environment; and the
    charts that failed to render (a broken chart must not hide the others)."""
    plain = load_plain_manifests(root)
    sources = {source.chart_path: source for source in chart_sources(plain)}
    rendered: list[Manifest] = []
    errors: list[RenderError] = []
    for chart in chart_dirs(root):
        source = sources.get(f"{root.name}/{relative(chart, root)}")
        release_name = source.release_name if source else chart.name
        namespace = source.namespace if source else "default"
        for env in ENVIRONMENTS:
            label = f"{relative(chart, root)}[{env}]"
            try:
                output = render_chart(chart, read_values(values_file(chart, env)), release_name, namespace)
                rendered.extend(manifests_from_rendering(output, label, env))
            except (helm_python.HelmError, OSError, ValueError, yaml.YAMLError) as exc:
                errors.append(RenderError(relative(chart, root), env, f"{type(exc).__name__}: {exc}"))
    return plain + rendered, errors
