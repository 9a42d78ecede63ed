"""The GitHub workflows users get: valid YAML, and every command they run exists (platformctl commands and their
flags, make targets)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# An invocation: `.venv/bin/platformctl <command> ...` anywhere, or `platformctl <command>` starting a line.
PLATFORMCTL = re.compile(r"(?:\.venv/bin/platformctl|^\s*platformctl)\s+([a-z][a-z-]*)([^\n;|&>]*)", re.M)
MAKE = re.compile(r"(?:^|[;&|]\s*|\n\s*)make\s+([a-z][\w-]*)")


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def run_scripts(doc: dict) -> list[str]:
    return [step["run"] for job in doc["jobs"].values() for step in job.get("steps", []) if "run" in step]


def platformctl_calls(doc: dict) -> list[tuple[str, list[str]]]:
    calls = []
    for script in run_scripts(doc):
        for command, rest in PLATFORMCTL.findall(script):
            rest = re.sub(r"\$\{\{[^}]*\}\}", "X", rest)
            calls.append((command, shlex.split(rest.replace("$", ""))))
    return calls


@pytest.fixture(scope="module")
def commands() -> dict[str, str]:
    """platformctl command name -> its --help text."""
    from typer.testing import CliRunner

    from platformctl.cli import app

    runner = CliRunner()
    names = re.findall(r"^  ([a-z][a-z-]*)\s", runner.invoke(app, ["--help"]).stdout, re.M)
    return {name: runner.invoke(app, [name, "--help"]).stdout for name in names}


def test_the_workflows_exist():
    names = {p.name for p in WORKFLOWS}
    assert {"pull-request.yml", "deploy.yml", "drift.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid(path):
    doc = load(path)
    assert doc.get("name") and doc.get("on") and doc.get("jobs")
    for name, job in doc["jobs"].items():
        assert job.get("runs-on"), name
        assert job.get("steps"), name
        for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert need in doc["jobs"], f"{name} needs unknown job {need}"
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), step
            if "uses" in step:
                assert re.search(r"@v\d+", step["uses"]), f"unpinned action {step['uses']}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_platformctl_commands_and_flags_exist(path, commands):
    for command, args in platformctl_calls(load(path)):
        assert command in commands, f"{path.name}: platformctl {command} does not exist"
        for arg in args:
            if arg.startswith("-"):
                flag = arg.split("=", 1)[0]
                assert re.search(rf"(^|[\s,]){re.escape(flag)}([\s,]|$)", commands[command], re.M), (
                    f"{path.name}: platformctl {command} has no {flag}"
                )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_make_targets_exist(path):
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    for script in run_scripts(load(path)):
        for target in MAKE.findall(script):
            assert target in targets, f"{path.name}: make {target} is not a Makefile target"


def test_pull_requests_run_tests_offline_checks_and_optional_previews():
    doc = load(ROOT / ".github" / "workflows" / "pull-request.yml")
    assert "pull_request" in doc["on"]
    jobs = doc["jobs"]
    assert any("make test" in s for s in run_scripts({"jobs": {"t": jobs["test"]}}))
    offline = platformctl_calls({"jobs": {"o": jobs["offline"]}})
    assert ("plan", ["stack", "--quiet"]) in offline or any(c == "plan" for c, _ in offline)
    assert any(c == "policy" and "markdown" in a for c, a in offline)
    preview = platformctl_calls({"jobs": {"p": jobs["preview"]}})
    assert any(c == "preview" and "--policy" in a and "markdown" in a for c, a in preview)
    # Previews only with an AWS role configured (OIDC), never for forks.
    assert "AWS_PREVIEW_ROLE_ARN" in jobs["preview"]["if"]
    assert jobs["preview"]["permissions"]["id-token"] == "write"
    # Both reports are posted as sticky comments (found again by their marker).
    scripts = [
        s["with"]["script"]
        for j in ("offline", "preview")
        for s in jobs[j]["steps"]
        if "github-script" in s.get("uses", "")
    ]
    assert len(scripts) == 2 and all("updateComment" in s for s in scripts)


def test_main_deploys_dev_automatically_and_prod_behind_a_protected_environment():
    doc = load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    jobs = doc["jobs"]
    assert jobs["up-dev"]["environment"] == "dev"
    assert jobs["up-prod"]["environment"] == "prod"
    assert jobs["up-prod"]["needs"] == "preview-prod" and jobs["preview-prod"]["needs"] == "up-dev"
    up_dev = platformctl_calls({"jobs": {"j": jobs["up-dev"]}})
    up_prod = platformctl_calls({"jobs": {"j": jobs["up-prod"]}})
    # The verified chart archives first: the program installs what `charts pull` checked.
    for calls in (up_dev, up_prod):
        assert calls.pop(0) == ("charts", ["pull"])
    assert up_dev[0][0] == "up" and up_dev[0][1][0] == "dev"
    assert up_prod[0][0] == "up" and up_prod[0][1][0] == "prod" and "--yes" in up_prod[0][1]
    assert doc["concurrency"]["cancel-in-progress"] is False
