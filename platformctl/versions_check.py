"""`platformctl versions check [STACK]`: every pinned version checked against the live source that publishes it.

A pin that does not exist (or no longer works with the cluster) fails `pulumi up` halfway; this finds it first.

| pin (components/versions.py, the stack)   | source                                                               |
|-------------------------------------------|----------------------------------------------------------------------|
| EKS add-on versions per Kubernetes minor  | EKS DescribeAddonVersions (with and without kubernetesVersion)       |
| Helm charts (HTTP repositories)           | the repository's index.yaml (versions, archive digest, kubeVersion)  |
| Helm charts (OCI, `oci://...`)            | the registry's tag list and manifest digest (OCI distribution API)   |
| PostgreSQL / Aurora PostgreSQL versions   | RDS DescribeDBEngineVersions (status `available`)                    |
| Karpenter AMI alias (`al2023@v20260818`)  | SSM: the public parameter Karpenter itself resolves the alias with   |
| container images the catalog pins         | the image registry's tag list and manifest digest                    |

Each row: pinned, newest published, exists, compatible (with the stack's Kubernetes minor; `-` where the source says
nothing about it), and a note (archive digest, status, why not). Exit codes: 0 every pin exists and is compatible;
1 some pin is missing or incompatible; 2 it cannot check (no AWS credentials, a source out of reach): one line
saying what it needs.

The sources are plain clients passed in (boto3 clients, an HTTP GET function), so tests use botocore's Stubber and
a chart repository / registry served on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from components import versions

EKS_ADDON_NAMES_EXTRA = ("eks-pod-identity-agent",)
CLUSTER_AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler"  # chart 9.59.0 values.yaml image
MANIFEST_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


class CannotCheck(Exception):
    """A source cannot be reached or queried: what the check needs, in one line."""


@dataclass
class Row:
    kind: str  # eks-addon | helm-chart | rds | ami-alias | image
    name: str
    pinned: str
    newest: str = ""
    exists: bool | None = None
    compatible: bool | None = None  # None: the source says nothing about compatibility
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.exists is True and self.compatible is not False


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if not r.ok]

    def table(self) -> str:
        head = ("kind", "name", "pinned", "newest", "exists", "compatible", "note")
        cells = [head] + [
            (r.kind, r.name, r.pinned, r.newest or "?", _yes(r.exists), _yes(r.compatible), r.note) for r in self.rows
        ]
        widths = [max(len(c[i]) for c in cells) for i in range(len(head) - 1)]
        return "\n".join(
            "  ".join(c[i].ljust(widths[i]) for i in range(len(head) - 1)) + ("  " + c[-1] if c[-1] else "")
            for c in cells
        ).rstrip()

    def to_json(self) -> str:
        return json.dumps([r.__dict__ for r in self.rows], indent=2)


def _yes(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


# ----------------------------------------------------------------------------------------------- versions


def version_key(version: str) -> tuple[Any, ...]:
    """Sort key for versions as the sources write them: v1.2.3, 1.2.3-eksbuild.4, 17.7, v20260818, 1.2.3-rc.1.
    Numbers compare as numbers; a pre-release (-rc/-alpha/-beta) sorts before its release."""
    v = version.lstrip("v")
    main, _, suffix = v.partition("-")
    nums = tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.]", main))
    pre = bool(re.match(r"(rc|alpha|beta|pre|dev)", suffix))
    build = tuple(int(n) for n in re.findall(r"\d+", suffix)) if suffix and not pre else ()
    return (nums, 0 if pre else 1, build)


def newest(candidates: Iterable[str], stable_only: bool = True) -> str:
    vs = [c for c in candidates if not stable_only or not re.search(r"-(rc|alpha|beta|pre|dev)", c)]
    return max(vs, key=version_key) if vs else ""


def kube_version_allows(constraint: str, kubernetes: str) -> bool:
    """Whether a chart's `kubeVersion` admits a cluster of this minor, as Helm decides it (Masterminds/semver rules,
    components/semver.py) for the version EKS reports (`v1.35.0-eks-...`, a prerelease: `>=1.25.0` rejects it, charts
    write `>=1.25.0-0`)."""
    from components import semver
    from platformctl.expand import kube_git_version

    return not constraint.strip() or semver.is_compatible(constraint, kube_git_version(kubernetes))


# ----------------------------------------------------------------------------------------------- HTTP / OCI

Get = Callable[[str, Mapping[str, str], str], tuple[int, Mapping[str, str], bytes]]


def urllib_get(url: str, headers: Mapping[str, str], method: str = "GET") -> tuple[int, Mapping[str, str], bytes]:
    """(status, headers, body) of one HTTP request; HTTP errors are answers, unreachable hosts CannotCheck."""
    request = urllib.request.Request(url, headers=dict(headers), method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers or {}), exc.read() if exc.fp else b""
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        host = urllib.request.urlparse(url).netloc
        reason = getattr(exc, "reason", exc)
        raise CannotCheck(f"cannot reach {host} ({reason}): needs network access to {host}") from None


class Registry:
    """Tags and manifest digests from an OCI distribution registry (anonymous, with the bearer-token dance)."""

    def __init__(self, get: Get = urllib_get, base_url: Callable[[str], str] = lambda host: f"https://{host}"):
        self.get = get
        self.base_url = base_url
        self._tokens: dict[str, str] = {}

    def _request(self, host: str, path: str, method: str = "GET", accept: str = "") -> tuple[int, Mapping, bytes]:
        url = f"{self.base_url(host)}{path}"
        headers = {"Accept": accept} if accept else {}
        if host in self._tokens:
            headers["Authorization"] = f"Bearer {self._tokens[host]}"
        status, resp_headers, body = self.get(url, headers, method)
        challenge = _header(resp_headers, "WWW-Authenticate")
        if status == 401 and challenge.lower().startswith("bearer"):
            params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
            query = "&".join(
                f"{k}={urllib.request.quote(params[k], safe='')}" for k in ("service", "scope") if k in params
            )
            t_status, _h, t_body = self.get(f"{params['realm']}?{query}", {}, "GET")
            if t_status != 200:
                raise CannotCheck(f"{host}: anonymous token refused ({t_status}): needs registry access to {host}")
            token = json.loads(t_body)
            self._tokens[host] = token.get("token") or token.get("access_token", "")
            headers["Authorization"] = f"Bearer {self._tokens[host]}"
            status, resp_headers, body = self.get(url, headers, method)
        return status, resp_headers, body

    def tags(self, host: str, repository: str) -> list[str] | None:
        """Every tag of a repository (following `Link` pagination); None when the repository does not exist."""
        out: list[str] = []
        path = f"/v2/{repository}/tags/list?n=1000"
        while path:
            status, headers, body = self._request(host, path)
            if status == 404:
                return None
            if status != 200:
                raise CannotCheck(f"{host}/{repository}: tag list answered {status}: needs read access to {host}")
            out += json.loads(body).get("tags") or []
            link = re.match(r"<([^>]+)>", _header(headers, "Link"))
            path = link.group(1) if link else ""
        return out

    def digest(self, host: str, repository: str, tag: str) -> str | None:
        status, headers, _ = self._request(host, f"/v2/{repository}/manifests/{tag}", "HEAD", MANIFEST_ACCEPT)
        if status == 404:
            return None
        return _header(headers, "Docker-Content-Digest") or None


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def split_image(image: str) -> tuple[str, str, str]:
    """`registry/repo:tag` -> (registry host, repository, tag); Docker Hub names get its host and `library/`."""
    name, _, tag = image.rpartition(":")
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host, repo = first, rest
    else:
        host, repo = "registry-1.docker.io", name if "/" in name else f"library/{name}"
    return host, repo, tag


# ----------------------------------------------------------------------------------------------- the checks


@dataclass
class Target:
    """What to check: the Kubernetes minors (the stack's, or every supported one) and the stack's own pins."""

    kubernetes: Sequence[str]
    ami_alias: str = ""  # platform:karpenter.amiSelectorAlias when Karpenter is on
    ami_architectures: Sequence[str] = ("amd64",)
    database: tuple[str, str] | None = None  # (engine, version) the stack configures


def check_eks_addons(eks: Any, target: Target) -> list[Row]:
    rows = []
    for k8s in target.kubernetes:
        for addon, pinned in sorted(versions.EKS_ADDON_VERSIONS[k8s].items()):
            compatible = _addon_versions(eks, addon, k8s)
            if pinned in compatible:
                rows.append(Row("eks-addon", f"{addon} (k8s {k8s})", pinned, newest(compatible), True, True))
                continue
            anywhere = _addon_versions(eks, addon, None)
            rows.append(
                Row(
                    "eks-addon",
                    f"{addon} (k8s {k8s})",
                    pinned,
                    newest(compatible),
                    pinned in anywhere,
                    False if pinned in anywhere else None,
                    f"not offered for Kubernetes {k8s}" if pinned in anywhere else "no such add-on version",
                )
            )
    return rows


def _addon_versions(eks: Any, addon: str, k8s: str | None) -> list[str]:
    kwargs: dict[str, Any] = {"addonName": addon}
    if k8s:
        kwargs["kubernetesVersion"] = k8s
    out: list[str] = []
    while True:
        page = eks.describe_addon_versions(**kwargs)
        for entry in page.get("addons", []):
            for v in entry.get("addonVersions", []):
                if k8s is None or any(c.get("clusterVersion") == k8s for c in v.get("compatibilities", [])):
                    out.append(v["addonVersion"])
        token = page.get("nextToken")
        if not token:
            return out
        kwargs["nextToken"] = token


def check_helm_charts(registry: Registry, get: Get, target: Target) -> list[Row]:
    rows = []
    indexes: dict[str, Mapping[str, Any]] = {}
    for key, pin in sorted(versions.HELM_CHARTS.items()):
        repo, chart, pinned = pin["repo"], pin["chart"], pin["version"]
        if repo.startswith("oci://"):
            host, _, path = repo.removeprefix("oci://").partition("/")
            repository = f"{path}/{chart}".strip("/")
            tags = registry.tags(host, repository)
            if tags is None:
                rows.append(Row("helm-chart", key, pinned, "", False, None, f"no repository {repo}/{chart}"))
                continue
            digest = registry.digest(host, repository, pinned) if pinned in tags else None
            rows.append(
                Row("helm-chart", key, pinned, newest(tags), pinned in tags, None, digest or f"no tag in {repo}")
            )
            continue
        if repo not in indexes:
            url = f"{repo.rstrip('/')}/index.yaml"
            status, _h, body = get(url, {}, "GET")
            if status != 200:
                raise CannotCheck(f"{url} answered {status}: needs the chart repository {repo}")
            indexes[repo] = yaml.safe_load(body) or {}
        entries = (indexes[repo].get("entries") or {}).get(chart) or []
        published = {str(e.get("version")): e for e in entries}
        entry = published.get(pinned)
        if entry is None:
            rows.append(Row("helm-chart", key, pinned, newest(published), False, None, f"not in {repo}/index.yaml"))
            continue
        compatible = all(kube_version_allows(str(entry.get("kubeVersion") or ""), k) for k in target.kubernetes)
        published_digest = f"sha256:{entry['digest']}" if entry.get("digest") else ""
        note = published_digest or "no digest in the index"
        if compatible is False:
            note = f"kubeVersion {entry.get('kubeVersion')!r} excludes Kubernetes {', '.join(target.kubernetes)}"
        exists = True
        if pin.get("digest") and published_digest and pin["digest"] != published_digest:
            # The repository serves another archive under the pinned version than the one verified and pinned.
            exists, note = False, f"the index's digest {published_digest} is not the pinned {pin['digest']}"
        rows.append(Row("helm-chart", key, pinned, newest(published), exists, compatible, note))
    return rows


def check_rds(rds: Any, target: Target) -> list[Row]:
    rows = []
    pins = [("postgres", v) for v in versions.POSTGRES_VERSIONS]
    pins += [("aurora-postgresql", v) for v in versions.AURORA_POSTGRES_VERSIONS]
    for engine in ("postgres", "aurora-postgresql"):
        published = _engine_versions(rds, engine)
        for eng, pinned in pins:
            if eng != engine:
                continue
            stack = " (this stack)" if target.database == (engine, pinned) else ""
            major = pinned.split(".")[0]
            same_major = [v for v in published if v.split(".")[0] == major]
            status = published.get(pinned)
            rows.append(
                Row(
                    "rds",
                    f"{engine} {major}{stack}",
                    pinned,
                    newest(same_major),
                    status is not None,
                    None if status is None else status == "available",
                    f"status {status}" if status else "no such engine version",
                )
            )
    return rows


def _engine_versions(rds: Any, engine: str) -> dict[str, str]:
    """version -> status (`available`, `deprecated`) of every version RDS lists for the engine."""
    out: dict[str, str] = {}
    kwargs: dict[str, Any] = {"Engine": engine, "IncludeAll": True}
    while True:
        page = rds.describe_db_engine_versions(**kwargs)
        for v in page.get("DBEngineVersions", []):
            out[v["EngineVersion"]] = v.get("Status", "available")
        marker = page.get("Marker")
        if not marker:
            return out
        kwargs["Marker"] = marker


_ARCH = {"amd64": "x86_64", "arm64": "arm64"}


def ami_parameter(family: str, k8s: str, arch: str, version: str) -> str:
    """The SSM parameter Karpenter resolves an alias with (pkg/providers/amifamily/al2023.go, bottlerocket.go)."""
    if family == "al2023":
        name = "recommended" if version == "latest" else f"amazon-eks-node-al2023-{arch}-standard-{k8s}-{version}"
        return f"/aws/service/eks/optimized-ami/{k8s}/amazon-linux-2023/{arch}/standard/{name}/image_id"
    return f"/aws/service/bottlerocket/aws-k8s-{k8s}/{arch}/{version.lstrip('v')}/image_id"


def check_ami_alias(ssm: Any, target: Target) -> list[Row]:
    if not target.ami_alias:
        return []
    family, version = target.ami_alias.split("@", 1)
    rows = []
    for k8s in target.kubernetes:
        for arch in [_ARCH[a] for a in target.ami_architectures]:
            name = ami_parameter(family, k8s, arch, version)
            found = _parameter_exists(ssm, name)
            prefix = name.rsplit("/", 2)[0] + "/"
            releases = _alias_versions(ssm, family, prefix)
            note = "" if found else f"no SSM parameter {name} (not published for Kubernetes {k8s})"
            rows.append(
                Row(
                    "ami-alias", f"{target.ami_alias} ({arch}, k8s {k8s})", version, newest(releases), found, None, note
                )
            )
    return rows


def _parameter_exists(ssm: Any, name: str) -> bool:
    try:
        ssm.get_parameter(Name=name)
    except Exception as exc:  # botocore ClientError ParameterNotFound
        if _error_code(exc) == "ParameterNotFound":
            return False
        raise
    return True


def _alias_versions(ssm: Any, family: str, prefix: str) -> list[str]:
    """The releases published under an AMI parameter path, as alias versions (`v20260818`, `v1.42.0`)."""
    out: list[str] = []
    kwargs: dict[str, Any] = {"Path": prefix, "Recursive": True}
    while True:
        page = ssm.get_parameters_by_path(**kwargs)
        for p in page.get("Parameters", []):
            part = p["Name"][len(prefix) :].split("/")[0]
            if family == "al2023":
                m = re.search(r"-(v\d{8})$", part)
                if m:
                    out.append(m.group(1))
            elif re.fullmatch(r"\d+\.\d+\.\d+", part):
                out.append(f"v{part}")
        token = page.get("NextToken")
        if not token:
            return sorted(set(out), key=version_key)
        kwargs["NextToken"] = token


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code", ""))


def pinned_images(target: Target) -> list[tuple[str, str, str | None]]:
    """(what, image, Kubernetes minor it must match or None) for every image the catalog pins."""
    out: list[tuple[str, str, str | None]] = [
        (
            f"cluster-autoscaler (k8s {k8s})",
            f"{CLUSTER_AUTOSCALER_IMAGE}:{versions.CLUSTER_AUTOSCALER_IMAGE_TAGS[k8s]}",
            k8s,
        )
        for k8s in target.kubernetes
    ]
    out.append(("velero-plugin-for-aws", versions.VELERO_AWS_PLUGIN_IMAGE, None))
    return out


def check_images(registry: Registry, target: Target) -> list[Row]:
    rows = []
    for what, image, k8s in pinned_images(target):
        host, repository, tag = split_image(image)
        tags = registry.tags(host, repository)
        if tags is None:
            rows.append(Row("image", what, tag, "", False, None, f"no repository {host}/{repository}"))
            continue
        exists = tag in tags
        digest = registry.digest(host, repository, tag) if exists else None
        compatible = None
        if k8s is not None:
            compatible = tag.lstrip("v").split(".")[:2] == k8s.split(".")
        stable = [t for t in tags if re.fullmatch(r"v?\d+\.\d+\.\d+", t)]
        if k8s is not None:
            stable = [t for t in stable if t.lstrip("v").split(".")[:2] == k8s.split(".")] or stable
        note = digest or (f"no tag {tag} in {host}/{repository}" if not exists else "")
        if compatible is False:
            note = f"image minor {tag} does not match Kubernetes {k8s}"
        rows.append(Row("image", what, tag, newest(stable), exists, compatible, note))
    return rows


def check_all(
    target: Target,
    *,
    eks: Any,
    rds: Any,
    ssm: Any,
    registry: Registry,
    get: Get,
) -> Report:
    report = Report()
    report.rows += check_eks_addons(eks, target)
    report.rows += check_helm_charts(registry, get, target)
    report.rows += check_rds(rds, target)
    report.rows += check_ami_alias(ssm, target)
    report.rows += check_images(registry, target)
    return report


# ----------------------------------------------------------------------------------------------- the command

NEEDS_CREDENTIALS = (
    "versions check: needs AWS credentials to query EKS DescribeAddonVersions, RDS DescribeDBEngineVersions and "
    "SSM (set AWS_PROFILE after `aws sso login`, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with an instance "
    "role), plus network access to the chart repositories and image registries"
)


def target_for(cfg: Any | None) -> Target:
    """The stack's Kubernetes minor, AMI alias and database; without a stack, every supported Kubernetes minor."""
    if cfg is None:
        return Target(kubernetes=tuple(versions.KUBERNETES_VERSIONS))
    karpenter = cfg.karpenter
    arches = sorted({a for pool in karpenter.node_pools for a in pool.architectures}) or ["amd64"]
    database = cfg.data.database
    engine = None
    if database is not None:
        engine = ("aurora-postgresql" if database.aurora else "postgres", database.engine_version)
    return Target(
        kubernetes=(cfg.cluster.version,),
        ami_alias=karpenter.ami_selector_alias if karpenter.enabled else "",
        ami_architectures=tuple(arches),
        database=engine,
    )


def aws_clients(region: str) -> tuple[Any, Any, Any]:
    """(eks, rds, ssm) boto3 clients; CannotCheck when no credentials can be found."""
    import boto3
    import botocore.session

    if botocore.session.get_session().get_credentials() is None:
        raise CannotCheck(NEEDS_CREDENTIALS)
    session = boto3.session.Session(region_name=region)
    return session.client("eks"), session.client("rds"), session.client("ssm")


def run(
    stack: str | None,
    project_dir: Any,
    *,
    json_out: bool = False,
    clients: Any = None,
    get: Get = urllib_get,
    registry: Registry | None = None,
    echo: Callable[[str], None] = print,
    err: Callable[[str], None] = print,
) -> int:
    """The command: 0 every pin fine, 1 some pin missing or incompatible, 2 cannot check (one line)."""
    from components.config import ConfigError
    from components.config.stack import stack_file, validate_file

    cfg = None
    region = "us-east-1"
    if stack:
        try:
            cfg, _values = validate_file(stack_file(project_dir, stack), stack)
        except ConfigError as exc:
            for line in exc.lines:
                err(line)
            return 2
        region = cfg.region
    try:
        eks, rds, ssm = clients if clients is not None else aws_clients(region)
        report = check_all(target_for(cfg), eks=eks, rds=rds, ssm=ssm, registry=registry or Registry(get), get=get)
    except CannotCheck as exc:
        err(f"error: {exc}")
        return 2
    except Exception as exc:
        code = _error_code(exc)
        if type(exc).__name__ in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"):
            err(f"error: versions check: cannot reach AWS ({exc}): needs network access to the AWS APIs in {region}")
            return 2
        if code or type(exc).__module__.startswith("botocore"):
            err(
                f"error: versions check: AWS answered {code or type(exc).__name__} ({exc}): needs credentials "
                "allowed to call eks:DescribeAddonVersions, rds:DescribeDBEngineVersions, ssm:GetParameter and "
                "ssm:GetParametersByPath"
            )
            return 2
        raise
    echo(report.to_json() if json_out else report.table())
    failed = report.failed
    if failed:
        err(f"{len(failed)} pin(s) missing or incompatible: " + ", ".join(f"{r.name} {r.pinned}" for r in failed))
        return 1
    return 0
