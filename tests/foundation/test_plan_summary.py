"""`platformctl plan` says what matters per component (settings and resource counts); types only with --types."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from platformctl.cli import app
from platformctl.summary import component_summaries


@pytest.fixture(scope="module")
def prod_output() -> str:
    result = CliRunner().invoke(app, ["plan", "prod"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_summary_shows_what_matters_per_component(prod_output, prod_plan):
    out = prod_output
    cfg = prod_plan.config
    assert f"Kubernetes {cfg.cluster.version} (standard support), API endpoint private only" in out
    lines = out.splitlines()
    nodes = lines[next(i for i, line in enumerate(lines) if line.startswith("  prod-nodes  ")) :]
    for pool in cfg.node_pools:
        line = next(line for line in nodes if line.strip().startswith(f"{pool.name}: "))
        assert all(t in line for t in pool.instance_types)
        assert f"min/desired/max {pool.min_size}/{pool.desired_size}/{pool.max_size}" in line
    for name, info in prod_plan.outputs["addons"].items():
        assert f"{name} {info['version']}" in out
    for c in component_summaries(prod_plan):
        assert re.search(rf"^  {re.escape(c.name)}  {c.resources} resources?\b", out, re.M), c.name
    assert sum(c.resources for c in component_summaries(prod_plan)) == len(prod_plan.resources)
    assert "Resources per type" not in out


def test_types_only_when_asked():
    result = CliRunner().invoke(app, ["plan", "dev", "--types"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "Resources per type" in result.output
