"""The network component per environment, from the offline plan (one mocked run per stack)."""

from __future__ import annotations

import json

import pytest

from components.netmath import compute_subnets, overlapping, within
from policies.rules.aws_taggable import is_taggable

REQUIRED_TAGS = ("environment", "team", "cost-center", "managed-by")


def network(plan):
    return [r for r in plan.resources if r.component == f"{plan.config.environment.name}-network"]


def of(resources, type_token):
    return [r for r in resources if r.type == type_token]


@pytest.mark.parametrize(("stack", "azs", "nats", "endpoints"), [("dev", 2, 1, 3), ("prod", 3, 3, 6)])
def test_layout_per_environment(plans, stack, azs, nats, endpoints):
    res = network(plans[stack])
    subnets = of(res, "aws:ec2/subnet:Subnet")
    public = [s for s in subnets if s.inputs["tags"].get("kubernetes.io/role/elb") == "1"]
    private = [s for s in subnets if s.inputs["tags"].get("kubernetes.io/role/internal-elb") == "1"]
    assert len(public) == len(private) == azs
    assert len({s.inputs["availabilityZone"] for s in private}) == azs
    assert len(of(res, "aws:ec2/natGateway:NatGateway")) == nats
    assert len(of(res, "aws:ec2/eip:Eip")) == nats
    vpce = of(res, "aws:ec2/vpcEndpoint:VpcEndpoint")
    assert sum(e.inputs["vpcEndpointType"] == "Interface" for e in vpce) == endpoints
    assert sum(e.inputs["vpcEndpointType"] == "Gateway" for e in vpce) == 1
    assert all(e.inputs["privateDnsEnabled"] for e in vpce if e.inputs["vpcEndpointType"] == "Interface")


def test_prod_private_route_tables_use_their_own_az_nat(prod_plan):
    res = network(prod_plan)
    nat_ids = {r.name: r for r in of(res, "aws:ec2/natGateway:NatGateway")}
    routes = [rt.inputs["routes"][0] for rt in of(res, "aws:ec2/routeTable:RouteTable") if "private" in rt.name]
    assert len({r["natGatewayId"] for r in routes}) == len(nat_ids) == 3


def test_subnets_are_computed_from_the_vpc_and_carry_discovery_tags(plans):
    for plan in plans.values():
        cfg = plan.config
        res = network(plan)
        cidrs = [s.inputs["cidrBlock"] for s in of(res, "aws:ec2/subnet:Subnet")]
        assert all(within(c, cfg.network.vpc_cidr) for c in cidrs)
        assert not overlapping(cidrs)
        private = [s for s in of(res, "aws:ec2/subnet:Subnet") if "private" in s.name]
        assert {s.inputs["tags"]["karpenter.sh/discovery"] for s in private} == {f"eks-platform-{cfg.stack}"}
        assert all(not s.inputs.get("mapPublicIpOnLaunch") for s in of(res, "aws:ec2/subnet:Subnet"))


def test_flow_logs_are_encrypted_with_a_rotating_key_and_retained(plans):
    for plan in plans.values():
        res = network(plan)
        (key,) = of(res, "aws:kms/key:Key")
        assert key.inputs["enableKeyRotation"] is True
        policy = json.loads(key.inputs["policy"])
        assert any(s.get("Principal", {}).get("Service", "").startswith("logs.") for s in policy["Statement"])
        (group,) = of(res, "aws:cloudwatch/logGroup:LogGroup")
        assert group.inputs["kmsKeyId"] == key.inputs.get("arn", group.inputs["kmsKeyId"])
        assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
        assert group.inputs["retentionInDays"] == plan.config.network.flow_logs.retention_days
        (flow,) = of(res, "aws:ec2/flowLog:FlowLog")
        assert flow.inputs["logDestination"].startswith("arn:aws:logs:")
        assert flow.inputs["trafficType"] == "ALL"
        assert key.urn in flow.dependencies or any(key.urn in d for d in group.property_dependencies.values())


def test_default_security_group_is_locked_down(plans):
    for plan in plans.values():
        (sg,) = of(network(plan), "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
        assert sg.inputs.get("ingress", []) == [] and sg.inputs.get("egress", []) == []


def test_every_taggable_resource_carries_the_required_tags_and_a_name(plans):
    for plan in plans.values():
        taggable = [r for r in plan.resources if r.type.startswith("aws:") and is_taggable(r.type)]
        assert taggable
        for r in taggable:
            assert r.tags_all is not None, r.urn
            missing = [t for t in REQUIRED_TAGS if not r.tags_all.get(t)]
            assert not missing, f"{r.urn} lacks {missing}"
            assert r.tags_all["environment"] == plan.config.environment.name
        for r in network(plan):
            if r.type.startswith("aws:") and is_taggable(r.type):
                assert r.inputs["tags"]["Name"].startswith(f"eks-platform-{plan.config.environment.name}-"), r.urn


def test_every_aws_resource_uses_the_explicit_provider(plans):
    for plan in plans.values():
        providers = {r.urn for r in plan.of_type("pulumi:providers:aws")}
        assert len(providers) == 1
        for r in plan.resources:
            if r.custom and r.type.startswith("aws:"):
                assert r.provider in providers, r.urn


@pytest.mark.parametrize(
    ("vpc", "azs"), [("10.0.0.0/16", 2), ("10.0.0.0/16", 3), ("10.0.0.0/20", 6), ("10.0.0.0/22", 6)]
)
def test_compute_subnets_fit_and_do_not_overlap(vpc, azs):
    layout = compute_subnets(vpc, azs)
    assert len(layout.public) == len(layout.private) == azs
    everything = [*layout.public, *layout.private]
    assert not overlapping(everything)
    assert all(within(c, vpc) for c in everything)
