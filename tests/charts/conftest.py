"""Fixtures for the chart cache and the offline expansion: the project's own test chart, packaged, and a Helm
repository serving it on 127.0.0.1 (no network)."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURE_CHART = Path(__file__).resolve().parents[1] / "fixtures" / "charts" / "demo-addon"


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory) -> Path:
    """tests/fixtures/charts/demo-addon packaged as Helm does (demo-addon-0.1.0.tgz)."""
    import helm_python

    out = tmp_path_factory.mktemp("archives")
    return Path(helm_python.package(str(FIXTURE_CHART), destination=str(out)))


@pytest.fixture(scope="session")
def mirror_dir(tmp_path_factory, demo_archive) -> Path:
    """An air-gapped mirror: a directory of <chart>-<version>.tgz."""
    folder = tmp_path_factory.mktemp("mirror")
    shutil.copy(demo_archive, folder / demo_archive.name)
    return folder


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test output stays clean
        pass


@pytest.fixture(scope="session")
def helm_repo(tmp_path_factory, demo_archive) -> Iterator[str]:
    """An HTTP Helm repository on 127.0.0.1 (index.yaml with digests, archives beside it)."""
    import helm_python

    root = tmp_path_factory.mktemp("repo")
    shutil.copy(demo_archive, root / demo_archive.name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    url = f"http://127.0.0.1:{server.server_address[1]}/charts"
    (root / "charts").mkdir()
    shutil.move(str(root / demo_archive.name), root / "charts" / demo_archive.name)
    helm_python.repo_index_generate(str(root / "charts"), base_url=url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
