"""`platformctl addons check`: whether each Helm-installed add-on works as deployed, on the expanded plan. The
project's test chart stands in for external-secrets (its own namespace: Pod Security `restricted`, default-deny
NetworkPolicies opening the webhook port, an IAM role bound to external-secrets/external-secrets) and breaks each
check once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from platformctl import addon_checks

from .project import ROOT, copy_with_demo_chart, run


@pytest.fixture(scope="module")
def project(tmp_path_factory, helm_repo, mirror_dir) -> Path:
    proj = copy_with_demo_chart(tmp_path_factory.mktemp("addons-project"), "external-secrets", helm_repo)
    stack = yaml.safe_load((proj / "Pulumi.prod.yaml").read_text())
    stack["config"]["platform:addons"]["externalSecrets"]["values"] = {"violate": True}
    (proj / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack))
    assert run(proj, "charts", "lock", "external-secrets", "--mirror", str(mirror_dir)).returncode == 0
    return proj


def test_each_check_finds_what_breaks_the_add_on(project):
    result = run(project, "addons", "check", "prod", "--allow-unexpanded")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    by_check: dict[str, list[str]] = {}
    for line in lines:
        addon, check, _ = line.split(": ", 2)
        assert addon == "external-secrets"
        by_check.setdefault(check, []).append(line)
    # The privileged DaemonSet: rejected by the namespace's restricted level (one line per violation).
    assert any(
        "external-secrets/external-secrets-privileged" in line and "hostNetwork must be unset or false" in line
        for line in by_check["pod-security"]
    ), by_check["pod-security"]
    # The Service routes to port 8080 (named http); the namespace opens only the webhook's 10250.
    (closed,) = by_check["network-policy"]
    assert "external-secrets/external-secrets-http" in closed and "8080/TCP (http) is closed" in closed
    # The chart's pods run as the default service account: the role reaches nobody.
    (identity,) = by_check["pod-identity"]
    assert (
        "bound to external-secrets/external-secrets, but the chart's pods run as external-secrets/default" in identity
    )
    # busybox:latest, from Docker Hub: prod's allow-list refuses it; dev allows any registry but not :latest.
    images = by_check["image"]
    assert any("prod's image-pinned" in line and "not from an allowed registry" in line for line in images)
    assert any("dev's image-pinned" in line and ":latest" in line for line in images)
    assert "not checked: prod-gitops-argocd" in result.stderr  # the other charts are not cached here


def test_without_the_violating_object_the_stack_charts_pass_except_what_they_really_miss(project):
    stack = yaml.safe_load((project / "Pulumi.prod.yaml").read_text())
    stack["config"]["platform:addons"]["externalSecrets"]["values"] = {}
    config = project / "clean.yaml"
    config.write_text(yaml.safe_dump(stack))
    result = run(project, "addons", "check", "prod", "--config-file", str(config), "--allow-unexpanded")
    checks = {line.split(": ", 2)[1] for line in result.stdout.splitlines()}
    # The demo chart's Deployment is restricted-compliant and pinned: only the closed port and the identity remain.
    assert checks == {"network-policy", "pod-identity"}, result.stdout


def test_all_addons_turns_every_catalog_add_on_on(project, tmp_path):
    written = tmp_path / "all.yaml"
    result = run(
        project, "addons", "check", "prod", "--all-addons", "--write-config", str(written), "--allow-unexpanded"
    )
    assert result.returncode == 1  # the demo chart's findings
    config = yaml.safe_load(written.read_text())["config"]["platform:addons"]
    from components.addons.catalog import CATALOG

    on = {k for k, v in config.items() if isinstance(v, dict) and v.get("enabled") is True}
    assert "velero" in {re.sub(r"(?<!^)(?=[A-Z])", "-", k).lower() for k in on}
    assert "note: cluster-autoscaler: left off" in result.stderr  # Karpenter scales prod's nodes
    assert "note: argo-rollouts: left to GitOps" in result.stderr
    assert len(on) == len(CATALOG) - 2
    assert run(project, "addons", "check", "prod", "--write-config", str(written)).returncode == 2


def test_selectors_ports_and_policies():
    assert addon_checks._selected({}, {"a": "1"})
    assert addon_checks._selected({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"})
    assert not addon_checks._selected(
        {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}
    )
    pod_ports = [("http", 8080, "TCP"), ("metrics", 9090, "TCP")]
    assert addon_checks._target_port({"port": 80, "targetPort": "http"}, pod_ports) == (8080, "http", "TCP")
    assert addon_checks._target_port({"port": 9090}, pod_ports) == (9090, "metrics", "TCP")
    policy = {
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"port": 9000, "endPort": 9100}]}],
        }
    }
    assert addon_checks._allows(policy, {}, 9090, "metrics", "TCP")
    assert not addon_checks._allows(policy, {}, 8080, "http", "TCP")
    named = {"spec": {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]}}
    assert addon_checks._allows(named, {}, 8080, "http", "TCP")
    assert not addon_checks._allows(named, {}, 8080, "http", "UDP")
    assert addon_checks.addon_of("prod-addons-external-dns", "prod") == "external-dns"
    assert addon_checks.addon_of("prod-gitops-argocd", "prod") == "argo-cd"
    assert addon_checks.addon_of("prod-karpenter-chart", "prod") == "karpenter"


def test_every_stack_policy_config_has_an_image_pinned_entry():
    configs = addon_checks.image_configs(ROOT)
    assert set(configs) >= {"dev", "prod"}
    assert json.dumps(configs)
