"""End to end, as a user runs it: `charts lock`, `charts pull`, then `plan` and `policy` on a copy of the project
whose metrics-server pin points at the project's test chart (served on 127.0.0.1), with the chart's violating
object switched on. Each command runs in its own process with the copy first on the import path."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from .project import copy_with_demo_chart, run

CHART = (
    "urn:pulumi:prod::eks-platform::eks-platform:addons:Addons$kubernetes:helm.sh/v4:Chart::prod-addons-metrics-server"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory, helm_repo) -> Path:
    proj = copy_with_demo_chart(tmp_path_factory.mktemp("project"), "metrics-server", helm_repo)
    stack = yaml.safe_load((proj / "Pulumi.prod.yaml").read_text())
    stack["config"]["platform:addons"]["metricsServer"] = {"values": {"violate": True}}
    (proj / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack))
    return proj


def test_lock_pull_plan_and_policy_on_the_expanded_chart(project, mirror_dir):
    locked = run(project, "charts", "lock", "metrics-server")
    assert locked.returncode == 0, locked.stderr
    assert re.search(r'"digest": "sha256:[0-9a-f]{64}"', (project / "components" / "versions.py").read_text())
    shutil.rmtree(project / ".cache" / "charts")
    pulled = run(project, "charts", "pull", "metrics-server", "--mirror", str(mirror_dir))
    assert pulled.returncode == 0 and "pulled  metrics-server 0.1.0" in pulled.stdout, pulled.stderr

    plan = run(project, "plan", "prod", "--json", str(project / "p.json"))
    assert plan.returncode == 0, plan.stderr
    assert "prod-addons-metrics-server: 12 objects rendered from demo-addon 0.1.0" in plan.stdout
    assert "prod-gitops-argocd: argo-cd" in plan.stdout and "not expanded" in plan.stdout
    doc = json.loads((project / "p.json").read_text())
    children = {r["name"]: r for r in doc["resources"] if r["parent"] == CHART}
    eks_children = next(e["objects"] for e in doc["expansions"] if e["type"] == "eks:index:Cluster")
    assert len(children) == 12 and doc["summary"]["rendered"] == 12 + eks_children
    daemonset = children["prod-addons-metrics-server:kube-system/metrics-server-privileged"]
    assert daemonset["type"] == "kubernetes:apps/v1:DaemonSet"
    chart = next(r for r in doc["resources"] if r["urn"] == CHART)
    assert chart["inputs"] == {} and chart["remoteInputs"]["chart"].endswith(".tgz")
    (expansion,) = [e for e in doc["expansions"] if e["urn"] == CHART]
    assert expansion["status"] == "expanded" and expansion["archive"].startswith(".cache/charts/sha256/")

    out = project / "report.json"
    policy = run(project, "policy", "prod", "--allow-unexpanded", "--format", "json", "--output", str(out))
    assert policy.returncode == 1, policy.stderr
    report = json.loads(out.read_text())
    found = [v for v in report["violations"] if v["urn"] == daemonset["urn"] and v["level"] == "mandatory"]
    assert found and {v["parent"] for v in found} == {CHART}
    assert any(v["policy"] == "image-pinned" for v in found)
    table = run(project, "policy", "prod", "--allow-unexpanded")
    assert "kube-system/metrics-server-privileged" in table.stdout and "in prod-addons-metrics-server" in table.stdout


def test_a_changed_byte_in_the_cache_stops_plan_and_pull(project, mirror_dir):
    if not list((project / ".cache" / "charts" / "sha256").glob("*.tgz")):
        assert run(project, "charts", "lock", "metrics-server", "--mirror", str(mirror_dir)).returncode == 0
    (cached,) = (project / ".cache" / "charts" / "sha256").glob("*.tgz")
    data = bytearray(cached.read_bytes())
    data[100] ^= 0xFF
    cached.write_bytes(bytes(data))
    plan = run(project, "plan", "prod")
    assert plan.returncode == 2
    (line,) = plan.stderr.strip().splitlines()
    assert line.startswith("error: chart metrics-server 0.1.0: the cached archive ") and "refused" in line
    pull = run(project, "charts", "pull", "metrics-server", "--mirror", str(mirror_dir))
    assert pull.returncode == 1 and "FAILED  metrics-server 0.1.0: the cached archive" in pull.stderr


def test_without_cached_charts_policy_names_every_unexpanded_chart(project):
    shutil.rmtree(project / ".cache", ignore_errors=True)
    policy = run(project, "policy", "prod")
    assert policy.returncode == 1
    for name in ("prod-gitops-argocd", "prod-karpenter-chart", "prod-addons-metrics-server"):
        assert f"not analyzed: {name}:" in policy.stdout
    allowed = run(project, "policy", "prod", "--allow-unexpanded")
    assert "allowed by --allow-unexpanded" in allowed.stdout
