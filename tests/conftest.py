"""Shared fixtures: one offline (mocked) run per stack for the whole session, because a run costs ~1 s."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def dev_plan():
    from platformctl.engine import run_plan

    return run_plan("dev", project_dir=ROOT)


@pytest.fixture(scope="session")
def prod_plan():
    from platformctl.engine import run_plan

    return run_plan("prod", project_dir=ROOT)


@pytest.fixture(scope="session")
def plans(dev_plan, prod_plan):
    return {"dev": dev_plan, "prod": prod_plan}
