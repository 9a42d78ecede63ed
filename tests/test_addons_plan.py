"""The add-ons in the offline plans of the real stacks (one mocked run per stack, shared with other tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.addons.catalog import CATALOG, enabled_addons
from components.config.repository import stack_names
from policies.rules import config as policy_config
from policies.rules import encryption, hardening, kubernetes, tags
from policies.rules.values import StackResource

ROOT = Path(__file__).resolve().parent.parent
# Every stack of the repository, from its Pulumi.<stack>.yaml (never a fixed dev/prod list).
STACKS = stack_names(ROOT)
AWS_RULES = {**tags.RULES, **encryption.RULES, **hardening.RULES}
INSTALL_TYPES = ("aws:eks/addon:Addon", "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release")


def addon_components(plan) -> tuple[str, str]:
    """The two Addons components of a stack: before the node groups, then after them."""
    env = plan.config.environment.name
    return f"{env}-network-addons", f"{env}-addons"


def addon_resources(plan):
    return [r for r in plan.resources if r.component in addon_components(plan)]


def installed(plan) -> dict[str, object]:
    """Add-on name -> the resource installing it."""
    out = {}
    for r in addon_resources(plan):
        if r.type in INSTALL_TYPES:
            out[r.requested.get("addonName") or r.requested["name"]] = r
    return out


def by_name(plan):
    return {r.name: r for r in plan.resources}


@pytest.mark.parametrize("stack", STACKS)
def test_every_default_addon_with_version_namespace_and_role(plans, stack):
    plan = plans[stack]
    cfg = plan.config
    expected = enabled_addons(cfg.addons, cfg.production)
    doc = plan.document()
    summary = doc["outputs"]["addons"]
    assert sorted(summary) == sorted(expected)
    inst = installed(plan)
    assert sorted(inst) == sorted(expected)
    roles = {r.inputs["name"]: r for r in addon_resources(plan) if r.type == "aws:iam/role:Role"}
    for name in expected:
        spec = CATALOG[name]
        entry = summary[name]
        version = spec.version(cfg.cluster.version)
        assert entry["version"] == version and entry["namespace"] == spec.namespace, name
        r = inst[name]
        if spec.kind == "eks":
            assert r.inputs["addonVersion"] == version
        else:
            # No chart is cached in the tests: the program falls back to the repository reference.
            asked = r.requested
            assert (asked["chart"], asked["version"], asked["namespace"]) == (
                spec.chart()["chart"],
                version,
                spec.namespace,
            )
            assert asked["repositoryOpts"]["repo"] == spec.chart()["repo"]
            assert isinstance(asked["values"], dict)
        if spec.has_role(cfg.addons):
            role = f"eks-platform-{stack}-{name}"
            assert entry["roleArn"] == f"arn:aws:iam::{cfg.account}:role/{role}"
            assert role in roles
        else:
            assert entry["roleArn"] is None


@pytest.mark.parametrize("stack", STACKS)
def test_addons_depend_on_the_cluster_and_system_pool_not_on_each_other(plans, stack):
    plan = plans[stack]
    names = by_name(plan)
    cluster = names[f"{stack}-cluster-eks"].urn
    system = names[f"{stack}-nodes-system"].urn
    inst = installed(plan)
    urn_to_addon = {r.urn: n for n, r in inst.items()}
    for name, r in inst.items():
        assert cluster in r.dependencies, name
        waits_for = {urn_to_addon[d] for d in r.dependencies if d in urn_to_addon}
        declared = {d for d in (*CATALOG[name].depends_on, *CATALOG[name].optional_after) if d in inst}
        assert waits_for == declared, name
        if CATALOG[name].needs_nodes:
            assert system in r.dependencies, name
    # Pod Identity credentials need the cluster's agent (part of the cluster, not a catalog add-on).
    agent = names[f"{stack}-cluster-pod-identity-agent"].urn
    for name, r in inst.items():
        assert (agent in r.dependencies) == CATALOG[name].has_role(plan.config.addons), name
    assert system in inst["coredns"].dependencies
    assert system not in inst["vpc-cni"].dependencies
    assert inst["cert-manager"].urn in inst["aws-load-balancer-controller"].dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_addons_pass_the_stacks_policy_config(plans, stack):
    """AWS rules per resource, the Kubernetes namespace rules, with policies/config/<stack>.json."""
    config = policy_config.load_config_file(ROOT / "policies" / "config" / f"{stack}.json")
    resources = addon_resources(plans[stack])
    problems = []
    for r in resources:
        for name, rule in {**AWS_RULES, **kubernetes.RULES}.items():
            problems += [f"{r.name} {name}: {m}" for m in rule(r.type, r.properties, config.get(name))]
    stack_resources = [
        StackResource(
            type=r.type, urn=r.urn, name=r.name, props=r.properties, property_dependencies=r.property_dependencies
        )
        for r in resources
    ]
    for name, rule in {**kubernetes.STACK_RULES, **encryption.STACK_RULES}.items():
        problems += [f"{f.urn} {name}: {f.message}" for f in rule(stack_resources, config.get(name))]
    assert problems == []


def test_environment_differences(plans):
    dev, prod = installed(plans["dev"]), installed(plans["prod"])
    assert "amazon-cloudwatch-observability" in prod and "amazon-cloudwatch-observability" not in dev
    assert prod["external-dns"].requested["values"]["policy"] == "upsert-only"
    assert dev["external-dns"].requested["values"]["policy"] == "sync"
    assert prod["external-dns"].requested["values"]["txtOwnerId"] == "eks-platform-prod"
    coredns = json.loads(prod["coredns"].inputs["configurationValues"])
    assert coredns["replicaCount"] == 3
    assert coredns["nodeSelector"] == {"eks-platform/pool": "system"}
    assert {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"} in coredns[
        "tolerations"
    ]


def test_gp3_storage_class_uses_the_node_volume_key(prod_plan):
    names = by_name(prod_plan)
    gp3 = names["prod-addons-gp3"]
    assert gp3.inputs["parameters"]["kmsKeyId"] != "[unknown]"
    assert names["prod-nodes-volume-key"].urn in gp3.dependencies or gp3.property_dependencies
    assert names["prod-addons-gp2-not-default"].type == "kubernetes:storage.k8s.io/v1:StorageClassPatch"


def test_gitops_gets_the_role_arns_and_enabled_addons(prod_plan):
    """The Argo CD cluster Secret carries `enable_<addon>` labels and role ARN annotations (GitOps Bridge)."""
    secrets = [r for r in prod_plan.resources if r.type == "kubernetes:core/v1:Secret" and "cluster" in r.name]
    if not secrets:
        pytest.skip("no Argo CD cluster Secret in this plan")
    text = json.dumps([s.inputs.get("metadata") for s in secrets])
    assert "eks-platform-prod-external-dns" in text


@pytest.mark.parametrize("stack", STACKS)
def test_gitops_gets_both_phases(plans, stack):
    """vpc-cni (installed before the node groups) reaches GitOps like every other add-on."""
    plan = plans[stack]
    if "argocdCluster" in plan.outputs:  # a fleet spoke: its registration, which the hub's Secret is written from
        labels, annotations = plan.outputs["argocdCluster"]["labels"], plan.outputs["argocdCluster"]["annotations"]
    else:
        [secret] = [
            r for r in plan.resources if r.type == "kubernetes:core/v1:Secret" and r.name == f"{stack}-gitops-cluster"
        ]
        labels, annotations = secret.inputs["metadata"]["labels"], secret.inputs["metadata"]["annotations"]
    summary = plan.outputs["addons"]
    assert {k.removeprefix("enable_") for k in labels if k.startswith("enable_")} >= {
        n.replace("-", "_") for n in summary
    }
    roles = {n: e["roleArn"] for n, e in summary.items() if e["roleArn"]}
    assert {n for n in roles} >= {"vpc-cni", "external-secrets"}
    for name, arn in roles.items():
        assert annotations[f"{name.replace('-', '_')}_iam_role_arn"] == arn, name


@pytest.mark.parametrize("stack", STACKS)
def test_only_what_nodes_need_is_installed_before_them(plans, stack):
    """vpc-cni (and its role) in the small before-nodes component, every other add-on after the node groups, each
    exactly once; the stack output lists both."""
    plan = plans[stack]
    before, after = addon_components(plan)
    inst = installed(plan)
    assert {n for n, r in inst.items() if r.component == before} == {"vpc-cni"}
    assert {n for n, r in inst.items() if r.component == after} == set(inst) - {"vpc-cni"}
    assert {n for n in inst if CATALOG[n].before_nodes} == {"vpc-cni"}
    installs = [r for r in addon_resources(plan) if r.type in INSTALL_TYPES]
    assert len(installs) == len(inst)  # nothing installed twice
    [role] = [r for r in addon_resources(plan) if r.component == before and r.type == "aws:iam/role:Role"]
    assert role.inputs["name"] == f"eks-platform-{stack}-vpc-cni"
    # Per-add-on resources keep their names (and URNs) whichever phase installs them.
    assert inst["vpc-cni"].name == f"{stack}-addons-vpc-cni"
