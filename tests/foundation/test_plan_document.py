"""The plan JSON document: schema, stability, secrets, and the CLI around it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from platformctl.cli import app
from platformctl.plan import SCHEMA_FILE, SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_FILE.read_text())


def test_documents_match_the_published_schema(plans, schema):
    for plan in plans.values():
        doc = json.loads(plan.to_json())
        jsonschema.validate(doc, schema)
        assert doc["schemaVersion"] == SCHEMA_VERSION
        urns = [r["urn"] for r in doc["resources"]]
        assert urns == sorted(urns) and len(set(urns)) == len(urns)
        assert doc["summary"]["resources"] == len(doc["resources"])


def test_document_is_stable_across_runs(dev_plan):
    from platformctl.engine import run_plan

    assert run_plan("dev", project_dir=ROOT).to_json() == dev_plan.to_json()


def test_dependencies_and_parents_point_at_recorded_resources(plans):
    for plan in plans.values():
        urns = set(plan.by_urn)
        for r in plan.resources:
            assert r.parent is None or r.parent in urns, r.urn
            for dep in r.dependencies + [u for us in r.property_dependencies.values() for u in us]:
                assert dep in urns, f"{r.urn} -> {dep}"


def test_secure_config_values_never_appear_in_plaintext(tmp_path):
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["platform:gitopsRepoToken"] = {"secure": "v1:c2VjcmV0LWNpcGhlcnRleHQ="}
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["plan", "dev", "--config-file", str(path), "--json", str(out), "-q"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "v1:c2VjcmV0LWNpcGhlcnRleHQ=" not in text


def test_plan_cli_writes_json_and_graph(tmp_path):
    out, graph = tmp_path / "p.json", tmp_path / "p.mmd"
    result = runner.invoke(app, ["plan", "prod", "--json", str(out), "--graph", str(graph)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["stack"] == "prod" and doc["production"] is True
    nat = [r for r in doc["resources"] if r["type"] == "aws:ec2/natGateway:NatGateway"]
    assert len(nat) == 3
    mermaid = graph.read_text()
    assert mermaid.startswith("flowchart LR") and "prod-network" in mermaid
    assert "resources in" in result.output


@pytest.mark.parametrize(
    ("mutation", "key"),
    [
        (
            {"platform:network": {"vpcCidr": "10.20.0.0/16", "azCount": 2, "natGateways": "single", "typo": 1}},
            "platform:network.typo: unknown key",
        ),
        ({"platform:network": {"vpcCidr": "10.20.0.0/99"}}, "platform:network.vpcCidr: not a valid IPv4 CIDR"),
    ],
)
def test_bad_config_exits_2_with_one_line_naming_the_key(tmp_path, mutation, key):
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"].update(mutation)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["plan", "dev", "--config-file", str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(key), result.output
    assert "Traceback" not in result.output


def test_min_greater_than_max_exits_2_in_a_real_process(tmp_path):
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["platform:nodePools"][1].update(minSize=6, desiredSize=6, maxSize=5)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    exe = Path(sys.executable).with_name("platformctl")
    proc = subprocess.run(
        [str(exe), "plan", "dev", "--config-file", str(bad)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "platform:nodePools[1].minSize: must be <= maxSize (5) (got 6)",
        "platform:nodePools[1].desiredSize: must be <= maxSize (5) (got 6)",
    ]
    assert "Traceback" not in proc.stderr + proc.stdout


def test_cli_start_does_not_import_pulumi():
    code = (
        "import sys, platformctl.cli; bad = [m for m in ('pulumi', 'pulumi_aws', 'rich') if m in sys.modules]; "
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
