"""The verified chart cache and `charts pull|lock`: fetched from a mirror directory or an HTTP Helm repository on
127.0.0.1, stored only when the digest is the pinned one; corrupted, missing and mismatching archives refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components.chart_cache import (
    CACHE_ENV,
    ChartArchiveError,
    ChartPin,
    archive_path,
    chart_reference,
    file_digest,
    verified_archive,
)
from platformctl import charts

ROOT = Path(__file__).resolve().parents[2]


def pin(demo_archive, repo="https://charts.example.com", digest=None, **kw) -> ChartPin:
    return ChartPin(
        key=kw.get("key", "demo"),
        repo=repo,
        chart=kw.get("chart", "demo-addon"),
        version=kw.get("version", "0.1.0"),
        digest=file_digest(demo_archive) if digest is None else digest,
    )


def test_pull_from_a_mirror_directory_stores_the_verified_archive(tmp_path, demo_archive, mirror_dir):
    p = pin(demo_archive)
    (o,) = charts.pull([p], mirror=str(mirror_dir), cache=tmp_path)
    assert o.status == "pulled" and o.digest == p.digest
    assert verified_archive(p, tmp_path) == archive_path(p, tmp_path)
    (again,) = charts.pull([p], mirror=str(mirror_dir), cache=tmp_path)
    assert again.status == "cached"


def test_pull_from_an_http_helm_repository(tmp_path, demo_archive, helm_repo):
    p = pin(demo_archive, repo=helm_repo)
    (o,) = charts.pull([p], mirror=None, cache=tmp_path)
    assert o.status == "pulled", o.detail
    assert o.detail.startswith(helm_repo) and o.detail.endswith("demo-addon-0.1.0.tgz")
    # ... and from the same repository as a mirror (one Helm repository serving every chart).
    other = tmp_path / "other"
    (o,) = charts.pull([pin(demo_archive, repo="https://unreachable.invalid")], mirror=helm_repo, cache=other)
    assert o.status == "pulled", o.detail


def test_a_digest_that_differs_from_the_pin_is_refused_and_nothing_is_stored(tmp_path, demo_archive, mirror_dir):
    p = pin(demo_archive, digest="sha256:" + "0" * 64)
    (o,) = charts.pull([p], mirror=str(mirror_dir), cache=tmp_path)
    assert o.status == "failed"
    assert "has digest sha256:" in o.detail and "pins sha256:000" in o.detail
    assert not list(tmp_path.rglob("*.tgz"))


def test_one_changed_byte_in_the_cache_is_refused_naming_the_chart(tmp_path, demo_archive, mirror_dir, monkeypatch):
    p = pin(demo_archive)
    charts.pull([p], mirror=str(mirror_dir), cache=tmp_path)
    cached = archive_path(p, tmp_path)
    data = bytearray(cached.read_bytes())
    data[len(data) // 2] ^= 0x01
    cached.write_bytes(bytes(data))
    with pytest.raises(ChartArchiveError) as err:
        verified_archive(p, tmp_path)
    assert err.value.line.startswith("chart demo 0.1.0: the cached archive ")
    (o,) = charts.pull([p], mirror=str(mirror_dir), cache=tmp_path)
    assert o.status == "failed" and "refused" in o.detail
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    with pytest.raises(ChartArchiveError):
        chart_reference(p, tmp_path)  # what the program installs: never the changed archive


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"chart": "missing-chart"}, "has no chart named missing-chart"),
        ({"version": "9.9.9"}, "has no version 9.9.9 of demo-addon (newest: 0.1.0)"),
    ],
)
def test_a_missing_chart_or_version_is_named(tmp_path, demo_archive, helm_repo, changes, expected):
    (o,) = charts.pull([pin(demo_archive, repo=helm_repo, **changes)], mirror=None, cache=tmp_path)
    assert o.status == "failed" and expected in o.detail


def test_a_mirror_without_the_archive_and_an_unreachable_repository(tmp_path, demo_archive):
    (o,) = charts.pull([pin(demo_archive)], mirror=str(tmp_path), cache=tmp_path / "c")
    assert o.status == "failed" and "has no demo-addon-0.1.0.tgz" in o.detail
    (o,) = charts.pull([pin(demo_archive)], mirror=str(tmp_path / "nope"), cache=tmp_path / "c")
    assert o.status == "failed" and "is not a directory" in o.detail
    (o,) = charts.pull([pin(demo_archive, repo="http://127.0.0.1:9")], mirror=None, cache=tmp_path / "c")
    assert o.status == "failed" and o.detail.startswith("http://127.0.0.1:9/index.yaml")


def test_a_pin_without_a_digest_asks_for_lock(tmp_path, demo_archive, mirror_dir):
    (o,) = charts.pull([pin(demo_archive, digest="")], mirror=str(mirror_dir), cache=tmp_path)
    assert o.status == "failed" and "charts lock" in o.detail


def test_a_corrupted_archive_is_not_a_chart(tmp_path, demo_archive):
    mirror = tmp_path / "m"
    mirror.mkdir()
    (mirror / demo_archive.name).write_bytes(b"this is not gzip")
    versions = tmp_path / "versions.py"
    shutil.copy(ROOT / "components" / "versions.py", versions)
    p = pin(demo_archive, key="metrics-server")
    (o,) = charts.lock([p], mirror=str(mirror), cache=tmp_path / "c", versions_file=versions)
    assert o.status == "failed" and "not a readable chart archive" in o.detail
    assert versions.read_text() == (ROOT / "components" / "versions.py").read_text()


def test_lock_writes_the_digests_into_versions_py(tmp_path, demo_archive, helm_repo):
    versions = tmp_path / "versions.py"
    original = (ROOT / "components" / "versions.py").read_text()
    versions.write_text(original)
    p = pin(demo_archive, repo=helm_repo, key="metrics-server", digest="")
    (o,) = charts.lock([p], mirror=None, cache=tmp_path / "c", versions_file=versions)
    assert o.status == "locked", o.detail
    text = versions.read_text()
    namespace: dict = {}
    exec(compile(text, str(versions), "exec"), namespace)
    assert namespace["HELM_CHARTS"]["metrics-server"]["digest"] == file_digest(demo_archive)
    # Only that digest changed: comments and the other entries are as they were.
    changed = [(a, b) for a, b in zip(original.splitlines(), text.splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and file_digest(demo_archive) in changed[0][1]
    assert verified_archive(pin(demo_archive, key="metrics-server"), tmp_path / "c") is not None


def test_lock_refuses_an_archive_that_its_repository_index_contradicts(tmp_path, demo_archive, helm_repo, monkeypatch):
    import yaml

    # A repository whose index publishes another digest for the archive it serves.
    index = yaml.safe_load(charts._get(helm_repo + "/index.yaml"))
    index["entries"]["demo-addon"][0]["digest"] = "1" * 64
    monkeypatch.setattr(charts, "_index", lambda url, cache: index)
    versions = tmp_path / "versions.py"
    shutil.copy(ROOT / "components" / "versions.py", versions)
    p = pin(demo_archive, repo=helm_repo, key="metrics-server", digest="")
    (o,) = charts.lock([p], mirror=None, cache=tmp_path / "c", versions_file=versions)
    assert o.status == "failed" and "its repository index publishes sha256:1111" in o.detail
    assert versions.read_text() == (ROOT / "components" / "versions.py").read_text()


def test_select_names_unknown_keys():
    with pytest.raises(ValueError, match="unknown chart"):
        charts.select(["no-such-chart"])
    assert {p.key for p in charts.select(None)} >= {"argo-cd", "karpenter", "metrics-server"}
