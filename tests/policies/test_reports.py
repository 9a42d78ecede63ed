"""Policy check reports (platformctl/reports.py): JSON, Markdown PR comment, SARIF 2.1.0, terminal table."""

from __future__ import annotations

import json

import pytest

from platformctl.analyzer import Diagnostic
from platformctl.reports import PolicyReport, PolicySummary, render, render_markdown, render_sarif, render_table

URN_VOL = "urn:pulumi:prod::eks-platform::eks-platform:data:Data$aws:ebs/volume:Volume::data"
URN_NS = "urn:pulumi:prod::eks-platform::kubernetes:core/v1:Namespace::legacy"
URN_POD = "urn:pulumi:prod::eks-platform::kubernetes:core/v1:Pod::debug"


def diag(policy, level, urn, message, pack="eks-platform-aws", type_="aws:ebs/volume:Volume", name="data"):
    return Diagnostic(pack, policy, level, message, urn, f"{policy} description", type_, name)


def make_report(diagnostics=None) -> PolicyReport:
    policies = [
        PolicySummary("eks-platform-aws", "encryption-at-rest", "Encrypt with a CMK.", "mandatory"),
        PolicySummary(
            "eks-platform-aws", "required-tags", "Tag everything.", "mandatory", config={"requiredTags": ["team"]}
        ),
        PolicySummary("eks-platform-kubernetes", "workload-resources", "Set resources.", "advisory"),
        PolicySummary("eks-platform-kubernetes", "namespace-default-deny", "Deny by default.", "mandatory", stack=True),
    ]
    if diagnostics is None:
        diagnostics = [
            diag("workload-resources", "advisory", URN_POD, "container \"c\": resources.requests.cpu must be set",
                 "eks-platform-kubernetes", "kubernetes:core/v1:Pod", "debug"),
            diag("required-tags", "mandatory", URN_VOL, "missing required tags team: set them in `tags`"),
            diag("encryption-at-rest", "mandatory", URN_VOL, "`encrypted` is not true: set `encrypted: true` | <now>"),
            diag("namespace-default-deny", "mandatory", URN_NS, 'Namespace "legacy": no default-deny NetworkPolicy',
                 "eks-platform-kubernetes", "kubernetes:core/v1:Namespace", "legacy"),
        ]  # fmt: skip
    return PolicyReport(
        project="eks-platform",
        stack="prod",
        environment="prod",
        production=True,
        stack_file="Pulumi.prod.yaml",
        policy_config="policies/config/prod.json",
        resources=42,
        packs={"eks-platform-aws": "0.1.0", "eks-platform-kubernetes": "0.1.0"},
        policies=policies,
        diagnostics=diagnostics,
        timings={"total": 1.234},
    )


def test_violations_are_ordered_mandatory_first_then_policy_and_resource():
    report = make_report()
    assert [(d.level, d.policy) for d in report.diagnostics] == [
        ("mandatory", "encryption-at-rest"),
        ("mandatory", "namespace-default-deny"),
        ("mandatory", "required-tags"),
        ("advisory", "workload-resources"),
    ]
    assert not report.passed and len(report.mandatory) == 3 and len(report.advisory) == 1


def test_json_report():
    doc = json.loads(render(make_report(), "json"))
    assert doc["schemaVersion"] == 1 and doc["stack"] == "prod" and doc["passed"] is False
    assert doc["unexpanded"] == [] and doc["allowUnexpanded"] is False
    assert doc["summary"] == {
        "resources": 42,
        "rendered": 0,
        "mandatory": 3,
        "advisory": 1,
        "byPolicy": {
            "encryption-at-rest": {"mandatory": 1},
            "namespace-default-deny": {"mandatory": 1},
            "required-tags": {"mandatory": 1},
            "workload-resources": {"advisory": 1},
        },
    }
    aws = next(p for p in doc["packs"] if p["name"] == "eks-platform-aws")
    assert aws["policies"][1] == {
        "name": "required-tags",
        "description": "Tag everything.",
        "enforcementLevel": "mandatory",
        "type": "resource",
        "config": {"requiredTags": ["team"]},
    }
    first = doc["violations"][0]
    assert set(first) == {
        "pack",
        "policy",
        "level",
        "message",
        "urn",
        "description",
        "type",
        "name",
        "parent",
        "configKey",
        "configLine",
    }
    assert first["policy"] == "encryption-at-rest" and first["urn"] == URN_VOL


def test_markdown_report_is_a_pr_comment():
    md = render_markdown(make_report())
    assert md.startswith("## ❌ Policy check: `prod` failed")
    assert "**3** mandatory · **1** advisory violation(s)" in md
    assert "| `encryption-at-rest` | eks-platform-aws | mandatory | 1 |" in md
    assert md.index("### Mandatory violations (3)") < md.index("### Advisory violations (1)")
    # Grouped by policy, each item names the resource and carries the fix.
    mandatory = md[md.index("### Mandatory") : md.index("### Advisory")]
    assert mandatory.index("#### `encryption-at-rest` (1)") < mandatory.index("#### `required-tags` (1)")
    assert "- **data (aws:ebs/volume:Volume)**: `encrypted` is not true: set `encrypted: true` \\| &lt;now&gt;" in md
    assert "_Encrypt with a CMK._" in md


def test_markdown_for_a_clean_stack():
    md = render_markdown(make_report([]))
    assert md.startswith("## ✅ Policy check: `prod` passed") and "No violations." in md


def test_sarif_report_has_the_required_structure():
    sarif = json.loads(render_sarif(make_report()))
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "platformctl-policy"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == ["encryption-at-rest", "required-tags", "workload-resources", "namespace-default-deny"]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    assert run["artifacts"] == [{"location": {"uri": "Pulumi.prod.yaml", "uriBaseId": "%SRCROOT%"}}]
    assert len(run["results"]) == 4
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.prod.yaml"
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:prod::")
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {
        "encryption-at-rest": "error",
        "namespace-default-deny": "error",
        "required-tags": "error",
        "workload-resources": "warning",
    }
    fingerprints = [r["partialFingerprints"]["platformctlPolicy/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == 4


def test_sarif_is_stable():
    assert render_sarif(make_report()) == render_sarif(make_report())


def test_table_report():
    text = render_table(make_report(), color=False, width=200)
    assert "Policies for stack prod" in text and "namespace-default-deny" in text
    assert "policy check FAILED for stack prod: 3 mandatory, 1 advisory" in text


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown report format"):
        render(make_report(), "xml")
