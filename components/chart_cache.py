"""The verified chart cache: Helm chart archives stored under the sha256 of their bytes, checked against the pins.

What was analysed is what is deployed: `platformctl charts pull` fetches every chart pinned in
`components/versions.py` (version *and* archive digest) into this cache and refuses an archive whose digest
differs from its pin; the program installs the chart from the cached archive (Chart v4 and Release v3 take a
local archive path), and the offline engine renders that same archive. Layout (content-addressed):

    <cache>/sha256/<hex>.tgz       one chart archive, named by the sha256 of its bytes
    <cache>/renders/<key>.json     rendered objects (platformctl.expand), keyed by archive, values and capabilities

`<cache>` is `$EKS_PLATFORM_CHART_CACHE`, else `<project>/.cache/charts` (git-ignored). No Pulumi here: the program,
the CLI and the tests share these functions.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "EKS_PLATFORM_CHART_CACHE"
MIRROR_ENV = "EKS_PLATFORM_CHART_MIRROR"
DEFAULT_CACHE = Path(".cache") / "charts"
_DIGEST_PREFIX = "sha256:"
# What the program warns when it falls back to a repository download (components/charts.py).
UNVERIFIED_WARNING = "no verified archive in the chart cache"


class ChartArchiveError(Exception):
    """A cached archive that is not the pinned one (tampered, truncated or corrupted): never installed."""

    def __init__(self, line: str):
        super().__init__(line)
        self.line = line


@dataclass(frozen=True)
class ChartPin:
    """One pinned chart: where it comes from, its exact version and the sha256 of its archive."""

    key: str  # the key in components/versions.py HELM_CHARTS
    repo: str  # an HTTP(S) Helm repository, or an OCI registry path (oci://host/path)
    chart: str
    version: str
    digest: str  # "sha256:<64 hex>"

    @property
    def oci(self) -> bool:
        return self.repo.startswith("oci://")

    @property
    def reference(self) -> str:
        """What Helm is told to fetch: `oci://host/path/chart` for OCI, the chart's name for an HTTP repository."""
        return f"{self.repo.rstrip('/')}/{self.chart}" if self.oci else self.chart

    @property
    def archive_name(self) -> str:
        """The file name Helm gives the archive (and a mirror directory holds): `<chart>-<version>.tgz`."""
        return f"{self.chart}-{self.version}.tgz"

    @property
    def label(self) -> str:
        return f"{self.key} {self.version}"

    @property
    def hex(self) -> str:
        return self.digest.removeprefix(_DIGEST_PREFIX)


def pins(charts: dict[str, dict[str, str]] | None = None) -> dict[str, ChartPin]:
    """Every pinned chart (HELM_CHARTS of components/versions.py unless given)."""
    if charts is None:
        from components.versions import HELM_CHARTS as charts
    return {
        key: ChartPin(key, ref["repo"], ref["chart"], ref["version"], ref.get("digest", ""))
        for key, ref in charts.items()
    }


def pin_for(chart: str, version: str, charts: dict[str, dict[str, str]] | None = None) -> ChartPin | None:
    """The pin of a chart name (or OCI reference) and version, if one exists."""
    for p in pins(charts).values():
        if p.version == version and chart in (p.chart, p.reference):
            return p
    return None


def cache_dir(project_dir: Path | None = None) -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser().resolve()
    if project_dir is None:
        from components.paths import project_root

        project_dir = project_root()
    return (Path(project_dir) / DEFAULT_CACHE).resolve()


def archive_path(pin: ChartPin, cache: Path) -> Path:
    return cache / "sha256" / f"{pin.hex}.tgz"


def sha256_digest(data: bytes) -> str:
    return _DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    return sha256_digest(Path(path).read_bytes())


def is_digest(value: str) -> bool:
    hexpart = value.removeprefix(_DIGEST_PREFIX)
    return value.startswith(_DIGEST_PREFIX) and len(hexpart) == 64 and all(c in "0123456789abcdef" for c in hexpart)


def mismatch_line(pin: ChartPin, where: str, actual: str) -> str:
    return (
        f"chart {pin.label}: {where} has digest {actual}, but components/versions.py pins {pin.digest}; "
        "it was refused (delete it, then run `platformctl charts pull`; after a deliberate version bump, "
        "`platformctl charts lock`)"
    )


def verified_archive(pin: ChartPin, cache: Path) -> Path | None:
    """The cached archive of `pin`, after checking its bytes against the pin; None when it is not cached.

    Raises ChartArchiveError when the cached file's digest is not the pinned one.
    """
    if not is_digest(pin.digest):
        return None
    path = archive_path(pin, cache)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    actual = sha256_digest(data)
    if actual != pin.digest:
        raise ChartArchiveError(mismatch_line(pin, f"the cached archive {path}", actual))
    return path


def store(data: bytes, cache: Path) -> Path:
    """Write archive bytes into the cache under their own digest (atomically); returns the path."""
    target = cache / "sha256" / f"{sha256_digest(data).removeprefix(_DIGEST_PREFIX)}.tgz"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target


def chart_reference(pin: ChartPin, project_dir: Path | None = None) -> dict[str, str]:
    """What the program hands Chart v4 / Release v3: the verified local archive when it is cached (a path relative to
    the project when the cache is inside it, as Pulumi runs the program and its providers from the project
    directory), else the repository reference, which Helm downloads unverified.

    Keys: `chart`, and for the repository form `version` and, for HTTP repositories, `repo`.
    """
    project = Path(project_dir) if project_dir is not None else None
    if project is None:
        from components.paths import project_root

        project = project_root()
    path = verified_archive(pin, cache_dir(project))
    if path is not None:
        try:
            return {"chart": path.relative_to(project.resolve()).as_posix()}
        except ValueError:
            return {"chart": str(path)}
    if pin.oci:
        return {"chart": pin.reference, "version": pin.version}
    return {"chart": pin.chart, "version": pin.version, "repo": pin.repo}
