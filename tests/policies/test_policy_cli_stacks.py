"""`platformctl policy` end to end on stack configs: our stacks pass, a config that turns encryption off fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXE = str(Path(sys.executable).with_name("platformctl"))


def policy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, "policy", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)


def test_prod_without_customer_managed_flow_log_key_fails_the_encryption_policy(tmp_path):
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    doc["config"]["platform:network"]["flowLogs"]["customerManagedKey"] = False
    bad = tmp_path / "Pulumi.prod.yaml"
    bad.write_text(yaml.safe_dump(doc))
    report = tmp_path / "report.json"
    result = policy("prod", "--config-file", str(bad), "--format", "json", "--output", str(report))
    assert result.returncode == 1, result.stdout + result.stderr
    violations = json.loads(report.read_text())
    text = json.dumps(violations)
    assert "encryption-at-rest" in text and "prod-network-flow-logs" in text and "kmsKeyId" in text


def test_prod_sarif_and_markdown_reports(tmp_path):
    sarif = tmp_path / "p.sarif"
    assert policy("prod", "--format", "sarif", "--output", str(sarif), "--allow-unexpanded").returncode == 0
    doc = json.loads(sarif.read_text())
    assert doc["version"] == "2.1.0" and doc["runs"][0]["tool"]["driver"]["rules"]
    assert doc["runs"][0]["properties"]["unexpanded"], "no chart is cached in the tests"
    md = policy("prod", "--format", "markdown", "--allow-unexpanded")
    assert md.returncode == 0 and md.stdout.lstrip().startswith("#")
    assert "not expanded" in md.stdout and "allowed by --allow-unexpanded" in md.stdout


def test_a_violation_names_the_config_key_and_sarif_points_at_its_line(tmp_path):
    """Fix hints name the config key to change (not `kmsKeyId`); SARIF's region is that key's line."""
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    text = text.replace("    flowLogs:\n", "    flowLogs:\n      customerManagedKey: false\n", 1)
    bad = tmp_path / "Pulumi.prod.yaml"
    bad.write_text(text)
    line = text.splitlines().index("      customerManagedKey: false") + 1
    sarif = tmp_path / "p.sarif"  # the format from the suffix
    result = policy("prod", "--config-file", str(bad), "-o", str(sarif))
    assert result.returncode == 1, result.stderr
    [run] = json.loads(sarif.read_text())["runs"]
    [finding] = [r for r in run["results"] if r["ruleId"] == "encryption-at-rest"]
    assert finding["properties"]["configKey"] == "platform:network.flowLogs.customerManagedKey"
    assert finding["locations"][0]["physicalLocation"]["region"]["startLine"] == line
    assert "change `platform:network.flowLogs.customerManagedKey`" in finding["message"]["text"]
    md = policy("prod", "--config-file", str(bad), "--format", "markdown")
    assert f"change `platform:network.flowLogs.customerManagedKey` ({bad} line {line})" in md.stdout


def test_the_policy_table_never_cuts_a_resource_name_at_80_columns(tmp_path):
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    doc["config"]["platform:network"]["flowLogs"]["customerManagedKey"] = False
    bad = tmp_path / "Pulumi.prod.yaml"
    bad.write_text(yaml.safe_dump(doc))
    for columns in ("80", "60", "200"):
        result = subprocess.run(
            [EXE, "policy", "prod", "--config-file", str(bad)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env={**__import__("os").environ, "COLUMNS": columns},
        )
        assert result.returncode == 1
        assert "prod-network-flow-logs (aws:cloudwatch/logGroup:LogGroup)" in result.stdout, columns
        assert "platform:network.flowLogs.customerManagedKey" in result.stdout
        assert "…" not in result.stdout
