"""The version matrix (components/version_matrix.py): complete for every supported minor, its chart constraints as the
archives say, and every supported minor planned."""

from __future__ import annotations

import tarfile

import pytest
import yaml

from components import version_matrix, versions
from components.version_matrix import chart_admits, matrix, row


def test_one_row_per_supported_minor_oldest_first():
    assert list(matrix()) == sorted(versions.KUBERNETES_VERSIONS, key=version_matrix.minor_key)


@pytest.mark.parametrize("minor", versions.KUBERNETES_VERSIONS)
def test_every_supported_minor_has_a_complete_row(minor):
    r = row(minor)
    assert r.problems() == []
    assert r.eks_addons == versions.EKS_ADDON_VERSIONS[minor]
    assert r.karpenter == versions.HELM_CHARTS["karpenter"]["version"]
    assert r.ami_aliases, f"no pinned AMI release publishes Kubernetes {minor}"
    assert set(r.charts) == set(versions.HELM_CHARTS)
    assert all(v == (versions.HELM_CHARTS[k]["version"],) for k, v in r.charts.items())
    assert r.images["cluster-autoscaler"] == versions.CLUSTER_AUTOSCALER_IMAGE_TAGS[minor]


def test_every_pinned_chart_has_its_kube_version_recorded():
    assert set(versions.CHART_KUBE_VERSIONS) == set(versions.HELM_CHARTS)


def test_kube_version_constraints_are_judged_against_eks_s_version_format():
    # EKS reports v1.36.x-eks-...: a prerelease, which only a constraint with a prerelease part admits (Helm's rule).
    assert chart_admits(">=1.25.0-0", "1.36")
    assert not chart_admits(">=1.25.0", "1.36")
    assert chart_admits(">=v1.23.0-0", "1.32")
    assert not chart_admits(">=1.25.0-0 <1.34.0-0", "1.34")
    assert chart_admits("", "1.99")


def test_a_minor_outside_the_pins_is_reported():
    r = row("1.99")
    problems = "\n".join(r.problems())
    assert "no EKS add-on versions for 1.99" in problems
    assert "Karpenter 1.14.1 supports Kubernetes 1.26-1.36, not 1.99" in problems
    assert "no cluster-autoscaler image for 1.99" in problems
    assert r.ami_aliases == ()


def test_changes_between_minors_name_what_moves():
    moving = version_matrix.changes("1.35", "1.36")
    assert ("kube-proxy", "v1.35.0-eksbuild.2", "v1.36.0-eksbuild.21") in moving["eks-addons"]
    assert ("cluster-autoscaler", "v1.35.0", "v1.36.0") in moving["images"]
    assert not any(name == "eks-pod-identity-agent" for name, _, _ in moving["eks-addons"])


def test_recorded_kube_versions_match_the_cached_archives():
    """Each recorded constraint against the Chart.yaml of the pinned archive, for the archives in the chart cache.
    The test session starts with an empty cache (tests/conftest.py), so this skips in `make test`; the same check
    was run by hand against every real pinned archive (all 15 agree)."""
    from components.chart_cache import cache_dir, pins, verified_archive

    checked = 0
    for key, pin in pins().items():
        archive = verified_archive(pin, cache_dir()) if pin.digest else None
        if archive is None:
            continue
        with tarfile.open(archive) as tar:
            member = next(m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml"))
            meta = yaml.safe_load(tar.extractfile(member).read())
        assert str(meta.get("kubeVersion") or "") == versions.CHART_KUBE_VERSIONS[key], key
        checked += 1
    if not checked:
        pytest.skip("no pinned chart archive in the chart cache (run `platformctl charts pull` to check them)")


@pytest.mark.parametrize("minor", versions.KUBERNETES_VERSIONS)
def test_every_supported_minor_plans(minor, stacks_at):
    """The prod stack (every layer the version matrix drives) planned at each minor: the cluster, each node group,
    the Pod Identity agent and every EKS add-on take that minor's row."""
    at = stacks_at["prod", minor]
    plan = at.plan
    (cluster,) = [r for r in plan.resources if r.type == "eks:index:Cluster"]
    assert cluster.requested["version"] == minor
    groups = [r for r in plan.resources if r.type == "aws:eks/nodeGroup:NodeGroup"]
    assert groups and all(g.inputs["version"] == minor for g in groups)
    addons = {
        r.inputs["addonName"]: r.inputs["addonVersion"] for r in plan.resources if r.type == "aws:eks/addon:Addon"
    }
    assert addons and all(v == versions.EKS_ADDON_VERSIONS[minor][name] for name, v in addons.items())
    assert "eks-pod-identity-agent" in addons
    pools = [r for r in plan.resources if r.type == "kubernetes:karpenter.sh/v1:NodePool"]
    assert pools and all(p.inputs["spec"]["disruption"]["budgets"] == [{"nodes": "10%"}] for p in pools)
    labels = [
        r.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"]
        for r in plan.resources
        if r.type == "kubernetes:core/v1:Namespace" and "pod-security.kubernetes.io/enforce-version" in str(r.inputs)
    ]
    assert labels and set(labels) == {f"v{minor}"}
