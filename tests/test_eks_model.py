"""The model of pulumi-eks's Cluster (platformctl/eks_model.py), as a pure function of a construct request.

What these tests expect was compared with pulumi-eks v4.3.0's own Cluster run under the Node.js SDK's mocks (see the
module docstring): the children, their names, parents, inputs, dependencies and options, the invokes, and the
construct state. The expectations below are written by hand from pulumi-eks's source.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from platformctl import eks_model, mock_outputs
from platformctl.eks_model import ConstructError, ConstructRequest, NotModelled, Registered, construct

ROOT = Path(__file__).resolve().parent.parent
STACK = "urn:pulumi:prod::eks-platform::"
PARENT = f"{STACK}eks-platform:cluster:Cluster::prod-cluster"
AWS = f"{STACK}pulumi:providers:aws::aws::aws-id"
VPC = f"{STACK}eks-platform:network:Network$aws:ec2/vpc:Vpc::vpc"
SUBNETS = [f"{STACK}eks-platform:network:Network$aws:ec2/subnet:Subnet::{n}" for n in ("pub-0", "priv-0")]
KEY = f"{STACK}eks-platform:cluster:Cluster$aws:kms/key:Key::secrets-key"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1111"
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def inputs(**changes):
    """What components/cluster.py sends (the shape of the prod stack's request)."""
    base = {
        "name": "eks-platform-prod",
        "version": "1.35",
        "upgradePolicy": {"supportType": "STANDARD"},
        "deletionProtection": True,
        "vpcId": "vpc-1",
        "publicSubnetIds": ["subnet-pub"],
        "privateSubnetIds": ["subnet-priv"],
        "nodeAssociatePublicIpAddress": False,
        "kubernetesServiceIpAddressRange": "172.20.0.0/16",
        "ipFamily": "ipv4",
        "endpointPrivateAccess": True,
        "endpointPublicAccess": False,
        "enabledClusterLogTypes": LOG_TYPES,
        "encryptionConfigKeyArn": KEY_ARN,
        "authenticationMode": "API",
        "accessEntries": {
            "admin-0": {
                "principalArn": "arn:aws:iam::123456789012:role/admin",
                "type": "STANDARD",
                "accessPolicies": {
                    "AmazonEKSClusterAdminPolicy": {
                        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                        "accessScope": {"type": "cluster"},
                    }
                },
            },
            "team-api": {
                "principalArn": "arn:aws:iam::123456789012:role/team-api",
                "type": "STANDARD",
                "kubernetesGroups": ["team:api"],
                "accessPolicies": {
                    "AmazonEKSEditPolicy": {
                        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                        "accessScope": {"type": "namespace", "namespaces": ["api"]},
                    }
                },
            },
        },
        "createOidcProvider": True,
        "skipDefaultNodeGroup": True,
        "createInstanceRole": False,
        "clusterSecurityGroupTags": {"Name": "eks-platform-prod-eks-cluster-sg"},
        "nodeSecurityGroupTags": {
            "Name": "eks-platform-prod-eks-nodes-sg",
            "karpenter.sh/discovery": "eks-platform-prod",
        },
        "bootstrapSelfManagedAddons": True,
        "useDefaultVpcCni": True,
        "kubeProxyAddonOptions": {"enabled": False, "resolveConflictsOnCreate": "OVERWRITE"},
        "corednsAddonOptions": {"enabled": False, "resolveConflictsOnCreate": "OVERWRITE"},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


class Host:
    """The engine side, as platformctl.eks_expand does it, minus transforms."""

    def __init__(self, env=None, config=None):
        self.env = env or {}
        self.values = config or {}
        self.registered: dict[str, eks_model.Registration] = {}
        self.urns: dict[str, str] = {}
        self.invokes: list[tuple[str, str | None]] = []
        self.ctx = mock_outputs.Ctx(region="eu-west-1")

    def config(self, key):
        return self.values.get(key)

    def invoke(self, token, args, provider):
        self.invokes.append((token, provider))
        return mock_outputs.invoke(token, args, self.ctx)

    def register(self, reg):
        parent_type = reg.parent.split("::")[2]
        urn = f"{STACK}{parent_type}${reg.type}::{reg.name}"
        self.registered[reg.name] = reg
        self.urns[reg.name] = urn
        if not reg.custom:
            return Registered(urn, "", {})
        from platformctl.engine import plain

        rid, outputs = mock_outputs.new_resource(reg.type, reg.name, plain(reg.inputs), self.ctx)
        return Registered(urn, rid, outputs)


def run(host=None, protect=True, **changes):
    host = host or Host()
    deps = {
        "vpcId": [VPC],
        "publicSubnetIds": SUBNETS[:1],
        "privateSubnetIds": SUBNETS[1:],
        "encryptionConfigKeyArn": [KEY],
    }
    req = ConstructRequest(
        name="prod-cluster-eks",
        parent=PARENT,
        inputs=inputs(**changes),
        input_dependencies={k: v for k, v in deps.items() if k in inputs(**changes)},
        dependencies=[VPC, *SUBNETS, KEY],
        protect=protect,
        providers={"aws": AWS},
    )
    return construct(req, host), host


# ------------------------------------------------------------------------------------------------ the pin


def test_the_model_is_pinned_to_the_locked_pulumi_eks():
    lock = (ROOT / "uv.lock").read_text()
    locked = re.search(r'^name = "pulumi-eks"\nversion = "([^"]+)"', lock, re.M).group(1)
    assert locked == eks_model.PULUMI_EKS_VERSION, (
        f"uv.lock locks pulumi-eks {locked}, but platformctl/eks_model.py models {eks_model.PULUMI_EKS_VERSION}: "
        f"re-read pulumi-eks's nodejs/eks at {locked} (cluster/cluster.ts, cluster/authenticationMode.ts, "
        "servicerole.ts, nodes/securitygroup.ts, cmd/provider/cluster.ts), update the model, redo the comparison its "
        "docstring describes, then set PULUMI_EKS_VERSION"
    )
    # The provider plugin the engine installs for this SDK is the same release.
    import pulumi_eks

    plugin = json.loads((Path(pulumi_eks.__file__).parent / "pulumi-plugin.json").read_text())
    assert plugin["version"] == eks_model.PULUMI_EKS_VERSION


# ------------------------------------------------------------------------------------------------ children


def test_children_names_types_and_parents():
    _, host = run()
    eks = "prod-cluster-eks"
    got = {name: (reg.type, host_parent(host, reg.parent)) for name, reg in host.registered.items()}
    assert got == {
        eks: ("eks:index:Cluster", "prod-cluster"),
        f"{eks}-eksRole": ("eks:index:ServiceRole", eks),
        f"{eks}-eksRole-role": ("aws:iam/role:Role", f"{eks}-eksRole"),
        # servicerole.ts: <role>-<first 8 hex of sha1(policy id)>
        f"{eks}-eksRole-4b490823": ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", f"{eks}-eksRole"),
        f"{eks}-eksClusterSecurityGroup": ("aws:ec2/securityGroup:SecurityGroup", eks),
        f"{eks}-eksClusterInternetEgressRule": ("aws:ec2/securityGroupRule:SecurityGroupRule", eks),
        f"{eks}-eksCluster": ("aws:eks/cluster:Cluster", eks),
        f"{eks}-eks-k8s": ("pulumi:providers:kubernetes", eks),
        f"{eks}-admin-0": ("aws:eks/accessEntry:AccessEntry", eks),
        f"{eks}-admin-0-AmazonEKSClusterAdminPolicy": (
            "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
            f"{eks}-admin-0",
        ),
        f"{eks}-team-api": ("aws:eks/accessEntry:AccessEntry", eks),
        f"{eks}-team-api-AmazonEKSEditPolicy": (
            "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
            f"{eks}-team-api",
        ),
        f"{eks}-oidcProvider": ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", eks),
        f"{eks}-nodeSecurityGroup": ("aws:ec2/securityGroup:SecurityGroup", eks),
        f"{eks}-eksNodeIngressRule": ("aws:ec2/securityGroupRule:SecurityGroupRule", eks),
        f"{eks}-eksNodeClusterIngressRule": ("aws:ec2/securityGroupRule:SecurityGroupRule", eks),
        f"{eks}-eksExtApiServerClusterIngressRule": ("aws:ec2/securityGroupRule:SecurityGroupRule", eks),
        f"{eks}-eksNodeInternetEgressRule": ("aws:ec2/securityGroupRule:SecurityGroupRule", eks),
        f"{eks}-eksClusterIngressRule": ("aws:ec2/securityGroupRule:SecurityGroupRule", eks),
    }


def host_parent(host, parent_urn):
    return parent_urn.rsplit("::", 1)[1]


def test_the_component_has_no_inputs_and_the_requests_dependencies():
    result, host = run()
    component = host.registered["prod-cluster-eks"]
    assert component.inputs == {} and component.property_dependencies == {}
    assert component.dependencies == sorted([VPC, *SUBNETS, KEY])
    assert result.urn == host.urns["prod-cluster-eks"]
    assert result.children == len(host.registered) - 1


def test_options_come_from_the_construct_request():
    _, host = run()
    for name, reg in host.registered.items():
        assert reg.protect is True, name  # inherited from the component
        if reg.type.startswith("aws:"):
            assert reg.provider == AWS, name  # the program's provider, through the providers map
        else:
            assert reg.provider is None, name
    assert host.registered["prod-cluster-eks-eksCluster"].ignore_changes == [
        "accessConfig.bootstrapClusterCreatorAdminPermissions",
        "bootstrapSelfManagedAddons",
    ]
    _, dev = run(protect=False)
    assert not any(reg.protect for reg in dev.registered.values())
    # Both invokes go to the program's aws provider.
    assert sorted(host.invokes) == [
        ("aws:index/getPartition:getPartition", AWS),
        ("aws:index/getRegion:getRegion", AWS),
    ]


def test_the_eks_cluster():
    _, host = run()
    reg = host.registered["prod-cluster-eks-eksCluster"]
    sg, role = host.urns["prod-cluster-eks-eksClusterSecurityGroup"], host.urns["prod-cluster-eks-eksRole-role"]
    i = reg.inputs
    assert i["name"] == "eks-platform-prod" and i["version"] == "1.35"
    assert i["roleArn"].startswith("arn:aws:iam::123456789012:role/prod-cluster-eks-eksRole-role")
    assert i["encryptionConfig"] == {"provider": {"keyArn": KEY_ARN}, "resources": ["secrets"]}
    assert i["enabledClusterLogTypes"] == LOG_TYPES
    assert i["vpcConfig"]["endpointPrivateAccess"] is True and i["vpcConfig"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in i["vpcConfig"]
    assert i["vpcConfig"]["subnetIds"] == ["subnet-pub", "subnet-priv"]  # public first, then private
    assert i["kubernetesNetworkConfig"] == {"serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4"}
    # pulumi-eks asks for the creator admin; components/cluster.py's transform turns it off (tests/test_cluster.py).
    assert i["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}
    assert i["tags"] == {"Name": "prod-cluster-eks-eksCluster"}
    assert i["upgradePolicy"] == {"supportType": "STANDARD"} and i["deletionProtection"] is True
    assert i["bootstrapSelfManagedAddons"] is True
    assert reg.property_dependencies == {
        "encryptionConfig": [KEY],
        "roleArn": [role],
        "vpcConfig": sorted([sg, *SUBNETS]),
    }
    # dependsOn the role once its policy is attached (ServiceRole.resolvedRole).
    attachment = host.urns["prod-cluster-eks-eksRole-4b490823"]
    assert reg.dependencies == sorted({role, attachment, sg, *SUBNETS, KEY})


def test_security_groups_and_rules():
    _, host = run()
    cluster_sg = host.registered["prod-cluster-eks-eksClusterSecurityGroup"]
    node_sg = host.registered["prod-cluster-eks-nodeSecurityGroup"]
    for sg in (cluster_sg, node_sg):
        assert sg.inputs["description"] == "Managed by Pulumi"  # @pulumi/aws's default
        assert sg.inputs["revokeRulesOnDelete"] is True and sg.inputs["vpcId"] == "vpc-1"
    assert cluster_sg.inputs["tags"] == {"Name": "eks-platform-prod-eks-cluster-sg"}  # the program's tag wins
    assert node_sg.inputs["tags"] == {
        "Name": "eks-platform-prod-eks-nodes-sg",
        "karpenter.sh/discovery": "eks-platform-prod",
        "kubernetes.io/cluster/eks-platform-prod": "owned",
    }
    # The node group's tags read the cluster's name: it waits for the cluster.
    assert host.urns["prod-cluster-eks-eksCluster"] in node_sg.property_dependencies["tags"]
    rules = {
        name.removeprefix("prod-cluster-eks-"): reg.inputs
        for name, reg in host.registered.items()
        if reg.type == "aws:ec2/securityGroupRule:SecurityGroupRule"
    }
    summary = {
        name: (r["type"], r["protocol"], r["fromPort"], r["toPort"], r.get("cidrBlocks"), "self" in r)
        for name, r in rules.items()
    }
    assert summary == {
        "eksClusterInternetEgressRule": ("egress", "-1", 0, 0, ["0.0.0.0/0"], False),
        "eksNodeIngressRule": ("ingress", "-1", 0, 0, None, True),
        "eksNodeClusterIngressRule": ("ingress", "tcp", 1025, 65535, None, False),
        "eksExtApiServerClusterIngressRule": ("ingress", "tcp", 443, 443, None, False),
        "eksNodeInternetEgressRule": ("egress", "-1", 0, 0, ["0.0.0.0/0"], False),
        "eksClusterIngressRule": ("ingress", "tcp", 443, 443, None, False),
    }
    # Nothing is open to the internet inbound: ingress comes from the other group or the group itself.
    assert all(r["type"] == "egress" or "sourceSecurityGroupId" in r or r.get("self") for r in rules.values())


def test_access_entries_and_associations():
    _, host = run()
    entry = host.registered["prod-cluster-eks-team-api"]
    assert entry.inputs == {
        "clusterName": "eks-platform-prod",
        "kubernetesGroups": ["team:api"],
        "principalArn": "arn:aws:iam::123456789012:role/team-api",
        "type": "STANDARD",
    }  # accessPolicies are not an input of aws.eks.AccessEntry
    cluster = host.urns["prod-cluster-eks-eksCluster"]
    assert entry.dependencies == [cluster]
    assoc = host.registered["prod-cluster-eks-team-api-AmazonEKSEditPolicy"]
    assert assoc.inputs == {
        "accessScope": {"type": "namespace", "namespaces": ["api"]},
        "principalArn": "arn:aws:iam::123456789012:role/team-api",
        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
        "clusterName": "eks-platform-prod",
    }
    assert assoc.dependencies == sorted([cluster, host.urns["prod-cluster-eks-team-api"]])


def test_entries_in_javascript_key_order():
    entry = {"principalArn": "arn:aws:iam::1:role/r", "type": "STANDARD", "accessPolicies": {}}
    result, _ = run(accessEntries={"b": entry, "10": entry, "a": entry, "2": entry})
    assert [e["principalArn"] for e in result.state["core"]["accessEntries"]] == ["arn:aws:iam::1:role/r"] * 4
    assert eks_model._js_keys({"b": 1, "10": 1, "a": 1, "2": 1, "02": 1}) == ["2", "10", "02", "a", "b"]


def test_the_oidc_thumbprint_is_unknown_offline():
    _, host = run()
    oidc = host.registered["prod-cluster-eks-oidcProvider"]
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc.inputs["url"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    assert oidc.inputs["thumbprintLists"] == [eks_model.UNKNOWN]
    _, without = run(createOidcProvider=False)
    assert "prod-cluster-eks-oidcProvider" not in without.registered


# ------------------------------------------------------------------------------------------------ kubeconfig


def exec_args(kubeconfig):
    doc = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    return doc["users"][0]["user"]["exec"]["args"]


def test_kubeconfigs_profile_only_in_the_providers_copy():
    creds = {"roleArn": "arn:aws:iam::123456789012:role/deployer", "profileName": "prod"}
    result, host = run(providerCredentialOpts=creds)
    base = ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "eks-platform-prod", "--output", "json"]
    assert exec_args(result.state["kubeconfig"]) == [*base, "--role", creds["roleArn"]]
    assert json.loads(result.state["kubeconfigJson"]) == result.state["kubeconfig"]
    provider = host.registered["prod-cluster-eks-eks-k8s"]
    assert exec_args(provider.inputs["kubeconfig"]) == [*base, "--role", creds["roleArn"], "--profile", "prod"]


def test_kubeconfig_defaults_to_aws_profile_then_the_aws_profile_config():
    _, host = run(Host(env={"AWS_PROFILE": "from-env"}, config={"aws:profile": "from-config"}))
    assert exec_args(host.registered["prod-cluster-eks-eks-k8s"].inputs["kubeconfig"])[-2:] == ["--profile", "from-env"]
    _, host = run(Host(config={"aws:profile": "from-config"}))
    assert exec_args(host.registered["prod-cluster-eks-eks-k8s"].inputs["kubeconfig"])[-2:] == [
        "--profile",
        "from-config",
    ]
    _, host = run(Host())
    assert "--profile" not in exec_args(host.registered["prod-cluster-eks-eks-k8s"].inputs["kubeconfig"])


def test_kubeconfig_json_is_javascripts():
    result, _ = run()
    text = result.state["kubeconfigJson"]
    assert " " not in text.replace("Config", "").split('"value"')[0]  # no whitespace outside string values
    assert text.startswith('{"apiVersion":"v1","clusters":[{"cluster":{"server":"https://')


def test_kubernetes_provider_environment_defaults():
    env = {"PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY": "false", "PULUMI_K8S_DELETE_UNREACHABLE": "yes"}
    _, host = run(Host(env=env), enableConfigMapMutable=True)
    i = host.registered["prod-cluster-eks-eks-k8s"].inputs
    assert i["enableServerSideApply"] == "false"  # JSON-encoded, as first-class provider inputs are
    assert i["enableConfigMapMutable"] == "true"
    assert "deleteUnreachable" not in i  # "yes" is not one of Go's boolean spellings


# ------------------------------------------------------------------------------------------------ the state


def test_state_from_the_childrens_outputs():
    result, host = run()
    s, deps = result.state, result.state_dependencies
    urn = host.urns
    assert s["clusterSecurityGroupId"].startswith("sg-") and s["nodeSecurityGroupId"].startswith("sg-")
    assert deps["clusterSecurityGroupId"] == [urn["prod-cluster-eks-eksClusterSecurityGroup"]]
    assert deps["nodeSecurityGroupId"] == [urn["prod-cluster-eks-nodeSecurityGroup"]]
    assert s["oidcProviderUrl"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    assert s["oidcIssuer"] == s["oidcProviderUrl"].removeprefix("https://")
    assert s["oidcProviderArn"] == f"arn:aws:iam::123456789012:oidc-provider/{s['oidcIssuer']}"
    assert deps["oidcProviderArn"] == [urn["prod-cluster-eks-oidcProvider"]]
    assert s["eksCluster"]["urn"] == urn["prod-cluster-eks-eksCluster"]
    assert s["instanceRoles"] == [] and "defaultNodeGroup" not in s
    assert s["defaultNodeGroupAsgName"] == s["fargateProfileId"] == s["autoModeNodeRoleName"] == ""
    assert s["clusterIngressRuleId"].startswith("sgr-")
    assert set(s) <= set(eks_model.STATE_KEYS)
    assert s["core"]["nodeGroupOptions"]["nodeAssociatePublicIpAddress"] is False


# ------------------------------------------------------------------------------------------------ scope


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"fargate": True}, "input fargate is not modelled"),
        ({"autoMode": {"enabled": True}}, "input autoMode is not modelled"),
        ({"storageClasses": "gp3"}, "input storageClasses is not modelled"),
        ({"skipDefaultNodeGroup": None}, "skipDefaultNodeGroup is not true"),
        ({"useDefaultVpcCni": None}, "useDefaultVpcCni is not true"),
        ({"kubeProxyAddonOptions": None}, "kubeProxyAddonOptions.enabled is not false"),
        ({"corednsAddonOptions": {"enabled": True}}, "CoreDNS add-on"),
        ({"authenticationMode": "API_AND_CONFIG_MAP"}, "authenticationMode API_AND_CONFIG_MAP is not modelled"),
        ({"vpcId": None}, "input vpcId is not set"),
        ({"createInstanceRole": True}, "input createInstanceRole is not modelled"),
        ({"skipDefaultSecurityGroups": True}, "input skipDefaultSecurityGroups is not modelled"),
        ({"providerCredentialOpts": {"sessionName": "x"}}, "providerCredentialOpts.sessionName"),
    ],
)
def test_inputs_outside_the_model_are_not_expanded(changes, reason):
    with pytest.raises(NotModelled, match=re.escape(reason)):
        run(**changes)


def test_secret_and_unknown_inputs_are_not_modelled():
    secret = {eks_model._SIG: eks_model._SECRET_SIG, "value": "x"}
    with pytest.raises(NotModelled, match="input name is secret"):
        eks_model.plain_inputs({"name": secret})
    with pytest.raises(NotModelled, match="input vpcId is unknown"):
        eks_model.plain_inputs({"vpcId": eks_model.UNKNOWN})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"publicAccessCidrs": ["10.0.0.0/8"]},
            "`publicAccessCidrs` can only be set when `endpointPublicAccess` is true",
        ),
        ({"authenticationMode": "TOKEN"}, "Invalid value for authenticationMode: TOKEN."),
        ({"authenticationMode": "CONFIG_MAP"}, "The 'accessEntries' property is not supported"),
        ({"subnetIds": ["subnet-1"]}, "subnetIds, and the use of publicSubnetIds and/or privateSubnetIds"),
        ({"roleMappings": [{"roleArn": "r"}]}, "The 'roleMappings' property does not support non-empty values"),
    ],
)
def test_what_the_provider_refuses_fails(changes, message):
    with pytest.raises(ConstructError, match=re.escape(message)):
        run(**changes)
