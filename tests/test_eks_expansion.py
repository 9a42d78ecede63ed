"""pulumi-eks in the offline plan: the engine expands every eks:index:Cluster with the model (platformctl/eks_model.py,
platformctl/eks_expand.py) as the real engine and eks provider would, the policies judge the children, and no remote
component is left unexpanded where its expander was available."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.config.repository import stack_names
from platformctl import engine, mock_outputs

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("platformctl"))
STACKS = stack_names(ROOT)
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def children_of(plan, urn):
    out, todo = [], [urn]
    while todo:
        kids = plan.children(todo.pop())
        out += kids
        todo += [k.urn for k in kids]
    return out


# ------------------------------------------------------------------------------------------------ the plans


@pytest.mark.parametrize("stack", STACKS)
def test_the_plan_holds_what_pulumi_eks_registers(plans, stack):
    plan = plans[stack]
    (eks,) = plan.of_type("eks:index:Cluster")
    assert eks.inputs == {} and eks.requested["name"] == f"eks-platform-{stack}"
    (expansion,) = [e for e in plan.expansions if e.urn == eks.urn]
    assert expansion.status == "expanded" and expansion.chart == "pulumi-eks"
    kids = children_of(plan, eks.urn)
    assert expansion.objects == len(kids)
    by_type = {}
    for k in kids:
        by_type.setdefault(k.type, []).append(k)
    (cluster,) = by_type["aws:eks/cluster:Cluster"]
    i = cluster.inputs
    assert i["encryptionConfig"]["resources"] == ["secrets"]
    assert i["encryptionConfig"]["provider"]["keyArn"] == eks.requested["encryptionConfigKeyArn"]
    assert i["enabledClusterLogTypes"] == LOG_TYPES
    assert i["vpcConfig"]["endpointPrivateAccess"] is True
    assert i["vpcConfig"]["endpointPublicAccess"] is plan.config.cluster.endpoint.public_access
    # The program's transform (components/cluster.py) acts on pulumi-eks's child, as the engine applies it.
    assert i["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert len(by_type["aws:ec2/securityGroup:SecurityGroup"]) == 2
    assert len(by_type["aws:ec2/securityGroupRule:SecurityGroupRule"]) == 6
    entries = eks.requested["accessEntries"]
    assert len(by_type["aws:eks/accessEntry:AccessEntry"]) == len(entries)
    assert len(by_type["aws:eks/accessPolicyAssociation:AccessPolicyAssociation"]) == sum(
        len(e["accessPolicies"]) for e in entries.values()
    )
    # Children get the program's aws provider, its default tags, and the component's protection.
    aws_provider = plan.of_type("pulumi:providers:aws")[0]
    for k in kids:
        assert k.options["protect"] is bool(plan.config.production), k.name
        if k.type.startswith("aws:"):
            assert k.provider == aws_provider.urn, k.name
    assert cluster.tags_all["environment"] == plan.config.environment.name
    assert cluster.urn in plan.by_urn and cluster.urn.split("::")[2].startswith(
        "eks-platform:cluster:Cluster$eks:index:Cluster$"
    )


def test_the_programs_outputs_come_from_the_children(prod_plan):
    """What components read from pulumi-eks is what its children return, and depends on them."""
    plan = prod_plan
    (eks,) = plan.of_type("eks:index:Cluster")
    (cluster,) = [k for k in children_of(plan, eks.urn) if k.type == "aws:eks/cluster:Cluster"]
    issuer = mock_outputs.new_resource(
        cluster.type, cluster.name, cluster.inputs, mock_outputs.Ctx(plan.config.region, plan.config.account)
    )[1]
    issuer_url = issuer["identities"][0]["oidcs"][0]["issuer"]
    assert plan.outputs["oidcIssuer"] == issuer_url.removeprefix("https://")
    assert plan.outputs["clusterEndpoint"] == issuer["endpoint"]
    provider = next(
        r for r in plan.of_type("pulumi:providers:kubernetes") if r.parent and r.parent.endswith("::prod-cluster")
    )
    assert sorted(provider.property_dependencies["kubeconfig"]) == sorted([eks.urn, cluster.urn])


@pytest.mark.parametrize("stack", STACKS)
def test_no_remote_component_is_left_unexpanded_while_its_expander_was_available(plans, stack):
    """The guard: every remote component of every stack has an expansion, and one that is not expanded is a chart
    whose archive is not cached (the tests never see a chart cache) - nothing else may fall through."""
    plan = plans[stack]
    expansions = {e.urn: e for e in plan.expansions}
    remote = [r for r in plan.resources if r.remote]
    assert remote and any(r.type == "eks:index:Cluster" for r in remote)
    for r in remote:
        assert r.urn in expansions, f"{r.name} ({r.type}) has no offline expander"
        e = expansions[r.urn]
        if e.status != "expanded":
            assert e.type == "kubernetes:helm.sh/v4:Chart" and e.reason.startswith("archive not cached"), e.line()
        assert r.inputs == {} and r.remote_inputs is not None, r.name


# ------------------------------------------------------------------------------------------------ the engine


def cluster_program(transform=None, **args):
    def body():
        import pulumi
        import pulumi_aws as aws
        import pulumi_eks as eks

        provider = aws.Provider("aws", region="eu-west-1")
        cluster = eks.Cluster(
            "c",
            vpc_id="vpc-1",
            private_subnet_ids=["subnet-1"],
            authentication_mode=eks.AuthenticationMode.API,
            skip_default_node_group=True,
            use_default_vpc_cni=True,
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            opts=pulumi.ResourceOptions(providers={"aws": provider}, transforms=[transform] if transform else None),
            **args,
        )
        # A consumer of an output, as components/node_pools.py reads the node security group.
        aws.ec2.SecurityGroup(
            "reader", vpc_id=cluster.node_security_group_id, opts=pulumi.ResourceOptions(provider=provider)
        )

    return body


def test_an_input_outside_the_model_leaves_the_cluster_unexpanded_with_unknown_outputs(run_program):
    recorder = run_program(cluster_program(fargate=True))
    (expansion,) = recorder.expansions
    assert expansion.status == "not-expanded" and expansion.reason == "input fargate is not modelled"
    assert "not expanded (input fargate is not modelled)" in expansion.line()
    (component,) = [r for r in recorder.resources if r.type == "eks:index:Cluster"]
    assert component.inputs == {} and component.remote_inputs["fargate"] is True
    assert not [r for r in recorder.resources if r.parent == component.urn]
    (reader,) = [r for r in recorder.resources if r.name == "reader"]
    assert reader.inputs["vpcId"] == engine.UNKNOWN_PLACEHOLDER  # never invented


def test_what_the_provider_refuses_fails_the_expansion(run_program):
    recorder = run_program(cluster_program(endpoint_public_access=False, public_access_cidrs=["10.0.0.0/8"]))
    (expansion,) = recorder.expansions
    assert expansion.status == "failed"
    assert "`publicAccessCidrs` can only be set when `endpointPublicAccess` is true" in expansion.reason
    assert not [r for r in recorder.resources if r.type == "aws:eks/cluster:Cluster"]


def test_transforms_act_on_the_children(run_program):
    def tag_everything(args):
        import pulumi

        if args.type_ == "aws:ec2/securityGroup:SecurityGroup":
            return pulumi.ResourceTransformResult({**args.props, "tags": {"touched": "yes"}}, args.opts)
        return None

    recorder = run_program(cluster_program(transform=tag_everything))
    groups = [r for r in recorder.resources if r.type == "aws:ec2/securityGroup:SecurityGroup" and r.name != "reader"]
    assert len(groups) == 2 and all(g.inputs["tags"] == {"touched": "yes"} for g in groups)
    (reader,) = [r for r in recorder.resources if r.name == "reader"]
    assert reader.inputs["vpcId"].startswith("sg-")  # the children's outputs, not invented


def test_a_transform_changing_an_option_the_model_does_not_record_is_not_expanded(run_program):
    def move_provider(args):
        import pulumi

        if args.type_ == "aws:eks/cluster:Cluster":
            return pulumi.ResourceTransformResult(
                args.props,
                pulumi.ResourceOptions.merge(
                    args.opts,
                    pulumi.ResourceOptions(
                        delete_before_replace=True, custom_timeouts=pulumi.CustomTimeouts(create="1h")
                    ),
                ),
            )
        return None

    recorder = run_program(cluster_program(transform=move_provider))
    (expansion,) = recorder.expansions
    assert expansion.status == "not-expanded" and "custom_timeouts" in expansion.reason


def test_other_remote_components_are_recorded_unexpanded(run_program):
    def body():
        import pulumi_eks as eks

        eks.VpcCniAddon("cni", cluster_name="c")

    recorder = run_program(body)
    (expansion,) = recorder.expansions
    assert expansion.status == "not-expanded" and expansion.reason == "no offline model of eks:index:VpcCniAddon"
    (cni,) = recorder.resources
    assert cni.inputs == {} and cni.remote and cni.remote_inputs["clusterName"] == "c"


# ------------------------------------------------------------------------------------------------ acceptance


def test_plan_json_and_policy_on_control_plane_logs_off(tmp_path):
    """`platformctl policy` judges the child: logs turned off in the stack config fail on the aws:eks/cluster:Cluster,
    named in the report; with all logs on, prod passes with both packs (no chart cached here)."""
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    doc["config"]["platform:cluster"]["controlPlaneLogTypes"] = ["api", "audit"]
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(yaml.safe_dump(doc))
    report = tmp_path / "report.json"
    cmd = [EXE, "policy", "prod", "--config-file", str(stack_file), "--allow-unexpanded", "--format", "json"]
    result = subprocess.run([*cmd, "--output", str(report)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    violations = [v for v in json.loads(report.read_text())["violations"] if v["level"] == "mandatory"]
    assert [(v["policy"], v["name"]) for v in violations] == [
        ("eks-control-plane-logging", "prod-cluster-eks-eksCluster")
    ]
    assert "authenticator, controllerManager, scheduler" in violations[0]["message"]
    assert violations[0]["urn"].endswith("eks:index:Cluster$aws:eks/cluster:Cluster::prod-cluster-eks-eksCluster")
