"""`platformctl charts pull|lock|list`: fill the verified chart cache and keep the pinned digests true.

Sources, in order of preference:
* a mirror (`--mirror` or $EKS_PLATFORM_CHART_MIRROR): a directory of `<chart>-<version>.tgz` archives (an
  air-gapped folder), or the URL of one HTTP Helm repository serving every chart (Artifactory, Harbor, Nexus...);
* else each pin's own repository: an HTTP Helm repository (its `index.yaml` names the archive's URL and usually
  its digest), or an OCI registry (pulled with Helm's own registry client, helm-python-sdk).

`pull` stores an archive only when its sha256 equals the pin in components/versions.py; `lock` (after a deliberate
version bump, like `helm dependency update` writing Chart.lock) fetches each pinned version, checks it against the
digest its repository index publishes, and writes the digests into components/versions.py.
"""

from __future__ import annotations

import ast
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from components.chart_cache import (
    MIRROR_ENV,
    ChartArchiveError,
    ChartPin,
    cache_dir,
    is_digest,
    mismatch_line,
    pins,
    sha256_digest,
    store,
    verified_archive,
)

TIMEOUT_SECONDS = 60
VERSIONS_FILE = Path("components") / "versions.py"


class ChartSourceError(Exception):
    """A chart that could not be fetched: one line naming it and saying why."""


@dataclass
class Outcome:
    pin: ChartPin
    status: str  # cached | pulled | locked | unchanged | failed
    detail: str = ""
    digest: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "failed"


# ------------------------------------------------------------------------------------------------ sources


def mirror_from_env(value: str | None) -> str | None:
    return value or os.environ.get(MIRROR_ENV) or None


def _is_url(value: str) -> bool:
    return urllib.parse.urlparse(value).scheme in ("http", "https", "file")


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "platformctl (eks-platform)"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise ChartSourceError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ChartSourceError(f"{url}: {reason}") from None


