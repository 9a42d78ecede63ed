"""The mock contract (platformctl/mock_outputs.py CONTRACT): every output and invoke result the program reads, in
every stack, has a documented offline answer from a real source, and that answer is there.

What the program reads is recorded while each stack's plan runs: every generated property getter of a resource or of
an invoke's result type goes through `pulumi.get(self, name)`, called from the getter of that name (reads the SDK
makes itself, building results or serializing inputs, do not come from a getter of an output type). A read of an
output the contract does not list fails: the mocks would answer it by accident (an echoed input) or not at all.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

from components import aws_partitions
from components.config.repository import stack_names
from platformctl import eks_model, mock_outputs

ROOT = Path(__file__).resolve().parent.parent
STACKS = stack_names(ROOT)


def _pulumi_name(obj, name: str) -> str:
    for cls in type(obj).__mro__:
        prop = cls.__dict__.get(name)
        if isinstance(prop, property):
            return getattr(prop.fget, "_pulumi_name", name)
    return name


def _invoke_token(result) -> str:
    """pulumi_aws.iam.get_session_context.GetSessionContextResult -> aws:iam/getSessionContext:getSessionContext"""
    parts = type(result).__module__.split(".")
    package, module, function = parts[0].removeprefix("pulumi_"), parts[1:-1], parts[-1]
    camel = function.split("_")[0] + "".join(w.title() for w in function.split("_")[1:])
    return f"{package}:{'/'.join(module) or 'index'}/{camel}:{camel}"


@pytest.fixture(scope="module")
def reads(tmp_path_factory):
    """{owner: {property}} read by the program across every stack's plan (and dev without its deploy runner, where
    the deployer is whoever runs `up`); owner is a type or invoke token."""
    import pulumi
    import yaml
    from pulumi import _types

    from platformctl.engine import run_plan

    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["platform:deployRunner"] = {"enabled": False}
    no_runner = tmp_path_factory.mktemp("stack") / "Pulumi.dev.yaml"
    no_runner.write_text(yaml.safe_dump(doc))

    seen: dict[str, set[str]] = defaultdict(set)
    original = pulumi.get

    def get(self, name):
        caller = sys._getframe(1).f_code.co_name
        if caller == name:
            if isinstance(self, pulumi.Resource):
                seen[self.pulumi_resource_type].add(_pulumi_name(self, name))
            elif _types.is_output_type(type(self)) and type(self).__name__.endswith("Result"):
                seen[_invoke_token(self)].add(_pulumi_name(self, name))
            elif _types.is_output_type(type(self)):
                seen[f"{type(self).__module__}.{type(self).__name__}"].add(_pulumi_name(self, name))
        return original(self, name)

    pulumi.get = get
    try:
        for stack in STACKS:
            run_plan(stack, project_dir=ROOT)
        run_plan("dev", no_runner, ROOT)
    finally:
        pulumi.get = original
    return dict(seen)


def test_the_program_reads_only_what_the_mocks_model(reads):
    missing = sorted(f"{owner}.{prop}" for owner, props in reads.items() for prop in props if prop not in
                     mock_outputs.CONTRACT.get(owner, {}))  # fmt: skip
    assert not missing, (
        f"the program reads {missing}, which the offline mocks do not model: give each an answer from a real source "
        "in platformctl/mock_outputs.py and list it in CONTRACT with where it comes from"
    )


def test_the_contract_lists_nothing_the_program_does_not_read(reads):
    stale = sorted(f"{o}.{p}" for o, props in mock_outputs.CONTRACT.items() for p in props if p not in reads.get(o, ()))
    assert not stale, f"CONTRACT lists outputs no stack reads any more: {stale}"


def test_every_listed_resource_output_is_answered(plans):
    ctx = mock_outputs.Ctx(region="eu-west-1")
    # Every stack's plan, and the global program's plans the fleet's spokes read (planned for their references).
    every_plan = [*plans.values(), *plans.references.plans.values()]
    resources = [r for plan in every_plan for r in plan.resources]
    for owner, props in mock_outputs.CONTRACT.items():
        if owner == eks_model.COMPONENT_TYPE:
            # The model's construct state (tests/test_eks_model.py checks its values).
            assert set(props) <= set(eks_model.STATE_KEYS)
            continue
        if owner in mock_outputs.INVOKES:
            continue
        declared = [r for r in resources if r.type == owner]
        assert declared, f"no stack declares {owner}"
        for r in declared:
            _, outputs = mock_outputs.new_resource(r.type, r.name, r.inputs, ctx)
            for prop in props:
                assert outputs.get(prop) is not None, f"{r.name} ({owner}): no answer for {prop}"


@pytest.mark.parametrize("token", sorted(mock_outputs.INVOKES))
def test_every_listed_invoke_result_is_answered(token):
    answer = mock_outputs.invoke(token, {}, mock_outputs.Ctx(region="eu-west-1"))
    for prop in mock_outputs.CONTRACT.get(token, {}):
        assert answer.get(prop) is not None, (token, prop)


def test_an_unmodelled_invoke_stops_the_plan_instead_of_answering_nothing(run_program):
    def body():
        import pulumi_aws as aws

        vpc = aws.ec2.get_vpc_output(default=True)
        aws.ec2.SecurityGroup("sg", vpc_id=vpc.id)

    with pytest.raises(mock_outputs.UnmodelledError, match="no answer for the invoke aws:ec2/getVpc:getVpc"):
        run_program(body)
    # The SDK leaves the failed invoke's future (and those derived from it) unretrieved; asyncio would report each at
    # exit ("Future exception was never retrieved"). That is this test's expected failure: mark them retrieved.
    import asyncio
    import gc

    for obj in gc.get_objects():
        if isinstance(obj, asyncio.Future) and obj.done() and not obj.cancelled():
            obj.exception()


# ------------------------------------------------------------------------------------------------ the data


def test_regions_and_partitions_come_from_the_aws_sdk():
    ireland = aws_partitions.region("eu-west-1")
    assert (ireland.partition, ireland.dns_suffix, ireland.description) == ("aws", "amazonaws.com", "Europe (Ireland)")
    assert aws_partitions.region("cn-north-1").partition == "aws-cn"
    assert aws_partitions.region("cn-north-1").dns_suffix == "amazonaws.com.cn"
    assert aws_partitions.region("us-gov-west-1").partition == "aws-us-gov"
    assert aws_partitions.region("eu-west-9") is None and aws_partitions.region("aws-global") is None
    assert aws_partitions.source().startswith("botocore ")


def test_invokes_answer_for_the_stacks_region_and_partition():
    ctx = mock_outputs.Ctx(region="cn-north-1", account="111122223333")
    assert mock_outputs.invoke("aws:index/getPartition:getPartition", {}, ctx) == {
        "partition": "aws-cn",
        "dnsSuffix": "amazonaws.com.cn",
        "id": "aws-cn",
    }
    region = mock_outputs.invoke("aws:index/getRegion:getRegion", {}, ctx)
    assert region["region"] == "cn-north-1" and region["description"] == aws_partitions.region("cn-north-1").description
    identity = mock_outputs.invoke("aws:index/getCallerIdentity:getCallerIdentity", {}, ctx)
    assert identity["accountId"] == "111122223333" and identity["arn"].startswith("arn:aws-cn:iam::111122223333:")
    # ARNs of mocked resources are in the Region's partition too.
    _, key = mock_outputs.new_resource("aws:kms/key:Key", "k", {}, ctx)
    assert key["arn"].startswith("arn:aws-cn:kms:cn-north-1:111122223333:key/")


def test_an_unknown_region_is_a_config_error_naming_aws_region(plan_with_edited_config):
    code, lines = plan_with_edited_config("dev", lambda c: c.update({"aws:region": "eu-west-9"}))
    assert code == 2
    assert lines == [
        f"aws:region: is not an AWS Region ({aws_partitions.source()}; did you mean 'eu-west-3'?) (got \"eu-west-9\")"
    ]


def test_zones_come_from_aws_regions_and_are_unknown_where_it_has_none(run_program):
    from components import aws_regions

    ireland = aws_regions.region("eu-west-1")
    answer = mock_outputs.invoke(mock_outputs.AVAILABILITY_ZONES, {"state": "available"}, mock_outputs.Ctx("eu-west-1"))
    assert answer["names"] == list(ireland.zone_names) and answer["zoneIds"] == list(ireland.zone_ids)
    assert aws_regions.region("eu-west-2") is None  # a real Region whose zones the table does not list

    def body():
        import pulumi_aws as aws

        azs = aws.get_availability_zones_output(state="available")
        for i in range(3):
            aws.ec2.Subnet(f"s{i}", vpc_id="vpc-1", cidr_block=f"10.0.{i}.0/24", availability_zone=azs.names[i])

    zones = [r.inputs["availabilityZone"] for r in sorted(run_program(body).resources, key=lambda r: r.name)]
    assert zones == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    zones = [r.inputs["availabilityZone"] for r in run_program(body, region="eu-west-2").resources]
    assert zones == ["[unknown]"] * 3  # never invented


def test_a_plan_in_a_region_without_zones_says_they_are_unknown(plan_with_edited_config, tmp_path):
    import yaml

    from platformctl.engine import run_plan

    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["aws:region"] = "eu-west-2"
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(doc))
    plan = run_plan("dev", path, ROOT)
    assert any(
        w.startswith("the Availability Zones of eu-west-2 are not in components/aws_regions.py") for w in plan.warnings
    )
    subnets = [r for r in plan.resources if r.type == "aws:ec2/subnet:Subnet"]
    assert subnets and all(s.inputs["availabilityZone"] == "[unknown]" for s in subnets)


def test_az_count_above_the_regions_zones_is_a_config_error(plan_with_edited_config):
    code, lines = plan_with_edited_config("dev", lambda c: c["platform:network"].update({"azCount": 5}))
    assert code == 2
    assert lines == [
        "platform:network.azCount: eu-west-1 has 3 Availability Zones (eu-west-1a, eu-west-1b, eu-west-1c) (got 5)"
    ]
