"""Shared fixtures: one offline (mocked) run per stack for the whole session, because a run costs ~1 s."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Tests never see a developer's chart cache: an empty one per session (child processes inherit it); tests
    that need charts make their own cache."""
    import os
    import tempfile

    from components.chart_cache import CACHE_ENV, MIRROR_ENV

    os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="eks-platform-test-charts-")
    os.environ.pop(MIRROR_ENV, None)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


class Plans(dict):
    """stack -> its offline plan, run on first use; iterating it covers every stack of the repository (from the
    Pulumi.<stack>.yaml files, dev and prod or any other)."""

    def __init__(self) -> None:
        super().__init__()
        from platformctl.engine import run_plan
        from platformctl.fleet import OfflineReferences

        # Bound now: a test may monkeypatch platformctl.engine.run_plan to read from this very mapping.
        self._run_plan = run_plan
        # The stacks a fleet member reads (StackReferences) are planned once for the session, here too.
        self.references = OfflineReferences(ROOT)

    def __missing__(self, stack: str):
        from components.config.fleet import CLUSTER_PROJECT

        key = (CLUSTER_PROJECT, stack)
        plan = self.references.plans.get(key) or self._run_plan(stack, project_dir=ROOT, references=self.references)
        self[stack] = self.references.plans[key] = plan
        return plan

    def _every_stack(self) -> None:
        from components.config.repository import stack_names

        for stack in stack_names(ROOT):
            self[stack]  # runs the plan once

    def items(self):
        self._every_stack()
        return super().items()

    def values(self):
        self._every_stack()
        return super().values()

    def keys(self):
        self._every_stack()
        return super().keys()

    def __iter__(self):
        self._every_stack()
        return super().__iter__()


@pytest.fixture(scope="session")
def plans() -> Plans:
    return Plans()


@pytest.fixture(scope="session")
def fleet_plan(plans):
    """The example fleet (fleets/prod.yaml) planned offline, sharing the session's plans of its cluster stacks."""
    from platformctl.fleet import plan_fleet

    return plan_fleet(ROOT, "prod", references=plans.references)


@pytest.fixture(scope="session")
def dev_plan(plans):
    return plans["dev"]


@pytest.fixture(scope="session")
def prod_plan(plans):
    return plans["prod"]


@pytest.fixture
def run_program():
    """Run a program body under the offline engine's recording monitor (as platformctl.engine runs __main__.py);
    returns the recorder (resources, invokes, expansions)."""
    from platformctl import engine, mock_outputs

    def run(body, region: str = "eu-west-1", env=None):
        recorder = engine._Recorder(region=region, config={"aws:region": region}, env=env or {})
        monitor = engine._make_monitor(recorder, mock_outputs.Ctx(region=region))
        engine.run_with_mocks(
            body, monitor.mocks, project="t", stack="t", monitor=monitor, config={"aws:region": region}
        )
        return recorder

    return run


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


@pytest.fixture
def project_copy(tmp_path):
    """A copy of the repository's tracked files in a temporary directory (`project_copy()` -> its path), for commands
    that edit stack files or platform/ (point PLATFORMCTL_PROJECT_DIR at it). `git=True` makes it a git work tree
    with one commit, as a clone is."""
    import shutil
    import subprocess

    def make(git: bool = False) -> Path:
        listed = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True)
        project = tmp_path / "project"
        for name in listed.stdout.splitlines():
            if (ROOT / name).is_file():
                (project / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, project / name)
        if git:
            for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "clone"]):
                subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True)
        return project

    return make
