"""The objects of `platform/` (what Argo CD applies to an environment's cluster), rendered offline for one minor.

Plain YAML files are read as they are (every `*.yaml` outside the charts, except values files and Kustomize's
`kustomization.yaml`); each Helm chart under `platform/` is rendered with Helm's engine (platformctl.expand, the same
render the offline plan uses) with its environment's values file (`values-<env>.yaml` beside the chart), the release
name and namespace its ApplicationSet gives it, and the capabilities of an EKS cluster of the given minor. Used by
`platformctl upgrade` to check every object against the target minor's APIs. The platform tree's own tests
(tests/platform_tree) render it the same way for schema and Pod Security checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION = "kustomization.yaml"


@dataclass(frozen=True)
class Manifest:
    source: str  # the file, relative to the project: platform/bootstrap/teams.yaml, platform/teams/chart/templates/x
    obj: dict[str, Any]

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str((self.obj.get("metadata") or {}).get("namespace") or "")


def chart_dirs(root: Path) -> list[Path]:
    """Every chart (a directory with Chart.yaml) under `root`, subcharts excluded."""
    charts = sorted(p.parent for p in root.rglob("Chart.yaml"))
    return [c for c in charts if not any(parent in charts for parent in c.parents)]


def plain_files(root: Path) -> list[Path]:
    charts = chart_dirs(root)
    files = sorted([*root.rglob("*.yaml"), *root.rglob("*.yml")])
    return [
        f
        for f in files
        if not any(c == f.parent or c in f.parents for c in charts)
        and not (f.name.startswith("values-") and any(f.parent == c.parent for c in charts))
        and f.relative_to(root).as_posix() != KUSTOMIZATION
    ]


def _documents(text: str, source: str) -> list[dict[str, Any]]:
    out = []
    for doc in yaml.safe_load_all(text):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ValueError(f"{source}: a document is a {type(doc).__name__}, not a Kubernetes object")
        out.append(doc)
    return out


def _chart_release(plain: list[Manifest], chart_path: str, default_name: str) -> tuple[str, str]:
    """(release name, namespace) the ApplicationSet that deploys `chart_path` gives it."""
    for m in plain:
        if m.kind != "ApplicationSet":
            continue
        spec = ((m.obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        for source in spec.get("sources") or [spec.get("source") or {}]:
            if source.get("path") == chart_path and "helm" in source:
                namespace = (spec.get("destination") or {}).get("namespace") or "default"
                return source["helm"].get("releaseName") or m.name, namespace
    return default_name, "default"


def render(project_dir: Path, env: str, minor: str, cache: Path | None = None) -> tuple[list[Manifest], list[str]]:
    """Every object of `platform/` for environment `env` on an EKS cluster of `minor`, and what could not be rendered
    (one line each: a broken chart must not hide the others)."""
    from platformctl import kube_api
    from platformctl.expand import ExpandError, RenderRequest, kube_git_version
    from platformctl.expand import render as helm_render

    root = project_dir / "platform"
    if not root.is_dir():
        return [], []
    problems: list[str] = []
    plain: list[Manifest] = []
    for path in plain_files(root):
        source = path.relative_to(project_dir).as_posix()
        try:
            plain.extend(Manifest(source, obj) for obj in _documents(path.read_text(), source))
        except (yaml.YAMLError, ValueError, OSError) as exc:
            problems.append(f"{source}: cannot be read: {str(exc).splitlines()[0]}")
    rendered: list[Manifest] = []
    for chart in chart_dirs(root):
        chart_path = chart.relative_to(project_dir).as_posix()
        values_file = chart.parent / f"values-{env}.yaml"
        if not values_file.is_file():
            continue  # not deployed to this environment
        release, namespace = _chart_release(plain, chart_path, chart.name)
        try:
            import helm_python

            values = helm_python.values_from_yaml(values_file.read_text())
            out = helm_render(
                RenderRequest(
                    archive=chart,
                    values=values,
                    release_name=release,
                    namespace=namespace,
                    kube_version=kube_git_version(minor),
                    api_versions=tuple(kube_api.version_set(minor)),
                ),
                cache,
            )
        except (ExpandError, OSError, ValueError, yaml.YAMLError) as exc:
            problems.append(f"{chart_path} (values-{env}.yaml): does not render for Kubernetes {minor}: {exc}")
            continue
        except Exception as exc:  # helm_python.HelmError and the like
            problems.append(f"{chart_path} (values-{env}.yaml): does not render: {type(exc).__name__}: {exc}")
            continue
        for doc in out["documents"]:
            # Helm names a template `<chart name>/templates/x.yaml`; the file is under the chart's directory.
            template = str(doc["source"]).split("/", 1)[-1]
            file = f"{chart_path}/{template}"
            rendered.append(Manifest(file, doc["object"]))
    return plain + rendered, problems
