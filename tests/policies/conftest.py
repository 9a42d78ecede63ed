"""Both policy packs, started once for every gRPC test under tests/policies (a start costs a second or two).

A pack process remembers the Namespaces it has analysed (that is how the Pod Security level follows namespace
labels), so every test uses its own namespace names and URNs, and configures the policies it relies on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.analyzer import find_packs, start_packs
from policies.rules import config as catalog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def packs():
    started = start_packs(find_packs(ROOT))
    yield {p.name: p for p in started}
    for p in started:
        p.close()


@pytest.fixture(scope="session")
def aws(packs):
    return packs[catalog.AWS_PACK]


@pytest.fixture(scope="session")
def k8s(packs):
    return packs[catalog.KUBERNETES_PACK]
