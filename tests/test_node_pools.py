"""Managed node pools: pure helpers, the offline plans (one mocked run per stack), config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.config import ConfigError, read_stack_file, validate
from components.config.node_pools import (
    NodePool,
    architecture,
    effective_labels,
    effective_taints,
    reserved_label_problem,
)
from components.config.repository import stack_names
from components.node_pools import root_volumes

ROOT = Path(__file__).resolve().parent.parent
# Every stack of the repository, from its Pulumi.<stack>.yaml (never a fixed dev/prod list).
STACKS = stack_names(ROOT)
SYSTEM_TAINT = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}


def nodes(plan):
    return [r for r in plan.resources if r.component == f"{plan.config.environment.name}-nodes"]


def of(plan, type_token):
    return [r for r in nodes(plan) if r.type == type_token]


def node_groups(plan):
    """pool name -> its NodeGroup resource."""
    return {r.inputs["nodeGroupNamePrefix"].rstrip("-"): r for r in of(plan, "aws:eks/nodeGroup:NodeGroup")}


def launch_template_of(plan, group):
    [urn] = group.property_dependencies["launchTemplate"]
    return next(r for r in nodes(plan) if r.urn == urn)


# ---------------------------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("value", "arch"),
    [
        ("m7g.large", "arm64"),
        ("c7gn.xlarge", "arm64"),
        ("r6gd.2xlarge", "arm64"),
        ("t4g.medium", "arm64"),
        ("im4gn.large", "arm64"),
        ("g5g.xlarge", "arm64"),
        ("a1.large", "arm64"),
        ("m7g", "arm64"),
        ("m7i.large", "amd64"),
        ("m7i-flex.large", "amd64"),
        ("g5.xlarge", "amd64"),
        ("c6a.large", "amd64"),
        ("inf2.xlarge", "amd64"),
        ("m5dn.large", "amd64"),
    ],
)
def test_architecture(value, arch):
    assert architecture(value) == arch


def test_reserved_label_domains():
    assert reserved_label_problem("workload-type") is None
    assert reserved_label_problem("node.kubernetes.io/role") is None
    assert reserved_label_problem("example.com/team") is None
    assert "kubernetes.io" in reserved_label_problem("topology.kubernetes.io/zone")
    assert "karpenter.sh" in reserved_label_problem("karpenter.sh/nodepool")
    assert reserved_label_problem("eks-platform/pool") == "is set by the platform (the pool's name)"


def test_root_volumes_by_ami_type():
    assert root_volumes("AL2023_x86_64_STANDARD", 50) == [{"device_name": "/dev/xvda", "volume_size": 50}]
    assert root_volumes("BOTTLEROCKET_ARM_64", 80) == [
        {"device_name": "/dev/xvda", "volume_size": 4},
        {"device_name": "/dev/xvdb", "volume_size": 80},
    ]


def test_system_pool_always_gets_its_taint_and_every_pool_its_label():
    system = NodePool.model_validate(
        {"name": "system", "instanceTypes": ["m7i.large"], "minSize": 1, "desiredSize": 1, "maxSize": 2}
    )
    assert effective_taints(system) == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}]
    assert effective_labels(system) == {"eks-platform/pool": "system"}
    other = NodePool.model_validate(
        {"name": "general", "instanceTypes": ["m7i.large"], "minSize": 1, "desiredSize": 1, "maxSize": 2}
    )
    assert effective_taints(other) == []


# ---------------------------------------------------------------------------------------------- offline plans


@pytest.mark.parametrize("stack", STACKS)
def test_one_node_group_per_pool_over_all_private_subnets(plans, stack):
    plan = plans[stack]
    groups = node_groups(plan)
    assert set(groups) == {p.name for p in plan.config.node_pools}
    assert len(groups) >= (3 if stack == "prod" else 2)
    private = plan.outputs["privateSubnetIds"]
    for pool in plan.config.node_pools:
        i = groups[pool.name].inputs
        assert i["subnetIds"] == private
        assert i["scalingConfig"] == {
            "minSize": pool.min_size,
            "desiredSize": pool.desired_size,
            "maxSize": pool.max_size,
        }
        assert i["instanceTypes"] == pool.instance_types
        assert i["amiType"] == pool.ami_type
        assert i["version"] == plan.config.cluster.version
        assert i["updateConfig"] == {"maxUnavailable": pool.max_unavailable}
        assert i["labels"]["eks-platform/pool"] == pool.name
        assert "remoteAccess" not in i and "diskSize" not in i  # disk and access come from the launch template
        assert groups[pool.name].options["ignoreChanges"] == ["scalingConfig.desiredSize"]


@pytest.mark.parametrize("stack", STACKS)
def test_system_pool_is_on_demand_tainted_and_big_enough(plans, stack):
    system = node_groups(plans[stack])["system"].inputs
    assert system["capacityType"] == "ON_DEMAND"
    assert system["taints"] == [SYSTEM_TAINT]
    assert system["scalingConfig"]["minSize"] >= (2 if stack == "prod" else 1)


def test_spot_versus_on_demand(plans):
    dev = {k: g.inputs["capacityType"] for k, g in node_groups(plans["dev"]).items()}
    assert dev == {"system": "ON_DEMAND", "general": "SPOT"}
    prod = {k: g.inputs["capacityType"] for k, g in node_groups(plans["prod"]).items()}
    assert prod == {"system": "ON_DEMAND", "general": "ON_DEMAND", "compute": "ON_DEMAND", "spot": "SPOT"}
    compute = node_groups(plans["prod"])["compute"].inputs
    assert compute["taints"] == [{"key": "workload-type", "value": "compute", "effect": "NO_SCHEDULE"}]
    assert compute["labels"] == {"workload-type": "compute", "eks-platform/pool": "compute"}


@pytest.mark.parametrize("stack", STACKS)
def test_launch_templates_require_imdsv2_and_encrypt_root_volumes(plans, stack):
    plan = plans[stack]
    [key] = of(plan, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    for pool in plan.config.node_pools:
        group = node_groups(plan)[pool.name]
        lt = launch_template_of(plan, group)
        i = lt.inputs
        assert i["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
            "instanceMetadataTags": "disabled",
        }
        [root] = i["blockDeviceMappings"]
        assert root["deviceName"] == "/dev/xvda"
        assert root["ebs"] == {
            "deleteOnTermination": "true",
            "encrypted": "true",
            "kmsKeyId": root["ebs"]["kmsKeyId"],
            "volumeSize": pool.disk_size,
            "volumeType": "gp3",
        }
        assert lt.property_dependencies["blockDeviceMappings"] == [key.urn]
        assert "keyName" not in i and "iamInstanceProfile" not in i and "imageId" not in i
        assert i["vpcSecurityGroupIds"] == [plan_node_sg(plan)]
        kinds = {t["resourceType"]: t["tags"] for t in i["tagSpecifications"]}
        assert set(kinds) == {"instance", "volume", "network-interface"}
        for tags in kinds.values():
            assert tags["Name"] == f"eks-platform-{stack}-{pool.name}"
            assert {"environment", "team", "cost-center", "managed-by"} <= set(tags)
        assert group.inputs["launchTemplate"] == {"id": group.inputs["launchTemplate"]["id"], "version": "1"}


def plan_node_sg(plan):
    """The launch templates' security group: pulumi-eks's node security group (the cluster's nodeSecurityGroupId)."""
    eks = next(r for r in plan.resources if r.type == "eks:index:Cluster")
    node_sg = plan.by_urn[next(u for u in plan.by_urn if u.endswith(f"::{eks.name}-nodeSecurityGroup"))]
    lt = next(r for r in nodes(plan) if r.type == "aws:ec2/launchTemplate:LaunchTemplate")
    # The output depends on the component and on the child it comes from, as the engine reports for a remote component.
    assert lt.property_dependencies["vpcSecurityGroupIds"] == sorted([eks.urn, node_sg.urn])
    assert lt.inputs["vpcSecurityGroupIds"] == [mock_id(node_sg)]
    return lt.inputs["vpcSecurityGroupIds"][0]


def mock_id(resource):
    from platformctl.mock_outputs import physical_id

    return physical_id(resource.type, resource.name, resource.inputs)


@pytest.mark.parametrize("stack", STACKS)
def test_node_role_has_only_what_nodes_need(plans, stack):
    plan = plans[stack]
    [role] = of(plan, "aws:iam/role:Role")
    [st] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert st["Principal"] == {"Service": "ec2.amazonaws.com"}
    attached = sorted(
        a.inputs["policyArn"].rsplit("/", 1)[-1] for a in of(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )
    assert attached == [
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEKSWorkerNodePolicy",
        "AmazonSSMManagedInstanceCore",
    ]
    for group in node_groups(plan).values():
        assert group.property_dependencies["nodeRoleArn"] == [role.urn]


@pytest.mark.parametrize("stack", STACKS)
def test_node_groups_wait_for_role_policies_and_the_pod_identity_agent(plans, stack):
    plan = plans[stack]
    addon = next(
        r
        for r in plan.resources
        if r.type == "aws:eks/addon:Addon" and r.inputs["addonName"] == "eks-pod-identity-agent"
    )
    attachments = {a.urn for a in of(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    for group in node_groups(plan).values():
        assert addon.urn in group.dependencies
        assert attachments <= set(group.dependencies)


def waits_for(plan, resource) -> set[str]:
    """URNs a resource waits for, transitively: its dependencies (property dependencies too) and those of its
    parent components (a component's `depends_on` reaches every child)."""
    by_urn = {r.urn: r for r in plan.resources}
    seen: set[str] = set()
    todo = [resource.urn]
    while todo:
        r = by_urn[todo.pop()]
        direct = [*r.dependencies, *(u for urns in r.property_dependencies.values() for u in urns)]
        if r.parent in by_urn:
            direct.append(r.parent)
        for urn in direct:
            if urn not in seen:
                seen.add(urn)
                todo.append(urn)
    return seen


def vpc_cni(plan):
    [addon] = [r for r in plan.resources if r.type == "aws:eks/addon:Addon" and r.inputs["addonName"] == "vpc-cni"]
    return addon


@pytest.mark.parametrize("stack", STACKS)
def test_node_groups_wait_for_the_vpc_cni_and_its_role(plans, stack):
    """The node role has no CNI permissions: vpc-cni and its Pod Identity role (the add-on owns the association)
    exist before any node, or the first nodes sit NotReady (terraform-aws-eks's `before_compute`)."""
    plan = plans[stack]
    cni = vpc_cni(plan)
    [association] = cni.inputs["podIdentityAssociations"]
    [role] = [r for r in plan.resources if r.type == "aws:iam/role:Role" and r.urn in cni.dependencies]
    assert association["roleArn"].endswith(f"/{role.inputs['name']}")
    groups = [r for r in plan.resources if r.type == "aws:eks/nodeGroup:NodeGroup"]
    assert {g.name for g in groups} == {g.name for g in node_groups(plan).values()}
    for group in groups:
        assert cni.urn in group.dependencies, group.name  # directly, not only through the cluster
        assert role.urn in group.dependencies, group.name
    # ... and never the other way round (that would be a cycle, or vpc-cni waiting for nodes it must make Ready).
    upstream = waits_for(plan, cni)
    assert not upstream & {g.urn for g in groups}
    assert not {r.urn for r in plan.resources if r.component == f"{stack}-nodes"} & upstream


@pytest.mark.parametrize("stack", STACKS)
def test_karpenter_nodes_come_after_the_vpc_cni(plans, stack):
    """Karpenter launches nodes only once its chart runs on the system pool, which waits for vpc-cni."""
    plan = plans[stack]
    karpenter = [r for r in plan.resources if r.component == f"{stack}-karpenter"]
    if not karpenter:
        pytest.skip("Karpenter is off in this stack")
    cni = vpc_cni(plan)
    pools = [r for r in karpenter if r.type == "kubernetes:karpenter.sh/v1:NodePool"]
    chart = [r for r in karpenter if r.type == "kubernetes:helm.sh/v4:Chart"]
    assert pools and chart
    for r in (*pools, *chart):
        assert cni.urn in waits_for(plan, r), r.name


# ---------------------------------------------------------------------------------------------- config errors

DEV = read_stack_file(ROOT / "Pulumi.dev.yaml")
PROD = read_stack_file(ROOT / "Pulumi.prod.yaml")


def _lines(values, stack="dev"):
    with pytest.raises(ConfigError) as info:
        validate(values, stack)
    return info.value.lines


def _pools(base, index, **changes):
    values = json.loads(json.dumps(base))
    values["platform:nodePools"][index].update(changes)
    return values


def test_empty_pool_list_exits_2(plan_with_edited_config):
    def edit(config):
        config["platform:nodePools"] = []

    code, lines = plan_with_edited_config("dev", edit)
    assert code == 2
    assert lines == ["platform:nodePools: list should have at least 1 item after validation, not 0 (got [])"]


@pytest.mark.parametrize(
    ("index", "changes", "expected"),
    [
        (
            1,
            {"instanceTypes": ["m7g.large"]},
            "platform:nodePools[1].instanceTypes[0]: is an arm64 instance type but amiType AL2023_x86_64_STANDARD is "
            'amd64 (got "m7g.large")',
        ),
        (
            1,
            {"amiType": "AL2023_ARM_64_STANDARD", "instanceTypes": ["m7g.large", "m7i.large"]},
            "platform:nodePools[1].instanceTypes[1]: is an amd64 instance type but amiType AL2023_ARM_64_STANDARD is "
            'arm64 (got "m7i.large")',
        ),
        (
            1,
            {"labels": {"topology.kubernetes.io/zone": "a"}},
            "platform:nodePools[1].labels.topology.kubernetes.io/zone: uses the reserved label domain 'kubernetes.io' "
            '(the kubelet or AWS sets those labels) (got "a")',
        ),
        (
            1,
            {"instanceTypes": ["m7i"]},
            "platform:nodePools[1].instanceTypes: 'm7i' is not an EC2 instance type of the form family.size "
            '(e.g. m7i.large) (got ["m7i"])',
        ),
    ],
)
def test_bad_pool_config_lines(index, changes, expected):
    assert _lines(_pools(DEV, index, **changes)) == [expected]


def test_prod_system_pool_needs_two_nodes():
    assert _lines(_pools(PROD, 0, minSize=1), "prod") == [
        "platform:nodePools[0].minSize: the system pool needs at least 2 nodes in production (got 1)"
    ]
