"""The EKS cluster: pure IAM/KMS documents, then the offline plans (one mocked run per stack), then config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components import cluster_iam
from components.cluster import kubeconfig_server, without_creator_admin
from components.config import ConfigError, read_stack_file, validate
from components.config.repository import stack_names
from components.versions import EKS_ADDON_VERSIONS
from policies.rules import encryption, hardening, tags

ROOT = Path(__file__).resolve().parent.parent
# Every stack of the repository, from its Pulumi.<stack>.yaml (never a fixed dev/prod list).
STACKS = stack_names(ROOT)
RULES = {**tags.RULES, **encryption.RULES, **hardening.RULES}
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def mine(plan, component="cluster"):
    return [r for r in plan.resources if r.component == f"{plan.config.environment.name}-{component}"]


def one(plan, type_token, component="cluster"):
    [r] = [r for r in mine(plan, component) if r.type == type_token]
    return r


def own(plan, type_token):
    """The Cluster component's own resource of this type (not one pulumi-eks registers)."""
    [r] = [r for r in mine(plan) if r.type == type_token and r.parent == f"{cluster_component(plan).urn}"]
    return r


def cluster_component(plan):
    return one(plan, "eks-platform:cluster:Cluster")


def eks_child(plan, type_token, suffix):
    """The resource pulumi-eks registers for the cluster, e.g. ("aws:eks/cluster:Cluster", "eksCluster")."""
    eks = one(plan, "eks:index:Cluster")
    [r] = [r for r in mine(plan) if r.type == type_token and r.name == f"{eks.name}-{suffix}"]
    return r


def statements(doc):
    return doc["Statement"]


# ---------------------------------------------------------------------------------------------- pure documents


def test_partition_and_arns():
    assert cluster_iam.partition_of("eu-west-1") == "aws"
    assert cluster_iam.partition_of("cn-north-1") == "aws-cn"
    assert cluster_iam.partition_of("us-gov-west-1") == "aws-us-gov"
    assert cluster_iam.access_policy_arn("AmazonEKSViewPolicy") == (
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    )
    assert cluster_iam.cluster_arn("aws", "eu-west-1", "111122223333", "c") == (
        "arn:aws:eks:eu-west-1:111122223333:cluster/c"
    )


def test_access_entries_admin_view_and_namespaced_edit():
    entries = cluster_iam.access_entries(
        ["arn:aws:iam::1:role/a"], ["arn:aws:iam::1:role/v"], [("pay", "arn:aws:iam::1:role/t", ["pay", "jobs"])]
    )
    assert set(entries) == {"admin-0", "read-only-0", "team-pay"}
    assert entries["admin-0"]["accessPolicies"] == {
        "AmazonEKSClusterAdminPolicy": {
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "accessScope": {"type": "cluster"},
        }
    }
    assert list(entries["read-only-0"]["accessPolicies"]) == ["AmazonEKSViewPolicy"]
    team = entries["team-pay"]["accessPolicies"]["AmazonEKSEditPolicy"]
    assert team["accessScope"] == {"type": "namespace", "namespaces": ["pay", "jobs"]}
    assert all(e["type"] == "STANDARD" for e in entries.values())


def test_pod_identity_trust_is_pinned_to_cluster_namespace_and_service_account():
    doc = cluster_iam.pod_identity_trust_policy("arn:aws:eks:eu-west-1:1:cluster/c", "kube-system", "karpenter")
    [st] = statements(doc)
    assert st["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert st["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert st["Condition"] == {
        "StringEquals": {
            "aws:SourceAccount": "1",
            "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:eu-west-1:1:cluster/c",
            "aws:RequestTag/kubernetes-namespace": "kube-system",
            "aws:RequestTag/kubernetes-service-account": "karpenter",
        }
    }


def test_irsa_trust_is_pinned_to_one_service_account():
    [st] = statements(
        cluster_iam.irsa_trust_policy("arn:aws:iam::1:oidc-provider/oidc.x/id/A", "oidc.x/id/A", "ns", "sa")
    )
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert st["Condition"]["StringEquals"] == {
        "oidc.x/id/A:sub": "system:serviceaccount:ns:sa",
        "oidc.x/id/A:aud": "sts.amazonaws.com",
    }


def test_key_policies_scope_services():
    secrets = cluster_iam.secrets_key_policy("111122223333")
    assert [s["Sid"] for s in statements(secrets)] == ["AccountAdministers"]
    volumes = cluster_iam.node_volume_key_policy("111122223333", "eu-west-1")
    sids = {s["Sid"]: s for s in statements(volumes)}
    slr = "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert sids["AutoScalingUsesKeyForVolumes"]["Principal"] == {"AWS": slr}
    grant = sids["AutoScalingGrantsForAttachedVolumes"]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    for doc in (secrets, volumes, cluster_iam.ec2_trust_policy()):
        for st in statements(doc):
            assert st["Action"] not in ("*", ["*"])


def test_node_role_policies_exclude_the_cni_policy():
    assert "AmazonEKS_CNI_Policy" not in cluster_iam.NODE_MANAGED_POLICIES
    assert set(cluster_iam.NODE_MANAGED_POLICIES) == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonSSMManagedInstanceCore",
    }


