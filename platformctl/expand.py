"""Helm charts expanded offline into the objects a real `pulumi preview` registers, the way the providers do it.

A `kubernetes:helm.sh/v4:Chart` is a remote component: the engine hands it to the Kubernetes provider, which renders
the chart and registers every object as a child resource; policy packs judge those children. This module does the
same with Helm's own engine (helm-python-sdk, the Helm Go SDK through its C ABI), following pulumi-kubernetes'
source (provider/pkg/provider/helm/v4/chart.go, provider/pkg/helm/tool.go, provider/pkg/provider/yaml/v2/yaml.go)
and Helm's install action (pkg/action/install.go, action.go renderResources) step by step:

* `helm template`-like install, client-only, revision 1, `IsInstall`; release name = `name` input (default: the
  resource name); namespace = `namespace` input (default: the provider's, "default").
* Capabilities: Helm's defaults plus what the cluster's discovery reports (Chart v4 reads the server version and
  API versions when it can reach the cluster). Offline the cluster is modelled in its steady state: the stack's
  Kubernetes minor, reported as EKS reports it (`v1.35.0-eks-offline`: EKS's GitVersion carries a prerelease part,
  which matters to `kubeVersion` constraints; the patch and build are unknown offline), serving the GA built-in
  APIs of that minor (platformctl.kube_api) and every CRD the stack installs.
* The chart's `kubeVersion` constraint is checked (components.semver, Helm's rules); values are checked against
  `values.schema.json`; dependencies' conditions, tags and import-values apply; CRDs from `crds/` (of the chart and
  its enabled subcharts) come first unless `skipCrds`; `NOTES.txt` and partials produce nothing.
* Hooks: Chart v4 sets `DisableHooks` and registers only the release manifest, so hook objects (`helm.sh/hook`)
  are not Pulumi resources and are left out. A `helm.sh/v3:Release` is installed by Helm in the cluster, hooks and
  all (test hooks excepted): its objects are rendered for analysis only ("virtual": a real preview never sees
  them) - findings on them are stricter than a real preview.
* Then as yaml/v2 does: List kinds expanded, `core/v1` written `v1`, the release namespace set on namespaced kinds
  without one (built-in scope, else the scope of a CRD in the stack; unresolved kinds keep no namespace, with the
  provider's warning), `helm.sh/resource-policy: keep` becomes `retainOnDelete`, `skipAwait` adds the
  `pulumi.com/skipAwait` annotation, Secret `data`/`stringData` are secret, each object is registered as
  `<prefix>:<namespace>/<name>` (prefix: `resourcePrefix`, default the Chart's resource name) with the provider's
  type token (`kubernetes:<group>/<version>:<Kind>`, `core/v1` for the core group) and `dependsOn` the namespace,
  CRD and `config.kubernetes.io/depends-on` objects of the same chart (sigs.k8s.io/cli-utils' dependency graph).
* The Chart component itself is registered by the provider with no inputs: that (`{}`) is what an analyzer sees.

Not modelled (each makes the chart "not expanded", never silently wrong): `postRenderer`, `valueYamlFiles`,
charts outside the project that are not local paths. Rendering uses Helm 4's engine while pulumi-kubernetes links
Helm 3.20; the template language and chart loading are the same for apiVersion v2 charts.

Renders are cached under the chart cache (`renders/`), keyed by the archive's digest, the values, the release name
and namespace, the Kubernetes version and the API versions; charts render in parallel.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components import semver
from components.chart_cache import pin_for
from platformctl import kube_api
from platformctl.plan import PlanResource

CHART_TYPE = "kubernetes:helm.sh/v4:Chart"
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
# Bump when what is rendered or cached changes shape: old cache entries are then ignored.
RENDER_FORMAT = 1
SECRET_PLACEHOLDER = "[secret]"
# The render cache keeps this many files (renders and API-set memos), the most recently used.
MAX_CACHED_RENDERS = 400
HOOK_ANNOTATION = "helm.sh/hook"
TEST_HOOKS = {"test", "test-success", "test-failure"}
RESOURCE_POLICY = "helm.sh/resource-policy"
DEPENDS_ON = "config.kubernetes.io/depends-on"
# Helm's releaseutil.SplitManifests separator.
_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")


class ExpandError(Exception):
    """A chart the real provider would refuse (the preview would fail): the message says why."""


def kube_git_version(minor: str) -> str:
    """The server version Chart v4 reads from an EKS cluster of this minor, in EKS's format (patch/build unknown)."""
    return f"v{minor}.0-eks-offline"