def _index(repo_url: str, cache: dict[str, dict]) -> dict:
    base = repo_url.rstrip("/") + "/"
    if base not in cache:
        raw = _get(base + "index.yaml")
        try:
            doc = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ChartSourceError(f"{base}index.yaml is not valid YAML: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), dict):
            raise ChartSourceError(f"{base}index.yaml is not a Helm repository index (no 'entries')")
        cache[base] = doc
    return cache[base]


def _from_http_repo(pin: ChartPin, repo_url: str, indexes: dict[str, dict]) -> tuple[bytes, str | None, str]:
    """(archive bytes, the digest the index publishes or None, where it came from)."""
    index = _index(repo_url, indexes)
    entries = index["entries"].get(pin.chart)
    if not entries:
        raise ChartSourceError(f"the repository {repo_url} has no chart named {pin.chart}")
    entry = next((e for e in entries if str(e.get("version")) == pin.version), None)
    if entry is None:
        newest = ", ".join(str(e.get("version")) for e in entries[:3])
        raise ChartSourceError(
            f"the repository {repo_url} has no version {pin.version} of {pin.chart} (newest: {newest})"
        )
    urls = entry.get("urls") or []
    if not urls:
        raise ChartSourceError(f"the index of {repo_url} lists {pin.chart} {pin.version} without a download URL")
    url = urllib.parse.urljoin(repo_url.rstrip("/") + "/", str(urls[0]))
    published = entry.get("digest")
    return _get(url), (f"sha256:{published}" if published and ":" not in str(published) else published), url


def _from_oci(pin: ChartPin) -> tuple[bytes, None, str]:
    import helm_python

    with tempfile.TemporaryDirectory(prefix="platformctl-chart-") as tmp:
        try:
            helm_python.pull(pin.reference, version=pin.version, destination=tmp)
        except helm_python.HelmError as exc:
            raise ChartSourceError(f"{pin.reference}:{pin.version}: {str(exc).strip()}") from None
        archives = list(Path(tmp).glob("*.tgz"))
        if not archives:
            raise ChartSourceError(f"{pin.reference}:{pin.version}: the registry returned no chart archive")
        return archives[0].read_bytes(), None, f"{pin.reference}:{pin.version}"


def fetch(pin: ChartPin, mirror: str | None, indexes: dict[str, dict]) -> tuple[bytes, str | None, str]:
    """The archive of `pin` from the mirror, or else its own repository: (bytes, published digest, source)."""
    if mirror:
        if _is_url(mirror) and not mirror.startswith("file:"):
            return _from_http_repo(pin, mirror, indexes)
        folder = Path(urllib.parse.urlparse(mirror).path if mirror.startswith("file:") else mirror)
        if not folder.is_dir():
            raise ChartSourceError(f"the mirror {mirror} is not a directory or an http(s) URL")
        path = folder / pin.archive_name
        if not path.is_file():
            raise ChartSourceError(f"the mirror {folder} has no {pin.archive_name}")
        return path.read_bytes(), None, str(path)
    if pin.oci:
        return _from_oci(pin)
    return _from_http_repo(pin, pin.repo, indexes)


def _check_archive(pin: ChartPin, data: bytes) -> None:
    """The bytes are a chart archive of the pinned name and version (Helm's loader reads them)."""
    import helm_python

    try:
        with helm_python.Chart.load_archive(data) as chart:
            meta = chart.metadata
    except helm_python.HelmError as exc:
        raise ChartSourceError(f"not a readable chart archive: {str(exc).strip()}") from None
    if meta.get("name") != pin.chart or str(meta.get("version")) != pin.version:
        raise ChartSourceError(
            f"the archive holds {meta.get('name')} {meta.get('version')}, not {pin.chart} {pin.version}"
        )


# ------------------------------------------------------------------------------------------------ pull / lock


def select(keys: Iterable[str] | None) -> list[ChartPin]:
    every = pins()
    wanted = list(keys or [])
    unknown = [k for k in wanted if k not in every]
    if unknown:
        raise ValueError(f"unknown chart(s) {', '.join(unknown)}; pinned: {', '.join(every)}")
    return [every[k] for k in wanted] if wanted else list(every.values())


def pull(
    selected: list[ChartPin], *, mirror: str | None, cache: Path, progress: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Fetch every selected chart that is not cached; store it only if its digest is the pinned one."""
    indexes: dict[str, dict] = {}
    outcomes = []
    for pin in selected:
        outcome = _pull_one(pin, mirror, cache, indexes)
        outcomes.append(outcome)
        if progress:
            progress(outcome)
    return outcomes


def _pull_one(pin: ChartPin, mirror: str | None, cache: Path, indexes: dict[str, dict]) -> Outcome:
    if not is_digest(pin.digest):
        return Outcome(pin, "failed", "no digest pinned in components/versions.py: run `platformctl charts lock`")
    try:
        if verified_archive(pin, cache) is not None:
            return Outcome(pin, "cached", "", pin.digest)
    except ChartArchiveError as exc:
        return Outcome(pin, "failed", exc.line.removeprefix(f"chart {pin.label}: "))
    try:
        data, _, source = fetch(pin, mirror, indexes)
    except ChartSourceError as exc:
        return Outcome(pin, "failed", str(exc))
    actual = sha256_digest(data)
    if actual != pin.digest:
        return Outcome(pin, "failed", mismatch_line(pin, f"the archive from {source}", actual).split(": ", 1)[1])
    store(data, cache)
    return Outcome(pin, "pulled", source, actual)


def lock(
    selected: list[ChartPin],
    *,
    mirror: str | None,
    cache: Path,
    versions_file: Path,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Fetch each pinned version, check it, store it and write its digest into components/versions.py."""
    indexes: dict[str, dict] = {}
    outcomes: list[Outcome] = []
    digests: dict[str, str] = {}
    for pin in selected:
        try:
            data, published, source = fetch(pin, mirror, indexes)
            _check_archive(pin, data)
        except ChartSourceError as exc:
            outcome = Outcome(pin, "failed", str(exc))
        else:
            actual = sha256_digest(data)
            if published and published != actual:
                outcome = Outcome(
                    pin, "failed", f"{source} has digest {actual}, but its repository index publishes {published}"
                )
            else:
                store(data, cache)
                digests[pin.key] = actual
                outcome = Outcome(pin, "unchanged" if actual == pin.digest else "locked", source, actual)
        outcomes.append(outcome)
        if progress:
            progress(outcome)
    if digests:
        write_digests(versions_file, digests)
    return outcomes


def write_digests(path: Path, digests: dict[str, str]) -> None:
    """Set `"digest": "<value>"` in each HELM_CHARTS entry of components/versions.py (comments and layout kept)."""
    text = path.read_text()
    tree = ast.parse(text)
    entries = _helm_chart_entries(tree)
    lines = text.splitlines(keepends=True)
    # Edit from the bottom up so earlier positions stay valid.
    edits = []
    for key, digest in digests.items():
        node = entries.get(key)
        if node is None:
            raise ValueError(f"{path}: HELM_CHARTS has no entry {key!r}")
        value = next((v for k, v in zip(node.keys, node.values, strict=True) if _const(k) == "digest"), None)
        if value is not None:
            edits.append((value.lineno, value.col_offset, value.end_lineno, value.end_col_offset, f'"{digest}"'))
        else:
            version = next(v for k, v in zip(node.keys, node.values, strict=True) if _const(k) == "version")
            indent = " " * node.keys[0].col_offset
            insert = f'\n{indent}"digest": "{digest}",'
            line = lines[version.end_lineno - 1]
            col = version.end_col_offset + (
                1 if line[version.end_col_offset : version.end_col_offset + 1] == "," else 0
            )
            edits.append((version.end_lineno, col, version.end_lineno, col, insert))
    for lineno, col, end_lineno, end_col, replacement in sorted(edits, reverse=True):
        start = lines[lineno - 1]
        end = lines[end_lineno - 1]
        merged = start[:col] + replacement + end[end_col:]
        lines[lineno - 1 : end_lineno] = [merged]
    new = "".join(lines)
    ast.parse(new)  # never write a broken file
    path.write_text(new)


def _const(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _helm_chart_entries(tree: ast.Module) -> dict[str, ast.Dict]:
    for stmt in tree.body:
        target = (
            stmt.target
            if isinstance(stmt, ast.AnnAssign)
            else (stmt.targets[0] if isinstance(stmt, ast.Assign) else None)
        )
        if isinstance(target, ast.Name) and target.id == "HELM_CHARTS" and isinstance(stmt.value, ast.Dict):
            return {
                str(_const(k)): v
                for k, v in zip(stmt.value.keys, stmt.value.values, strict=True)
                if isinstance(v, ast.Dict) and isinstance(_const(k), str)
            }
    raise ValueError("components/versions.py has no HELM_CHARTS dict literal")


def cache_status(selected: list[ChartPin], cache: Path) -> list[Outcome]:
    """Whether each pin's archive is in the cache and intact (no network)."""
    out = []
    for pin in selected:
        try:
            path = verified_archive(pin, cache)
        except ChartArchiveError as exc:
            out.append(Outcome(pin, "failed", exc.line.removeprefix(f"chart {pin.label}: ")))
            continue
        if not is_digest(pin.digest):
            out.append(Outcome(pin, "failed", "no digest pinned: run `platformctl charts lock`"))
        elif path is None:
            out.append(Outcome(pin, "missing", "not cached: run `platformctl charts pull`"))
        else:
            out.append(Outcome(pin, "cached", str(path), pin.digest))
    return out


def default_cache(project_dir: Path) -> Path:
    return cache_dir(project_dir)
