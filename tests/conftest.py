"""Shared fixtures: one offline (mocked) run per stack for the whole session, because a run costs ~1 s."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


class Plans(dict):
    """stack -> its offline plan, run on first use (every stack of the repository, dev and prod or any other)."""

    def __missing__(self, stack: str):
        from platformctl.engine import run_plan

        self[stack] = plan = run_plan(stack, project_dir=ROOT)
        return plan


@pytest.fixture(scope="session")
def plans() -> Plans:
    return Plans()


@pytest.fixture(scope="session")
def dev_plan(plans):
    return plans["dev"]


@pytest.fixture(scope="session")
def prod_plan(plans):
    return plans["prod"]


@pytest.fixture
def plan_with_edited_config(tmp_path):
    """`platformctl plan STACK --config-file F` where F is the stack's file after `edit(config)`:
    returns (exit code, output lines). The CLI path every bad-config test goes through."""
    import yaml
    from typer.testing import CliRunner

    from platformctl.cli import app

    def run(stack: str, edit) -> tuple[int, list[str]]:
        doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        edit(doc["config"])
        path = tmp_path / f"edited-{stack}.yaml"
        path.write_text(yaml.safe_dump(doc))
        result = CliRunner().invoke(app, ["plan", stack, "--config-file", str(path)])
        return result.exit_code, result.output.strip().splitlines()

    return run