# ------------------------------------------------------------------------------------------------ YAML


class _ManifestLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """YAML as the Kubernetes decoders read it: timestamps stay strings (they become JSON strings there)."""


# Kubernetes' YAML (go-yaml via sigs.k8s.io/yaml) has neither YAML 1.1 timestamps nor the `=` "value" key type:
# both stay plain strings (a CRD's description may well contain a bare `=`).
_NOT_KUBERNETES_TAGS = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"}
_ManifestLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in _NOT_KUBERNETES_TAGS]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def split_manifests(text: str, source: str) -> list[dict[str, Any]]:
    """The objects of one rendered file (Helm splits on `---` lines; empty documents are dropped)."""
    objects = []
    for part in _SEPARATOR.split(text):
        if not part.strip():
            continue
        try:
            docs = list(yaml.load_all(part, Loader=_ManifestLoader))
        except yaml.YAMLError as exc:
            raise ExpandError(f"YAML parse error on {source}: {exc}") from None
        for doc in docs:
            if doc is None or doc == {}:
                continue
            if not isinstance(doc, dict):
                raise ExpandError(f"{source}: a document is a {type(doc).__name__}, not a Kubernetes object")
            objects.append(doc)
    return objects


def hook_events(obj: Mapping[str, Any]) -> list[str] | None:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(HOOK_ANNOTATION) if isinstance(annotations, Mapping) else None
    if value is None:
        return None
    return [e.strip() for e in str(value).split(",") if e.strip()]


# ------------------------------------------------------------------------------------------------ rendering