def test_creator_admin_transform_only_touches_the_eks_cluster():
    props = {
        "name": "c",
        "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True},
    }
    out = without_creator_admin("aws:eks/cluster:Cluster", props)
    assert out["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert props["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is True  # input left alone
    assert without_creator_admin("aws:ec2/securityGroup:SecurityGroup", {"x": 1}) is None


def test_kubeconfig_server_reads_dicts_and_json():
    kc = {"clusters": [{"cluster": {"server": "https://x"}}]}
    assert kubeconfig_server(kc) == kubeconfig_server(json.dumps(kc)) == "https://x"


# ---------------------------------------------------------------------------------------------- offline plans


@pytest.mark.parametrize("stack", STACKS)
def test_cluster_settings(plans, stack):
    plan = plans[stack]
    cfg = plan.config.cluster
    eks = one(plan, "eks:index:Cluster")
    i = eks.requested
    assert eks.remote and eks.inputs == {}  # what an analyzer sees of a remote component
    assert i["name"] == f"eks-platform-{stack}"
    assert i["version"] == cfg.version == "1.35"
    assert i["upgradePolicy"] == {"supportType": "STANDARD"}
    assert i["authenticationMode"] == "API"
    assert i["enabledClusterLogTypes"] == LOG_TYPES
    assert i["skipDefaultNodeGroup"] is True and i["createInstanceRole"] is False
    assert i["createOidcProvider"] is True
    assert i["deletionProtection"] is plan.config.production
    assert i["kubernetesServiceIpAddressRange"] == cfg.service_ipv4_cidr
    assert i["nodeAssociatePublicIpAddress"] is False
    assert i["nodeSecurityGroupTags"]["karpenter.sh/discovery"] == f"eks-platform-{stack}"
    # pulumi-eks's unpinned add-on copies are off: components/addons/ installs them pinned.
    assert i["kubeProxyAddonOptions"]["enabled"] is False and i["corednsAddonOptions"]["enabled"] is False
    assert i["useDefaultVpcCni"] is True


@pytest.mark.parametrize(("stack", "public", "cidrs"), [("dev", True, ["203.0.113.0/24"]), ("prod", False, None)])
def test_endpoint(plans, stack, public, cidrs):
    i = one(plans[stack], "eks:index:Cluster").requested
    assert i["endpointPrivateAccess"] is True
    assert i["endpointPublicAccess"] is public
    assert i.get("publicAccessCidrs") == cidrs
    vpc = eks_child(plans[stack], "aws:eks/cluster:Cluster", "eksCluster").inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is public
    assert vpc.get("publicAccessCidrs") == cidrs


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_are_encrypted_with_a_dedicated_rotating_key(plans, stack):
    plan = plans[stack]
    eks = one(plan, "eks:index:Cluster")
    keys = {r.name: r for r in mine(plan) if r.type == "aws:kms/key:Key"}
    secrets_key = keys[f"{stack}-cluster-secrets-key"]
    assert eks.requested["encryptionConfigKeyArn"].startswith(f"arn:aws:kms:{plan.config.region}:")
    cluster = eks_child(plan, "aws:eks/cluster:Cluster", "eksCluster")
    assert cluster.property_dependencies["encryptionConfig"] == [secrets_key.urn]
    assert cluster.inputs["encryptionConfig"] == {
        "provider": {"keyArn": eks.requested["encryptionConfigKeyArn"]},
        "resources": ["secrets"],
    }
    assert all(k.inputs["enableKeyRotation"] is True for k in keys.values())
    aliases = {r.inputs["name"] for r in mine(plan) if r.type == "aws:kms/alias:Alias"}
    assert f"alias/eks-platform-{stack}-eks-secrets" in aliases
    assert [s["Sid"] for s in statements(json.loads(secrets_key.inputs["policy"]))] == ["AccountAdministers"]


@pytest.mark.parametrize("stack", STACKS)
def test_control_plane_log_group_exists_first_encrypted_with_retention(plans, stack):
    plan = plans[stack]
    group = one(plan, "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == f"/aws/eks/eks-platform-{stack}/cluster"
    assert group.inputs["retentionInDays"] == plan.config.cluster.log_retention_days
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    eks = one(plan, "eks:index:Cluster")
    assert group.urn in eks.dependencies
    key = next(r for r in mine(plan) if r.name == f"{stack}-cluster-logs-key")
    [logs] = [s for s in statements(json.loads(key.inputs["policy"])) if s["Sid"] == "CloudWatchLogsUse"]
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].endswith(
        f":log-group:/aws/eks/eks-platform-{stack}/cluster"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_access_entries_come_from_config(plans, stack):
    plan = plans[stack]
    access = plan.config.cluster.access
    entries = one(plan, "eks:index:Cluster").requested["accessEntries"]
    principals = {e["principalArn"]: e for e in entries.values()}
    # pulumi-eks registers one access entry per key and one association per access policy.
    for key, entry in entries.items():
        child = eks_child(plan, "aws:eks/accessEntry:AccessEntry", key)
        assert child.inputs["principalArn"] == entry["principalArn"] and child.inputs["type"] == "STANDARD"
        for name, policy in entry["accessPolicies"].items():
            assoc = eks_child(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", f"{key}-{name}")
            assert assoc.parent == child.urn
            assert assoc.inputs["policyArn"] == policy["policyArn"]
            assert assoc.inputs["accessScope"] == policy["accessScope"]
    assert set(principals) == {
        *access.admin_role_arns,
        *access.read_only_role_arns,
        *(t.role_arn for t in access.teams),
    }
    for arn in access.admin_role_arns:
        assert list(principals[arn]["accessPolicies"]) == ["AmazonEKSClusterAdminPolicy"]
    for arn in access.read_only_role_arns:
        assert list(principals[arn]["accessPolicies"]) == ["AmazonEKSViewPolicy"]
    for team in access.teams:
        policy = principals[team.role_arn]["accessPolicies"]["AmazonEKSEditPolicy"]
        assert policy["accessScope"] == {"type": "namespace", "namespaces": team.namespaces}


@pytest.mark.parametrize("stack", STACKS)
def test_deployer_is_an_explicit_admin_and_the_k8s_provider_waits_for_it(plans, stack):
    plan = plans[stack]
    entry = own(plan, "aws:eks/accessEntry:AccessEntry")
    assoc = own(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    # Stacks with a deploy runner deploy from it: the deployer is its deploy role (test_deploy_runner.py); without
    # one (a fleet spoke: the hub's runner rolls the fleet out) it is whoever runs `up` (test_account_guard.py), the
    # mocked caller here.
    if plan.config.deploy_runner.enabled:
        deployer = plan.config.deploy_runner.deploy_role_arn
        assert deployer == f"arn:aws:iam::{plan.config.account}:role/eks-platform-{stack}-deploy"
    else:
        deployer = f"arn:aws:iam::{plan.config.account}:user/offline"
    assert entry.inputs["principalArn"] == assoc.inputs["principalArn"] == deployer
    assert assoc.inputs["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")
    assert assoc.inputs["accessScope"] == {"type": "cluster"}
    provider = own(plan, "pulumi:providers:kubernetes")
    assert assoc.urn in provider.dependencies
    assert one(plan, "eks:index:Cluster").urn in provider.property_dependencies["kubeconfig"]


@pytest.mark.parametrize("stack", STACKS)
def test_pod_identity_agent_is_a_pinned_addon(plans, stack):
    addon = one(plans[stack], "aws:eks/addon:Addon")
    assert addon.inputs["addonName"] == "eks-pod-identity-agent"
    assert addon.inputs["addonVersion"] == EKS_ADDON_VERSIONS["1.35"]["eks-pod-identity-agent"]
    assert addon.inputs["clusterName"] == f"eks-platform-{stack}"


def test_prod_protects_the_cluster_and_its_keys_and_dev_does_not(plans):
    for stack, protected in (("dev", False), ("prod", True)):
        plan = plans[stack]
        assert one(plan, "eks:index:Cluster").options["protect"] is protected
        keys = [r for r in mine(plan) if r.type == "aws:kms/key:Key"]
        assert keys and all(k.options["protect"] is protected for k in keys)
        assert one(plan, "aws:cloudwatch/logGroup:LogGroup").options["protect"] is protected


@pytest.mark.parametrize("stack", STACKS)
def test_stack_outputs(plans, stack):
    out = plans[stack].outputs
    region = plans[stack].config.region
    assert out["clusterName"] == f"eks-platform-{stack}"
    assert out["clusterEndpoint"].startswith("https://") and out["clusterEndpoint"].endswith(".eks.amazonaws.com")
    assert out["oidcIssuer"].startswith(f"oidc.eks.{region}.amazonaws.com/id/")
    assert out["kubeconfig"] == "[secret]"
    assert set(out["nodeRoleArns"]) == {"managedNodeGroups", "karpenter"}
    account = plans[stack].config.account  # the mocked AWS answers as the stack's account
    assert all(arn.startswith(f"arn:aws:iam::{account}:role/") for arn in out["nodeRoleArns"].values())


@pytest.mark.parametrize("stack", STACKS)
def test_cluster_resources_pass_the_aws_policies(plans, stack):
    """Every resource of the cluster, pulumi-eks's children included (the analyzer's view), passes; the component's
    own resources are named after the stack (pulumi-eks names its children after the component)."""
    plan = plans[stack]
    component = cluster_component(plan)
    for r in mine(plan):
        for policy, rule in RULES.items():
            assert rule(r.type, r.properties) == [], (policy, r.name)
        if r.tags_all is not None and r.parent == component.urn:
            assert r.tags_all["Name"].startswith(f"eks-platform-{stack}-"), r.name


# ---------------------------------------------------------------------------------------------- config errors

PROD = read_stack_file(ROOT / "Pulumi.prod.yaml")
DEV = read_stack_file(ROOT / "Pulumi.dev.yaml")


def _lines(values, stack):
    with pytest.raises(ConfigError) as info:
        validate(values, stack)
    return info.value.lines


def _with(base, section, **changes):
    values = json.loads(json.dumps(base))
    values[section] = {**values[section], **changes}
    return values


def test_prod_public_endpoint_open_to_the_world_exits_2(plan_with_edited_config):
    def edit(config):
        config["platform:cluster"]["endpoint"] = {"publicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}

    code, lines = plan_with_edited_config("prod", edit)
    assert code == 2
    assert lines == [
        "platform:cluster.endpoint.publicAccessCidrs[0]: the public endpoint must not be open to the whole internet "
        'in production (got "0.0.0.0/0")'
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"endpoint": {"publicAccess": False, "publicAccessCidrs": ["203.0.113.0/24"]}},
            "platform:cluster.endpoint.publicAccessCidrs: is set but publicAccess is false (the CIDRs apply only to "
            'the public endpoint) (got ["203.0.113.0/24"])',
        ),
        (
            {
                "access": {
                    "adminRoleArns": ["arn:aws:iam::123456789012:role/a"],
                    "readOnlyRoleArns": ["arn:aws:iam::123456789012:role/a"],
                }
            },
            "platform:cluster.access.readOnlyRoleArns[0]: is already listed as adminRoleArns[0] (one access entry per "
            'role) (got "arn:aws:iam::123456789012:role/a")',
        ),
        (
            {"access": {"teams": [{"name": "t", "roleArn": "arn:aws:iam::123456789012:role/t", "namespaces": []}]}},
            "platform:cluster.access.teams[0].namespaces: list should have at least 1 item after validation, not 0 "
            "(got [])",
        ),
        (
            {
                "access": {
                    "teams": [{"name": "t", "roleArn": "arn:aws:iam::123456789012:role/t", "namespaces": ["Payments"]}]
                }
            },
            "platform:cluster.access.teams[0].namespaces[0]: string should match pattern "
            "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' (got \"Payments\")",
        ),
        (
            {"upgradePolicy": "EXTENDED_PLUS"},
            "platform:cluster.upgradePolicy: input should be 'STANDARD' or 'EXTENDED' (got \"EXTENDED_PLUS\")",
        ),
    ],
)
def test_bad_cluster_config_lines(changes, expected):
    assert _lines(_with(DEV, "platform:cluster", **changes), "dev") == [expected]
