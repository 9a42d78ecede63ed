"""Hostile stack files through the CLI: every command that reads one refuses it with exit 2 before anything runs.

(The loader itself: tests/foundation/test_config_files.py.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from platformctl import errors

ROOT = Path(__file__).resolve().parents[2]
BOMB = (
    "config:\n"
    "  aws:region: eu-west-1\n"
    '  x0: &x0 ["boom","boom","boom","boom","boom","boom","boom","boom","boom","boom"]\n'
    + "".join(f"  x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 10) + "]\n" for i in range(1, 9))
    + "  platform:tags: {team: *x8}\n"
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the project's settings with stacks `bomb` (an alias bomb) and `prod` (a second environment block
    appended that says production: false)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", project)
    shutil.copy(ROOT / "Pulumi.dev.yaml", project)
    shutil.copytree(ROOT / "policies", project / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "Pulumi.bomb.yaml").write_text(BOMB)
    prod = (ROOT / "Pulumi.prod.yaml").read_text() + "  platform:environment:\n    production: false\n"
    (project / "Pulumi.prod.yaml").write_text(prod)
    monkeypatch.setenv("PLATFORMCTL_PROJECT_DIR", str(project))
    return project


@pytest.mark.parametrize(
    "command",
    [["plan"], ["policy"], ["diff-envs", "dev"], ["preview"], ["up", "--yes"], ["refresh"], ["drift"]],
    ids=lambda c: c[0],
)
def test_an_alias_bomb_exits_2_naming_the_file(fake_pulumi, project, cli, command):
    result = cli(command[0], "bomb", *command[1:])
    assert result.exit_code == errors.EXIT_USAGE, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "x4: expands to more than 100,000 values (YAML aliases `*name` repeat their anchor's value); write the values "
        f"out instead [{project / 'Pulumi.bomb.yaml'}:7]"
    ]
    assert fake_pulumi.calls() == []


def test_an_alias_bomb_does_not_hang_a_fresh_process(project):
    """The whole `platformctl plan` process (imports included) ends promptly; the timeout only stops a hang."""
    env = {**os.environ, "PLATFORMCTL_PROJECT_DIR": str(project)}
    cmd = [sys.executable, "-m", "platformctl.cli", "plan", "bomb"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == errors.EXIT_USAGE
    assert "Pulumi.bomb.yaml:7]" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", [["plan"], ["preview"], ["up", "--yes"]], ids=lambda c: c[0])
def test_a_duplicated_environment_block_exits_2_naming_it(fake_pulumi, project, cli, command):
    result = cli(command[0], "prod", *command[1:])
    assert result.exit_code == errors.EXIT_USAGE, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("platform:environment: duplicate key (first at line 4)")
    last = len((project / "Pulumi.prod.yaml").read_text().splitlines()) - 1  # the second block's first line
    assert line.endswith(f"{project / 'Pulumi.prod.yaml'}:{last}]")
    assert fake_pulumi.calls() == []


@pytest.mark.parametrize("flags", [["--yes"], ["--yes", "--confirm", "prod"]])
def test_destroy_of_a_file_that_says_two_things_never_reaches_pulumi(fake_pulumi, project, cli, flags):
    result = cli("destroy", "prod", *flags)
    assert result.exit_code == errors.EXIT_USAGE
    assert "platform:environment: duplicate key" in result.stderr
    assert fake_pulumi.calls() == []