@dataclass(frozen=True)
class RenderRequest:
    archive: Path
    values: Mapping[str, Any]
    release_name: str
    namespace: str
    kube_version: str
    api_versions: tuple[str, ...]

    def cache_key(self, archive_digest: str) -> str:
        doc = {
            "format": RENDER_FORMAT,
            "helm": _renderer_version(),
            "archive": archive_digest,
            "values": self.values,
            "name": self.release_name,
            "namespace": self.namespace,
            "kubeVersion": self.kube_version,
            "apiVersions": sorted(self.api_versions),
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


@functools.cache
def _renderer_version() -> str:
    """The helm-python-sdk release (it pins the Helm SDK it embeds); read without loading the native library."""
    from importlib.metadata import version

    return version("helm-python-sdk")


def _archive_digest(path: Path) -> str:
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    # A chart directory: its files' names and bytes.
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def render(request: RenderRequest, cache: Path | None) -> dict[str, Any]:
    """Helm's render of one chart: {"chart": metadata, "documents": [{source, object, hook}], "crds": [...]}.

    Served from the render cache when the same archive was rendered with the same inputs before.
    """
    cached_file = None
    if cache is not None:
        cached_file = cache / "renders" / f"{request.cache_key(_archive_digest(request.archive))}.json"
        try:
            result = json.loads(cached_file.read_text())
            os.utime(cached_file)  # recently used: kept when the cache is pruned
            return result
        except (FileNotFoundError, ValueError, OSError):
            pass
    result = _render_uncached(request)
    _write_json(cached_file, result)
    return result


def _render_uncached(request: RenderRequest) -> dict[str, Any]:
    import helm_python
    from helm_python import _native

    try:
        chart = helm_python.Chart.load(str(request.archive))
    except helm_python.HelmError as exc:
        raise ExpandError(f"cannot load the chart {request.archive}: {exc}") from None
    with chart:
        meta = chart.metadata
        constraint = meta.get("kubeVersion") or ""
        if constraint and not semver.is_compatible(constraint, request.kube_version):
            raise ExpandError(
                f"chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {request.kube_version}"
            )
        # helm-python-sdk 0.2.2's Chart.render does not expose Helm's capabilities; its C ABI (`helm_render`) takes
        # them as `kube_version` and `api_versions` options (appended to Helm's defaults, as `helm template` does).
        opts = {
            "name": request.release_name,
            "namespace": request.namespace,
            "kube_version": request.kube_version,
            "api_versions": list(request.api_versions),
            "is_install": True,
        }
        try:
            files = json.loads(
                _native.call_string("helm_render", chart._raw(), json.dumps(dict(request.values)), json.dumps(opts))
            )
        except helm_python.HelmError as exc:
            raise ExpandError(str(exc).strip()) from None
        # After a render the chart holds only its enabled subcharts: their CRDs are the ones Helm installs.
        crd_files = chart.crds
    documents = []
    for path in sorted(files):
        if path.endswith("NOTES.txt"):
            continue
        for obj in split_manifests(files[path], path):
            documents.append({"source": path, "object": obj, "hook": hook_events(obj)})
    crds = [
        {"source": c["filename"], "object": o} for c in crd_files for o in split_manifests(c["data"], c["filename"])
    ]
    chart_meta = {k: meta.get(k) for k in ("name", "version", "appVersion", "kubeVersion", "deprecated")}
    return {"chart": chart_meta, "documents": documents, "crds": crds}


# ------------------------------------------------------------------------------------------------ registration


def type_token(api_version: str, kind: str) -> str:
    """The type token the provider registers a kind under (yaml/v2 kinds.go; `core/v1` for the core group)."""
    return f"kubernetes:{'core/v1' if api_version == 'v1' else api_version}:{kind}"


def _group_kind(api_version: str, kind: str) -> tuple[str, str]:
    return (api_version.rsplit("/", 1)[0] if "/" in api_version else "", kind)


def crd_info(obj: Mapping[str, Any]) -> tuple[str, str, list[str], str] | None:
    """(group, kind, served versions, scope) of a CustomResourceDefinition object, or None."""
    if obj.get("kind") != "CustomResourceDefinition" or not str(obj.get("apiVersion", "")).startswith(
        "apiextensions.k8s.io/"
    ):
        return None
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    if not isinstance(spec, Mapping) or not isinstance(names, Mapping):
        return None
    versions = [v.get("name") for v in spec.get("versions") or [] if isinstance(v, Mapping) and v.get("served", True)]
    if not versions and spec.get("version"):
        versions = [spec["version"]]
    return (str(spec.get("group", "")), str(names.get("kind", "")), [str(v) for v in versions if v], spec.get("scope"))


def crd_api_versions(objects: Iterable[Mapping[str, Any]]) -> set[str]:
    """What discovery reports for these CRDs: `group/version` and `group/version/Kind` per served version."""
    out: set[str] = set()
    for obj in objects:
        info = crd_info(obj)
        if info is None:
            continue
        group, kind, versions, _ = info
        for v in versions:
            out.add(f"{group}/{v}")
            out.add(f"{group}/{v}/{kind}")
    return out


@dataclass
class Scopes:
    """Which kinds are namespaced: built-ins of the minor, then CRDs (the chart's own first, then the stack's)."""

    minor: str
    stack_crds: dict[tuple[str, str], str] = field(default_factory=dict)

    def add_crds(self, objects: Iterable[Mapping[str, Any]]) -> None:
        for obj in objects:
            info = crd_info(obj)
            if info is not None:
                self.stack_crds.setdefault((info[0], info[1]), str(info[3] or ""))

    def namespaced(self, api_version: str, kind: str, local: Mapping[tuple[str, str], str]) -> bool | None:
        builtin = kube_api.is_namespaced_builtin(api_version, kind, self.minor)
        if builtin is not None:
            return builtin
        gk = _group_kind(api_version, kind)
        scope = local.get(gk) or self.stack_crds.get(gk)
        if scope is None:
            return None
        return scope == "Namespaced"


def _expand_lists(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """yaml/v2's expand: an object whose `items` is a list is a List; its items are registered instead."""
    out: list[dict[str, Any]] = []
    queue = list(objects)
    while queue:
        obj = queue.pop(0)
        if isinstance(obj.get("items"), list):
            items = obj["items"]
            if not all(isinstance(i, dict) for i in items):
                raise ExpandError(f"YAML object is invalid: {_short(obj)}")
            queue = [*items, *queue]
            continue
        out.append(obj)
    return out


def _short(obj: Any) -> str:
    text = json.dumps(obj, default=str)
    return text if len(text) <= 100 else text[:97] + "..."


def _depends_on_ids(obj: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(group, kind, namespace, name) of each object named by `config.kubernetes.io/depends-on`."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(DEPENDS_ON) if isinstance(annotations, Mapping) else None
    out = []
    for ref in str(value or "").split(","):
        parts = ref.strip().split("/")
        if len(parts) == 3:  # group/Kind/name (cluster-scoped)
            out.append((parts[0], parts[1], "", parts[2]))
        elif len(parts) == 5 and parts[1] == "namespaces":  # group/namespaces/ns/Kind/name
            out.append((parts[0], parts[3], parts[2], parts[4]))
    return out


def _masked_secret(obj: dict[str, Any]) -> dict[str, Any]:
    if obj.get("apiVersion") == "v1" and obj.get("kind") == "Secret":
        return {k: (SECRET_PLACEHOLDER if k in ("data", "stringData") else v) for k, v in obj.items()}
    return obj


@dataclass
class Expansion:
    """What became of one chart (or release) in the offline plan."""

    urn: str
    name: str  # the Chart's (Release's) resource name
    type: str
    chart: str
    version: str
    status: str  # expanded | not-expanded | failed
    reason: str = ""
    objects: int = 0
    hooks: int = 0  # Chart v4: hook objects left out; Release: hook objects included
    crds: int = 0
    archive: str = ""
    virtual: bool = False  # a Release: its objects are analysed, never registered with Pulumi

    @property
    def label(self) -> str:
        return f"{self.chart} {self.version}".strip()

    def line(self) -> str:
        if self.status == "expanded":
            extra = []
            if self.crds:
                extra.append(f"{self.crds} CRDs")
            if self.hooks:
                extra.append(
                    f"{self.hooks} hook objects {'included' if self.virtual else 'left out, as Chart v4 does'}"
                )
            what = "rendered for analysis only (Helm installs them)" if self.virtual else "rendered"
            return f"{self.name}: {self.objects} objects {what} from {self.label}" + (
                f" ({', '.join(extra)})" if extra else ""
            )
        if self.status == "not-expanded":
            return f"{self.name}: {self.label} not expanded ({self.reason}): its objects were not analyzed"
        return f"{self.name}: {self.label} failed to render: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "name": self.name,
            "type": self.type,
            "chart": self.chart,
            "version": self.version,
            "status": self.status,
            "reason": self.reason,
            "objects": self.objects,
            "hooks": self.hooks,
            "crds": self.crds,
            "archive": self.archive,
            "virtual": self.virtual,
        }


@dataclass
class RemoteExpansion(Expansion):
    """What became of a remote component other than a chart (pulumi-eks's `eks:index:Cluster`): expanded by a model
    of its provider (`model` says which), not expanded (why), or failed (the provider's message). Same document shape
    as a chart's (`chart` holds the package)."""

    model: str = ""

    def line(self) -> str:
        what = f"{self.chart} {self.version}".strip()
        if self.status == "expanded":
            return f"{self.name}: {self.objects} resources registered by {what} ({self.model})"
        if self.status == "not-expanded":
            return f"{self.name}: {what} not expanded ({self.reason}): its resources were not analyzed"
        return f"{self.name}: {what} failed: {self.reason} (a real preview fails here too)"


@dataclass
class ExpandContext:
    project: str
    stack: str
    project_dir: Path
    kubernetes_version: str  # the minor, e.g. "1.35"
    cache: Path | None = None  # the chart cache (renders are cached under it); None: no render cache
    default_namespace: str = "default"
    workers: int = 2


@dataclass
class ExpandResult:
    children: list[PlanResource]
    expansions: list[Expansion]
    warnings: list[str]


@dataclass
class _Job:
    resource: PlanResource
    inputs: dict[str, Any]
    expansion: Expansion
    archive: Path | None = None
    rendered: dict[str, Any] | None = None


def _pin_of_archive(chart: str) -> Any:
    """The pin whose verified archive `chart` is (a cache path ends in `sha256/<hex>.tgz`), if any."""
    from components.chart_cache import pins

    name = Path(chart).name
    return next((p for p in pins().values() if p.hex and name == f"{p.hex}.tgz"), None)


def _locate(resource: PlanResource, inputs: Mapping[str, Any], ctx: ExpandContext) -> tuple[Path | None, str]:
    """The local chart (archive or directory) the resource installs, or (None, why it is not expanded)."""
    chart = str(inputs.get("chart") or "")
    version = str(inputs.get("version") or "")
    if inputs.get("postRenderer"):
        return None, "a postRenderer runs a program after Helm; not modelled offline"
    if inputs.get("valueYamlFiles"):
        return None, "valueYamlFiles are not modelled offline"
    repo = (
        (inputs.get("repositoryOpts") or {}).get("repo") if isinstance(inputs.get("repositoryOpts"), Mapping) else None
    )
    if chart and not repo and not re.match(r"^[a-z][a-z0-9+.-]*://", chart):
        path = Path(chart) if Path(chart).is_absolute() else ctx.project_dir / chart
        if path.exists():
            return path, ""
        return None, f"the local chart {chart} does not exist"
    if pin_for(chart, version) is not None:
        return None, "archive not cached: run `platformctl charts pull`"
    return None, "not a pinned chart, and only local archives can be rendered offline"


def expand_plan(resources: list[PlanResource], ctx: ExpandContext) -> ExpandResult:
    """Render every Chart v4 and Release v3 of the plan; returns their children (and what happened to each)."""
    jobs: list[_Job] = []
    for r in resources:
        if r.type not in (CHART_TYPE, RELEASE_TYPE):
            continue
        inputs = dict(r.inputs)
        virtual = r.type == RELEASE_TYPE
        label_chart = str(inputs.get("chart") or "")
        pinned = pin_for(label_chart, str(inputs.get("version") or "")) or _pin_of_archive(label_chart)
        if pinned is not None:
            label_chart = pinned.chart
        expansion = Expansion(
            urn=r.urn, name=r.name, type=r.type, chart=label_chart, version=str(inputs.get("version") or ""),
            status="not-expanded", virtual=virtual,
        )  # fmt: skip
        if pinned is not None:
            expansion.version = pinned.version
        archive, why = _locate(r, inputs, ctx)
        expansion.reason = why
        if archive is not None:
            expansion.archive = _display_path(archive, ctx.project_dir)
        jobs.append(_Job(r, inputs, expansion, archive))

    warnings: list[str] = []
    scopes = Scopes(ctx.kubernetes_version)
    program_crds = [r.inputs for r in resources if r.type == CRD_TYPE]
    scopes.add_crds(program_crds)
    base = set(kube_api.version_set(ctx.kubernetes_version)) | crd_api_versions(program_crds)
    renderable = [j for j in jobs if j.archive is not None]
    # Charts see each other's CRDs through discovery: render, add the CRDs found, render again until stable. The
    # set reached last time for the same charts and values is remembered, so a warm run renders once.
    memo = _api_memo_file(renderable, base, ctx)
    api = _read_api_memo(memo) or set(base)
    for _ in range(4):
        _render_all(renderable, api, ctx)
        found = base | crd_api_versions(
            o for j in renderable if j.rendered for o in _all_objects(j.rendered, include_hooks=False)
        )
        if found == api:
            break
        api = found
    _write_json(memo, sorted(api))
    for j in renderable:
        if j.rendered:
            scopes.add_crds(_all_objects(j.rendered, include_hooks=False))

    children: list[PlanResource] = []
    seen_urns: set[str] = {r.urn for r in resources}
    for j in jobs:
        if j.rendered is None:
            continue
        try:
            kids, unresolved = _register(j, scopes, ctx)
        except ExpandError as exc:
            j.expansion.status, j.expansion.reason = "failed", str(exc)
            continue
        urns = [k.urn for k in kids]
        duplicate = next((u for i, u in enumerate(urns) if u in seen_urns or u in urns[:i]), None)
        if duplicate:
            j.expansion.status, j.expansion.reason = "failed", f"duplicate resource URN {duplicate}"
            continue
        seen_urns.update(k.urn for k in kids)
        children.extend(kids)
        if unresolved:
            warnings.append(
                f"{j.resource.name}: unable to determine whether {', '.join(sorted(unresolved))} are namespaced "
                "without a matching CustomResourceDefinition; rendered without a namespace (as the provider does)"
            )
        if j.rendered["chart"].get("deprecated"):
            warnings.append(f"{j.resource.name}: using a deprecated Helm chart ({j.rendered['chart'].get('name')})")
    return ExpandResult(children, [j.expansion for j in jobs], warnings)


def _api_memo_file(jobs: list[_Job], base: set[str], ctx: ExpandContext) -> Path | None:
    if ctx.cache is None or not jobs:
        return None
    doc = {
        "format": RENDER_FORMAT,
        "base": sorted(base),
        "kube": ctx.kubernetes_version,
        "charts": sorted(
            json.dumps(
                [_archive_digest(j.archive), j.inputs.get("values"), j.inputs.get("name"), j.inputs.get("namespace")],
                sort_keys=True,
                default=str,
            )  # type: ignore[arg-type]
            for j in jobs
        ),
    }
    key = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    return ctx.cache / "renders" / f"apis-{key}.json"


def _read_api_memo(path: Path | None) -> set[str] | None:
    if path is None:
        return None
    try:
        return set(json.loads(path.read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None


def _write_json(path: Path | None, doc: Any) -> None:
    """Write a cache file atomically; the cache keeps its newest MAX_CACHED_RENDERS files."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(json.dumps(doc, separators=(",", ":")))
    os.replace(tmp, path)
    _prune(path.parent)


def _prune(folder: Path) -> None:
    files = list(folder.glob("*.json"))
    if len(files) <= MAX_CACHED_RENDERS:
        return
    by_age = sorted(files, key=lambda f: f.stat().st_mtime)
    for old in by_age[: len(files) - MAX_CACHED_RENDERS]:
        with contextlib.suppress(OSError):
            old.unlink()


def _display_path(path: Path, project_dir: Path) -> str:
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def _render_all(jobs: list[_Job], api: set[str], ctx: ExpandContext) -> None:
    def one(j: _Job) -> None:
        inputs = j.inputs
        values = inputs.get("values") if isinstance(inputs.get("values"), Mapping) else {}
        request = RenderRequest(
            archive=j.archive,  # type: ignore[arg-type]
            values=values,
            release_name=str(inputs.get("name") or j.resource.name),
            namespace=str(inputs.get("namespace") or ctx.default_namespace),
            kube_version=kube_git_version(ctx.kubernetes_version),
            api_versions=tuple(sorted(api)),
        )
        try:
            j.rendered = render(request, ctx.cache)
            meta = j.rendered["chart"]
            j.expansion.chart = str(meta.get("name") or j.expansion.chart)
            j.expansion.version = str(meta.get("version") or j.expansion.version)
            j.expansion.status, j.expansion.reason = "expanded", ""
        except ExpandError as exc:
            j.rendered = None
            j.expansion.status, j.expansion.reason = "failed", str(exc)

    if len(jobs) <= 1 or ctx.workers <= 1:
        for j in jobs:
            one(j)
        return
    with ThreadPoolExecutor(max_workers=ctx.workers) as pool:
        list(pool.map(one, jobs))


def _all_objects(rendered: Mapping[str, Any], *, include_hooks: bool) -> list[dict[str, Any]]:
    docs = [d["object"] for d in rendered["documents"] if include_hooks or not d["hook"]]
    return [*(c["object"] for c in rendered["crds"]), *docs]


def _register(job: _Job, scopes: Scopes, ctx: ExpandContext) -> tuple[list[PlanResource], set[str]]:
    chart = job.resource
    inputs = job.inputs
    rendered = job.rendered or {}
    virtual = chart.type == RELEASE_TYPE
    include_crds = not bool(inputs.get("skipCrds"))
    # `rendered` was read for this run (render cache or Helm): its objects are ours to normalise in place.
    crds = [c["object"] for c in rendered["crds"]] if include_crds else []
    objects: list[dict[str, Any]] = list(crds)
    hooks = 0
    for doc in rendered["documents"]:
        events = doc["hook"]
        if events is not None and (not virtual or set(events) <= TEST_HOOKS):
            hooks += 0 if virtual else 1
            continue
        if events is not None:
            hooks += 1
        objects.append(doc["object"])
    objects = _expand_lists(objects)

    namespace = str(inputs.get("namespace") or ctx.default_namespace)
    local_crds: dict[tuple[str, str], str] = {}
    for obj in objects:
        info = crd_info(obj)
        if info is not None:
            local_crds[(info[0], info[1])] = str(info[3] or "")
    unresolved: set[str] = set()
    for obj in objects:
        api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
        if not api_version or not kind:
            raise ExpandError(f"Kubernetes resources require a kind and apiVersion: {_short(obj)}")
        metadata = obj.get("metadata")
        if not isinstance(metadata, dict) or not metadata.get("name"):
            raise ExpandError(f"Kubernetes resources require a .metadata.name: {_short(obj)}")
        if api_version == "core/v1":
            obj["apiVersion"] = api_version = "v1"
        if metadata.get("namespace"):
            continue
        namespaced = scopes.namespaced(api_version, kind, local_crds)
        if namespaced is None:
            unresolved.add(f"{api_version}/{kind}")
        elif namespaced:
            metadata["namespace"] = namespace

    prefix = inputs.get("resourcePrefix")
    prefix = chart.name if prefix is None else str(prefix)
    skip_await = bool(inputs.get("skipAwait"))
    parent_type = chart.urn.split("::")[2]
    urn_head = chart.urn.split("::")[0] + "::" + chart.urn.split("::")[1]

    ids: dict[tuple[str, str, str, str], str] = {}  # (group, kind, namespace, name) -> URN
    planned: list[tuple[dict[str, Any], PlanResource]] = []
    for obj in objects:
        api_version, kind = obj["apiVersion"], obj["kind"]
        meta = obj["metadata"]
        ns = meta.get("namespace") or ""
        resource_name = f"{ns}/{meta['name']}" if ns else str(meta["name"])
        if prefix:
            resource_name = f"{prefix}:{resource_name}"
        if skip_await:
            meta["annotations"] = {**(meta.get("annotations") or {}), "pulumi.com/skipAwait": "true"}
        token = type_token(api_version, kind)
        urn = f"{urn_head}::{parent_type}${token}::{resource_name}"
        options = dict(_CHILD_OPTIONS)
        options["protect"] = bool(chart.options.get("protect"))
        policy = (meta.get("annotations") or {}).get(RESOURCE_POLICY)
        if policy == "keep":
            options["retainOnDelete"] = True
        res = PlanResource(
            urn=urn,
            type=token,
            name=resource_name,
            custom=True,
            parent=chart.urn,
            provider=chart.provider,
            dependencies=[],
            property_dependencies={},
            inputs=_masked_secret(obj),
            options=options,
            virtual=virtual,
        )
        ids[(_group_kind(api_version, kind)[0], kind, ns, str(meta["name"]))] = urn
        planned.append((obj, res))

    # cli-utils' graph: CR -> its CRD, namespaced object -> its Namespace, depends-on annotations.
    crd_urns = {}
    ns_urns = {}
    for obj, res in planned:
        info = crd_info(obj)
        if info is not None:
            crd_urns[(info[0], info[1])] = res.urn
        if obj["kind"] == "Namespace" and obj["apiVersion"] == "v1":
            ns_urns[obj["metadata"]["name"]] = res.urn
    for obj, res in planned:
        deps = set()
        crd = crd_urns.get(_group_kind(obj["apiVersion"], obj["kind"]))
        if crd and crd != res.urn:
            deps.add(crd)
        ns = obj["metadata"].get("namespace")
        if ns and ns in ns_urns:
            deps.add(ns_urns[ns])
        for ref in _depends_on_ids(obj):
            if ref in ids and ids[ref] != res.urn:
                deps.add(ids[ref])
        res.dependencies = sorted(deps)

    job.expansion.objects = len(planned)
    job.expansion.hooks = hooks
    job.expansion.crds = len(crds)
    return [res for _, res in planned], unresolved


_CHILD_OPTIONS = {
    "protect": False,
    "retainOnDelete": False,
    "deleteBeforeReplace": False,
    "ignoreChanges": [],
    "replaceOnChanges": [],
    "additionalSecretOutputs": [],
}
