"""Karpenter: pure specs and IAM documents, the offline plans (one mocked run per stack), config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components import karpenter_iam
from components.config import ConfigError, read_stack_file, validate
from components.config.karpenter import KarpenterConfig, KarpenterNodePool
from components.config.repository import stack_names
from components.karpenter import chart_values, ec2_node_class_spec, node_pool_spec
from components.versions import HELM_CHARTS
from policies.rules import encryption, hardening, tags

ROOT = Path(__file__).resolve().parent.parent
# Every stack of the repository, from its Pulumi.<stack>.yaml (never a fixed dev/prod list).
STACKS = stack_names(ROOT)
RULES = {**tags.RULES, **encryption.RULES, **hardening.RULES}

SCOPE = karpenter_iam.ControllerScope(
    partition="aws",
    region="eu-west-1",
    account_id="111122223333",
    cluster_name="eks-platform-prod",
    node_role_arn="arn:aws:iam::111122223333:role/node",
    instance_profile_arn="arn:aws:iam::111122223333:instance-profile/node",
    queue_arn="arn:aws:sqs:eu-west-1:111122223333:eks-platform-prod",
    queue_key_arn="arn:aws:kms:eu-west-1:111122223333:key/q",
    volume_key_arn="arn:aws:kms:eu-west-1:111122223333:key/v",
)
# Statements that may use Resource "*": the actions have no resource-level scoping in IAM.
UNSCOPED = {
    "AllowUnscopedInstanceProfileListAction",
    "AllowRegionalReadActions",
    "AllowPricingReadActions",
    "AllowZonalShiftStatusReadOnly",
}


def karpenter(plan):
    return [r for r in plan.resources if r.component == f"{plan.config.environment.name}-karpenter"]


def of(plan, type_token):
    return [r for r in karpenter(plan) if r.type == type_token]


def one(plan, type_token):
    [r] = of(plan, type_token)
    return r


# ---------------------------------------------------------------------------------------------- pure documents


def test_controller_policy_is_scoped():
    doc = karpenter_iam.controller_policy(SCOPE)
    sids = {s["Sid"]: s for s in doc["Statement"]}
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow"
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert "*" not in actions and not any(a.endswith(":*") for a in actions), st["Sid"]
        if st["Resource"] == "*":
            assert st["Sid"] in UNSCOPED
    # The zonal-shift read names this cluster by its condition (upstream's ZonalShiftPolicy).
    assert sids["AllowZonalShiftStatusReadOnly"]["Condition"] == {
        "StringEquals": {
            "arc-zonal-shift:ResourceIdentifier": "arn:aws:eks:eu-west-1:111122223333:cluster/eks-platform-prod"
        }
    }
    # What the v1.12+ controller calls for instance health, missing before.
    assert "ec2:DescribeInstanceStatus" in sids["AllowRegionalReadActions"]["Action"]
    owned = {"aws:ResourceTag/kubernetes.io/cluster/eks-platform-prod": "owned"}
    assert sids["AllowScopedDeletion"]["Condition"]["StringEquals"] == owned
    assert sids["AllowScopedEC2InstanceActionsWithTags"]["Condition"]["StringEquals"] == {
        "aws:RequestTag/kubernetes.io/cluster/eks-platform-prod": "owned",
        "aws:RequestTag/eks:eks-cluster-name": "eks-platform-prod",
    }
    assert sids["AllowPassingInstanceRole"]["Resource"] == SCOPE.node_role_arn
    assert sids["AllowPassingInstanceRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}
    }
    assert sids["AllowInstanceProfileReadActions"]["Resource"] == SCOPE.instance_profile_arn
    assert sids["AllowInterruptionQueueActions"]["Resource"] == SCOPE.queue_arn
    assert sids["AllowAPIServerEndpointDiscovery"]["Resource"] == (
        "arn:aws:eks:eu-west-1:111122223333:cluster/eks-platform-prod"
    )
    assert sids["AllowRegionalReadActions"]["Condition"] == {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    assert sids["AllowNodeVolumeEncryptionThroughEC2"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "ec2.eu-west-1.amazonaws.com"}
    }
    # The EC2NodeClass names our instance profile: the controller never manages instance profiles.
    all_actions = {
        a for s in doc["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not {"iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:AddRoleToInstanceProfile"} & all_actions


def test_queue_and_key_policies():
    q = karpenter_iam.queue_policy(SCOPE.queue_arn, ["arn:b", "arn:a"])
    allow, deny = q["Statement"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": ["arn:a", "arn:b"]}}
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    k = karpenter_iam.queue_key_policy("111122223333", SCOPE.queue_arn)
    [events] = [s for s in k["Statement"] if s["Sid"] == "EventBridgeSendsToInterruptionQueue"]
    assert events["Condition"] == {"StringEquals": {"kms:EncryptionContext:aws:sqs:arn": SCOPE.queue_arn}}


def test_node_pool_spec():
    pool = KarpenterNodePool.model_validate(
        {
            "name": "spot",
            "capacityTypes": ["spot"],
            "architectures": ["amd64", "arm64"],
            "instanceCategories": ["c", "m"],
            "instanceFamilies": ["m7i", "m7g"],
            "minGeneration": 6,
            "limits": {"cpu": 100, "memory": "400Gi"},
            "consolidationPolicy": "WhenEmpty",
            "consolidateAfter": "5m",
            "expireAfter": "Never",
            "taints": [{"key": "capacity", "value": "spot", "effect": "NoSchedule"}],
            "labels": {"capacity": "spot"},
            "weight": 10,
        }
    )
    spec = node_pool_spec(pool)
    assert spec["template"]["metadata"]["labels"] == {"capacity": "spot", "eks-platform/pool": "spot"}
    tmpl = spec["template"]["spec"]
    assert tmpl["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}
    assert {r["key"]: (r["operator"], r["values"]) for r in tmpl["requirements"]} == {
        "kubernetes.io/os": ("In", ["linux"]),
        "kubernetes.io/arch": ("In", ["amd64", "arm64"]),
        "karpenter.sh/capacity-type": ("In", ["spot"]),
        "karpenter.k8s.aws/instance-category": ("In", ["c", "m"]),
        "karpenter.k8s.aws/instance-family": ("In", ["m7i", "m7g"]),
        "karpenter.k8s.aws/instance-generation": ("Gt", ["5"]),
    }
    assert tmpl["taints"] == [{"key": "capacity", "value": "spot", "effect": "NoSchedule"}]
    assert tmpl["expireAfter"] == "Never"
    assert spec["limits"] == {"cpu": "100", "memory": "400Gi"}
    # Karpenter's default budget (10%), written out; the upgrade's drift hold adds a Drifted budget of 0.
    assert spec["disruption"] == {
        "consolidationPolicy": "WhenEmpty",
        "consolidateAfter": "5m",
        "budgets": [{"nodes": "10%"}],
    }
    held = node_pool_spec(pool, hold_drift=True)["disruption"]["budgets"]
    assert held == [{"nodes": "10%"}, {"nodes": "0", "reasons": ["Drifted"]}]
    assert spec["weight"] == 10


def test_ec2_node_class_spec_bottlerocket_gets_an_encrypted_data_volume():
    cfg = KarpenterConfig.model_validate({"amiSelectorAlias": "bottlerocket@v1.50.0", "volumeSize": 80})
    spec = ec2_node_class_spec(cfg, "c", "profile", "arn:key", {"team": "t"})
    assert [(b["deviceName"], b["ebs"]["volumeSize"]) for b in spec["blockDeviceMappings"]] == [
        ("/dev/xvda", "4Gi"),
        ("/dev/xvdb", "80Gi"),
    ]
    assert all(b["ebs"]["encrypted"] is True and b["ebs"]["kmsKeyID"] == "arn:key" for b in spec["blockDeviceMappings"])
    assert spec["tags"] == {"team": "t", "Name": "c-karpenter"}


def test_chart_values_run_on_the_system_pool():
    values = chart_values("c", "q", production=True)
    assert values["settings"] == {"clusterName": "c", "interruptionQueue": "q"}
    assert values["nodeSelector"] == {"eks-platform/pool": "system"}
    assert values["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]
    assert values["replicas"] == 2 and chart_values("c", "q", production=False)["replicas"] == 1


# ---------------------------------------------------------------------------------------------- offline plans


@pytest.mark.parametrize("stack", STACKS)
def test_interruption_queue_is_encrypted_and_fed_by_five_rules(plans, stack):
    plan = plans[stack]
    queue = one(plan, "aws:sqs/queue:Queue")
    key = one(plan, "aws:kms/key:Key")
    assert queue.inputs["name"] == f"eks-platform-{stack}"
    assert queue.property_dependencies["kmsMasterKeyId"] == [key.urn]
    assert key.inputs["enableKeyRotation"] is True
    rules = of(plan, "aws:cloudwatch/eventRule:EventRule")
    patterns = sorted(
        (p["source"][0], p["detail-type"][0]) for p in (json.loads(r.inputs["eventPattern"]) for r in rules)
    )
    assert patterns == sorted((s, d) for _, s, d in karpenter_iam.INTERRUPTION_EVENTS)
    assert {d for _, d in patterns} == {
        "AWS Health Event",
        "EC2 Spot Instance Interruption Warning",
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
        "EC2 Capacity Reservation Instance Interruption Warning",
    }
    targets = of(plan, "aws:cloudwatch/eventTarget:EventTarget")
    assert len(targets) == 5 and all(t.property_dependencies["arn"] == [queue.urn] for t in targets)
    policy = json.loads(one(plan, "aws:sqs/queuePolicy:QueuePolicy").inputs["policy"])
    assert len(policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"]) == 5


@pytest.mark.parametrize("stack", STACKS)
def test_controller_role_uses_pod_identity(plans, stack):
    plan = plans[stack]
    assoc = one(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (assoc.inputs["namespace"], assoc.inputs["serviceAccount"]) == ("kube-system", "karpenter")
    roles = {r.urn: r for r in of(plan, "aws:iam/role:Role")}
    controller = roles[assoc.property_dependencies["roleArn"][0]]
    [trust] = json.loads(controller.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    pinned = trust["Condition"]["StringEquals"]
    cluster_arn = f"arn:aws:eks:{plan.config.region}:{plan.config.account}:cluster/eks-platform-{stack}"
    assert pinned["aws:RequestTag/eks-cluster-arn"] == cluster_arn
    assert pinned["aws:SourceAccount"] == plan.config.account
    inline = one(plan, "aws:iam/rolePolicy:RolePolicy")
    doc = json.loads(inline.inputs["policy"])
    sids = {s["Sid"]: s for s in doc["Statement"]}
    assert sids["AllowInterruptionQueueActions"]["Resource"].endswith(f":eks-platform-{stack}")


@pytest.mark.parametrize("stack", STACKS)
def test_node_role_instance_profile_and_access_entry(plans, stack):
    plan = plans[stack]
    entry = one(plan, "aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["type"] == "EC2_LINUX"
    profile = one(plan, "aws:iam/instanceProfile:InstanceProfile")
    node_role_urn = entry.property_dependencies["principalArn"][0]
    assert profile.property_dependencies["role"] == [node_role_urn]
    attached = sorted(
        a.inputs["policyArn"].rsplit("/", 1)[-1] for a in of(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )
    assert attached == [
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEKSWorkerNodePolicy",
        "AmazonSSMManagedInstanceCore",
    ]
    assert plan.outputs["nodeRoleArns"]["karpenter"].startswith(f"arn:aws:iam::{plan.config.account}:role/")


@pytest.mark.parametrize("stack", STACKS)
def test_chart_is_pinned_and_runs_on_the_system_pool(plans, stack):
    plan = plans[stack]
    chart = one(plan, "kubernetes:helm.sh/v4:Chart")
    ref = HELM_CHARTS["karpenter"]
    assert chart.requested["chart"] == "oci://public.ecr.aws/karpenter/karpenter"
    assert chart.requested["version"] == ref["version"] and ref["version"].count(".") == 2
    assert chart.inputs == {}, "a remote component is registered by its provider with no inputs"
    values = chart.requested["values"]
    assert values["nodeSelector"] == {"eks-platform/pool": "system"}
    assert values["settings"] == {"clusterName": f"eks-platform-{stack}", "interruptionQueue": f"eks-platform-{stack}"}
    assert values["replicas"] == (2 if plan.config.production else 1)
    system_group = next(
        r for r in plan.resources if r.type == "aws:eks/nodeGroup:NodeGroup" and r.name == f"{stack}-nodes-system"
    )
    assoc = one(plan, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert {system_group.urn, assoc.urn} <= set(chart.dependencies)
    assert chart.provider.endswith(f"::{stack}-cluster-k8s")


@pytest.mark.parametrize(("stack", "alias"), [("dev", "al2023@latest"), ("prod", "al2023@v20260818")])
def test_ec2_node_class(plans, stack, alias):
    plan = plans[stack]
    node_class = one(plan, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    spec = node_class.inputs["spec"]
    assert node_class.inputs["metadata"] == {"name": "default"}
    assert spec["amiSelectorTerms"] == [{"alias": alias}]
    discovery = [{"tags": {"karpenter.sh/discovery": f"eks-platform-{stack}"}}]
    assert spec["subnetSelectorTerms"] == spec["securityGroupSelectorTerms"] == discovery
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    [root] = spec["blockDeviceMappings"]
    assert root["ebs"]["encrypted"] is True and root["ebs"]["volumeType"] == "gp3"
    assert root["ebs"]["volumeSize"] == f"{plan.config.karpenter.volume_size}Gi"
    volume_key = next(r for r in plan.resources if r.name == f"{stack}-nodes-volume-key")
    assert volume_key.urn in node_class.property_dependencies["spec"]
    assert spec["instanceProfile"] == one(plan, "aws:iam/instanceProfile:InstanceProfile").inputs.get(
        "name", spec["instanceProfile"]
    )
    assert {"environment", "team", "cost-center", "managed-by", "Name"} <= set(spec["tags"])
    # the discovery tag is on the subnets (network) and the node security group (cluster)
    subnets = [r for r in plan.resources if r.type == "aws:ec2/subnet:Subnet" and "private" in r.name]
    assert all(s.inputs["tags"]["karpenter.sh/discovery"] == f"eks-platform-{stack}" for s in subnets)


def test_node_pools_per_env(plans):
    dev = {
        r.inputs["metadata"]["name"]: r.inputs["spec"] for r in of(plans["dev"], "kubernetes:karpenter.sh/v1:NodePool")
    }
    assert set(dev) == {"default"}
    reqs = {r["key"]: r["values"] for r in dev["default"]["template"]["spec"]["requirements"]}
    assert reqs["karpenter.sh/capacity-type"] == ["spot", "on-demand"]
    assert dev["default"]["limits"] == {"cpu": "32", "memory": "128Gi"}
    prod = {
        r.inputs["metadata"]["name"]: r.inputs["spec"] for r in of(plans["prod"], "kubernetes:karpenter.sh/v1:NodePool")
    }
    assert set(prod) == {"general", "spot"}
    general = {r["key"]: r["values"] for r in prod["general"]["template"]["spec"]["requirements"]}
    assert general["karpenter.sh/capacity-type"] == ["on-demand"]
    assert general["kubernetes.io/arch"] == ["amd64"]
    assert prod["general"]["disruption"] == {
        "consolidationPolicy": "WhenEmptyOrUnderutilized",
        "consolidateAfter": "5m",
        "budgets": [{"nodes": "10%"}],
    }
    assert prod["spot"]["template"]["spec"]["taints"] == [{"key": "capacity", "value": "spot", "effect": "NoSchedule"}]
    for plan in plans.values():
        node_class = one(plan, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
        for pool in of(plan, "kubernetes:karpenter.sh/v1:NodePool"):
            assert node_class.urn in pool.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_karpenter_resources_pass_the_aws_policies(plans, stack):
    for r in karpenter(plans[stack]):
        for policy, rule in RULES.items():
            assert rule(r.type, r.properties) == [], (policy, r.name)


# ---------------------------------------------------------------------------------------------- config errors

DEV = read_stack_file(ROOT / "Pulumi.dev.yaml")
PROD = read_stack_file(ROOT / "Pulumi.prod.yaml")


def _lines(values, stack="dev"):
    with pytest.raises(ConfigError) as info:
        validate(values, stack)
    return info.value.lines


def _karpenter(base, pool_changes=None, **changes):
    values = json.loads(json.dumps(base))
    values["platform:karpenter"].update(changes)
    if pool_changes:
        values["platform:karpenter"]["nodePools"][0].update(pool_changes)
    return values


def test_unknown_instance_family_format_exits_2(plan_with_edited_config):
    def edit(config):
        config["platform:karpenter"]["nodePools"][0]["instanceFamilies"] = ["m7i.large"]

    code, lines = plan_with_edited_config("dev", edit)
    assert code == 2
    assert lines == [
        "platform:karpenter.nodePools[0].instanceFamilies: 'm7i.large' is not an instance family like m7i, c7g or "
        'm7i-flex (a family has no size: m7i, not m7i.large) (got ["m7i.large"])'
    ]


def test_empty_karpenter_pool_list_exits_2(plan_with_edited_config):
    def edit(config):
        config["platform:karpenter"]["nodePools"] = []

    code, lines = plan_with_edited_config("dev", edit)
    assert code == 2
    assert lines == ["platform:karpenter.nodePools: must list at least one NodePool when Karpenter is enabled (got [])"]


@pytest.mark.parametrize(
    ("values", "stack", "expected"),
    [
        (
            _karpenter(PROD, amiSelectorAlias="al2023@latest"),
            "prod",
            "platform:karpenter.amiSelectorAlias: must pin an AMI release in production (e.g. al2023@v20260818), "
            'not @latest (got "al2023@latest")',
        ),
        (
            _karpenter(DEV, amiSelectorAlias="al2@latest"),
            "dev",
            "platform:karpenter.amiSelectorAlias: must be <family>@<version>: family al2023 or bottlerocket, version "
            "'latest' or a release like v20260818 (got \"al2@latest\")",
        ),
        (
            _karpenter(DEV, {"architectures": ["amd64"], "instanceFamilies": ["m7i", "c7g"]}),
            "dev",
            'platform:karpenter.nodePools[0].instanceFamilies[1]: is an arm64 family but architectures is ["amd64"] '
            '(got "c7g")',
        ),
        (
            _karpenter(DEV, {"consolidateAfter": "5 minutes"}),
            "dev",
            "platform:karpenter.nodePools[0].consolidateAfter: '5 minutes' is not a duration like 30s, 1m or 720h "
            '(or Never) (got "5 minutes")',
        ),
        (
            _karpenter(DEV, {"limits": {"cpu": 32, "memory": "lots"}}),
            "dev",
            "platform:karpenter.nodePools[0].limits.memory: 'lots' is not a Kubernetes quantity like 100, 500m or "
            '400Gi (got "lots")',
        ),
        (
            _karpenter(DEV, {"name": "system"}),
            "dev",
            "platform:karpenter.nodePools[0].name: 'system' is the managed node pool that runs Karpenter "
            '(got "system")',
        ),
        (
            _karpenter(DEV, {"disruptionBudgets": [{"nodes": "110%"}]}),
            "dev",
            "platform:karpenter.nodePools[0].disruptionBudgets[0].nodes: '110%' is not a node count like 1 or a "
            'percentage like 10% (got "110%")',
        ),
        (
            _karpenter(DEV, {"disruptionBudgets": [{"nodes": 0, "schedule": "@daily"}]}),
            "dev",
            "platform:karpenter.nodePools[0].disruptionBudgets[0]: schedule and duration go together (a budget is "
            'active for `duration` after each hit) (got {"nodes": 0, "schedule": "@daily"})',
        ),
        (
            _karpenter(DEV, {"disruptionBudgets": [{"nodes": 1, "reasons": ["Expired"]}]}),
            "dev",
            "platform:karpenter.nodePools[0].disruptionBudgets[0].reasons[0]: input should be 'Underutilized', "
            """'Empty' or 'Drifted' (got "Expired")""",
        ),
        (
            _karpenter(DEV, {"capacityTypes": ["SPOT"]}),
            "dev",
            "platform:karpenter.nodePools[0].capacityTypes[0]: input should be 'on-demand', 'spot' or 'reserved' "
            '(got "SPOT")',
        ),
    ],
)
def test_bad_karpenter_config_lines(values, stack, expected):
    assert _lines(values, stack) == [expected]


def test_disabled_karpenter_declares_nothing():
    values = _karpenter(DEV, enabled=False, nodePools=[])
    assert validate(values, "dev").karpenter.enabled is False
