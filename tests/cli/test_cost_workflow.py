"""The pull-request workflow's cost comment: each stack's estimate and its change against the base branch."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from typer.testing import CliRunner

from platformctl.cli import app

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "pull-request.yml"


def cost_job() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]["cost"]


def script(job: dict, name: str) -> str:
    return next(s["run"] for s in job["steps"] if s.get("name") == name)


def test_the_base_branch_is_planned_offline_in_a_worktree_of_its_own():
    job = cost_job()
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["fetch-depth"] == 0
    step = next(s for s in job["steps"] if s.get("name") == "Plan the base branch (offline)")
    assert step["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    run = step["run"]
    assert 'git worktree add --detach "$RUNNER_TEMP/base" "$BASE_SHA"' in run
    # Its own environment and its own platformctl: the base branch's program, planned as the base branch plans it.
    assert 'cd "$RUNNER_TEMP/base" && make venv' in run
    assert '.venv/bin/platformctl plan "$stack" --quiet --json "$RUNNER_TEMP/base-$stack.json"' in run


def test_each_stack_gets_its_estimate_and_delta_in_the_sticky_comment():
    job = cost_job()
    run = script(job, "Estimate every stack and its change")
    assert "<!-- platformctl:cost -->" in run and "for stack in $STACKS; do" in run
    assert '--base-plan "$RUNNER_TEMP/base-$stack.json"' in run and '--base-config "$base/Pulumi.$stack.yaml"' in run
    assert '--format markdown --output "cost-$stack.md"' in run and 'cat "cost-$stack.md" >> cost.md' in run
    post = next(s for s in job["steps"] if s.get("name") == "Post the sticky comment")
    assert 'readFileSync("cost.md"' in post["with"]["script"]
    assert 'const marker = "<!-- platformctl:cost -->"' in post["with"]["script"]


def test_the_workflows_cost_command_renders_the_table_and_the_delta(plans, tmp_path, monkeypatch):
    """The exact `platformctl cost` line of the workflow, with a base plan where prod ran dev's node pools."""
    line = next(
        ln.strip()
        for ln in script(cost_job(), "Estimate every stack and its change").splitlines()
        if "platformctl cost " in ln
    )
    base_dir = tmp_path / "base"
    base_dir.mkdir()
    (base_dir / "Pulumi.prod.yaml").write_text((ROOT / "Pulumi.prod.yaml").read_text())
    (tmp_path / "base-prod.json").write_text(plans["dev"].to_json().replace('"stack": "dev"', '"stack": "prod"'))
    (tmp_path / "prod.json").write_text(plans["prod"].to_json())
    values = {"$RUNNER_TEMP": str(tmp_path), "$base": str(base_dir), "$stack": "prod"}
    args = shlex.split(re.sub(r"\$RUNNER_TEMP|\$base|\$stack", lambda m: values[m.group(0)], line))
    assert args[:3] == [".venv/bin/platformctl", "cost", "prod"]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [*args[1:], "--plan", str(tmp_path / "prod.json"), "--on", "2026-12-01"])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "cost-prod.md").read_text()
    assert md.startswith("### `prod` (eu-west-1): $")
    assert "| | base branch | this change | delta |" in md
    total = re.search(r"^\| \*\*total\*\* \| (\$[\d,.]+) \| (\$[\d,.]+) \| \*\*([+-]\$[\d,.]+)\*\* \|$", md, re.M)
    assert total, md
    base, head, delta = (float(g.strip("+$").replace(",", "")) for g in total.groups())
    assert round(head - base, 2) == delta > 0
    assert "| nodes |" in md and "Line items that changed" in md and "#### Monthly estimate" in md
