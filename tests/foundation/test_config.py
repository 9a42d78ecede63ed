"""Stack config validation: every problem one line, `platform:<section>.<path>: <what> (got <value>)`, exit 2."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from components.config import ConfigError, load_stack_config, read_stack_file, validate

ROOT = Path(__file__).resolve().parents[2]
DEV = read_stack_file(ROOT / "Pulumi.dev.yaml")
PROD = read_stack_file(ROOT / "Pulumi.prod.yaml")


def problems(base: dict, mutate: Callable[[dict], None], stack: str = "dev") -> list[str]:
    values = copy.deepcopy(base)
    mutate(values)
    with pytest.raises(ConfigError) as info:
        validate(values, stack)
    return info.value.lines


def setp(path: str, value):
    """Mutation setting `platform:section.a.b` (or `[i]` list items) to value."""

    def mutate(values: dict) -> None:
        key, _, rest = path.partition(".")
        if "[" in key:
            key, idx = key[:-1].split("[")
            target = values[key][int(idx)]
        else:
            target = values.setdefault(key, {})
        parts = rest.split(".") if rest else []
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        if parts:
            target[parts[-1]] = value
        else:
            values[key] = value

    return mutate


def drop(path: str):
    def mutate(values: dict) -> None:
        key, _, rest = path.partition(".")
        if not rest:
            del values[key]
            return
        target = values[key]
        parts = rest.split(".")
        for part in parts[:-1]:
            target = target[part]
        del target[parts[-1]]

    return mutate


def test_the_shipped_stacks_are_valid():
    dev = load_stack_config("dev", project_dir=ROOT)
    prod = load_stack_config("prod", project_dir=ROOT)
    assert not dev.production and prod.production
    assert dev.tags == {"environment": "dev", "managed-by": "pulumi", "team": "platform", "cost-center": "CC-0042"}
    assert load_stack_config("org/eks-platform/prod", project_dir=ROOT).stack == "prod"


def test_dev_and_prod_differ_where_they_should():
    dev = load_stack_config("dev", project_dir=ROOT)
    prod = load_stack_config("prod", project_dir=ROOT)
    assert (dev.network.nat_gateways, prod.network.nat_gateways) == ("single", "perAz")
    assert dev.network.az_count == 2 and prod.network.az_count == 3
    assert prod.cluster.deletion_protection and not prod.cluster.endpoint.public_access


BAD_DEV = [
    # unknown keys, at every depth, with a hint
    (
        setp("platform:network.vpcCidrr", "10.0.0.0/16"),
        ["platform:network.vpcCidrr: unknown key; did you mean 'vpcCidr'? (got \"10.0.0.0/16\")"],
    ),
    (setp("platform:netwrok", {}), ["platform:netwrok: unknown key; did you mean 'platform:network'? (got {})"]),
    (
        setp("platform:network.flowLogs.retentionDay", 3),
        ["platform:network.flowLogs.retentionDay: unknown key; did you mean 'retentionDays'? (got 3)"],
    ),
    (
        setp("platform:nodePools[0].minsize", 1),
        ["platform:nodePools[0].minsize: unknown key; did you mean 'minSize'? (got 1)"],
    ),
    (
        setp("other:key", "x"),
        ["other:key: unknown config namespace 'other'; settings belong under 'platform:' (got \"x\")"],
    ),
    # CIDRs
    (
        setp("platform:network.vpcCidr", "10.0.0.0/33"),
        [
            "platform:network.vpcCidr: not a valid IPv4 CIDR: '10.0.0.0/33' does not appear to be an IPv4 or IPv6 "
            'network (got "10.0.0.0/33")'
        ],
    ),
    (
        setp("platform:network.vpcCidr", "10.0.0.1/16"),
        ['platform:network.vpcCidr: not a valid IPv4 CIDR: 10.0.0.1/16 has host bits set (got "10.0.0.1/16")'],
    ),
    (
        setp("platform:network.vpcCidr", "10.0.0.0/24"),
        [
            "platform:network.vpcCidr: the VPC must be between /16 and /22 (EKS needs room for pod IPs) "
            '(got "10.0.0.0/24")'
        ],
    ),
    (
        setp("platform:cluster.serviceIpv4Cidr", "10.20.0.0/16"),
        ['platform:cluster.serviceIpv4Cidr: overlaps the VPC CIDR 10.20.0.0/16 (got "10.20.0.0/16")'],
    ),
    (
        lambda v: v["platform:network"].update(
            publicSubnetCidrs=["10.20.128.0/24", "10.20.129.0/24"], privateSubnetCidrs=["10.20.0.0/18", "10.99.0.0/18"]
        ),
        ['platform:network.privateSubnetCidrs[1]: does not fit in vpcCidr 10.20.0.0/16 (got "10.99.0.0/18")'],
    ),
    (
        lambda v: v["platform:network"].update(
            publicSubnetCidrs=["10.20.0.0/24", "10.20.129.0/24"], privateSubnetCidrs=["10.20.0.0/18", "10.20.64.0/18"]
        ),
        ['platform:network.privateSubnetCidrs[0]: overlaps publicSubnetCidrs[0] (10.20.0.0/24) (got "10.20.0.0/18")'],
    ),
    (
        lambda v: v["platform:network"].update(publicSubnetCidrs=["10.20.128.0/24"]),
        [
            "platform:network.privateSubnetCidrs: must be given together with publicSubnetCidrs (or leave both out to "
            "compute them)",
            'platform:network.publicSubnetCidrs: needs exactly one CIDR per AZ (azCount=2) (got ["10.20.128.0/24"])',
        ],
    ),
    # counts and ranges
    (
        setp("platform:network.azCount", 7),
        ["platform:network.azCount: input should be less than or equal to 6 (got 7)"],
    ),
    (
        setp("platform:network.azCount", 1),
        ["platform:network.azCount: input should be greater than or equal to 2 (got 1)"],
    ),
    (setp("platform:network.azCount", "3"), ['platform:network.azCount: input should be a valid integer (got "3")']),
    (
        setp("platform:network.natGateways", "none"),
        ["platform:network.natGateways: input should be 'single' or 'perAz' (got \"none\")"],
    ),
    # node pools
    (
        setp("platform:nodePools[0].minSize", 5),
        [
            "platform:nodePools[0].minSize: must be <= maxSize (2) (got 5)",
            "platform:nodePools[0].desiredSize: must be >= minSize (5) (got 1)",
        ],
    ),
    (
        setp("platform:nodePools[1].desiredSize", 9),
        ["platform:nodePools[1].desiredSize: must be <= maxSize (5) (got 9)"],
    ),
    (
        setp("platform:nodePools[1].instanceTypes", ["m7ilarge"]),
        [
            "platform:nodePools[1].instanceTypes: 'm7ilarge' is not an EC2 instance type of the form family.size "
            '(e.g. m7i.large) (got ["m7ilarge"])'
        ],
    ),
    (
        setp("platform:nodePools[1].capacityType", "spot"),
        ["platform:nodePools[1].capacityType: input should be 'ON_DEMAND' or 'SPOT' (got \"spot\")"],
    ),
    (
        setp("platform:nodePools[1].name", "system"),
        [
            'platform:nodePools[1].name: is used by another pool (got "system")',
            "platform:nodePools[1].capacityType: the system pool must be ON_DEMAND (it runs cluster add-ons) "
            '(got "SPOT")',
        ],
    ),
    (
        setp("platform:nodePools[0].capacityType", "SPOT"),
        [
            "platform:nodePools[0].capacityType: the system pool must be ON_DEMAND (it runs cluster add-ons) "
            '(got "SPOT")'
        ],
    ),
    (
        setp("platform:nodePools[1].taints", [{"key": "a", "effect": "NoSchedul"}]),
        [
            "platform:nodePools[1].taints[0].effect: input should be 'NoSchedule', 'PreferNoSchedule' or 'NoExecute' "
            '(got "NoSchedul")'
        ],
    ),
    (
        setp("platform:nodePools", []),
        ["platform:nodePools: list should have at least 1 item after validation, not 0 (got [])"],
    ),
    # cluster
    (
        setp("platform:cluster.version", 1.35),
        [
            "platform:cluster.version: input should be '1.32', '1.33', '1.34', '1.35' or '1.36'; quote it in YAML "
            "(a bare 1.30 is the number 1.3) (got 1.35)"
        ],
    ),
    (
        setp("platform:cluster.version", "1.20"),
        ["platform:cluster.version: input should be '1.32', '1.33', '1.34', '1.35' or '1.36' (got \"1.20\")"],
    ),
    (
        setp("platform:cluster.endpoint.publicAccessCidrs", []),
        [
            "platform:cluster.endpoint.publicAccessCidrs: must list the CIDRs allowed to reach the public endpoint "
            "(an empty list means 0.0.0.0/0) (got [])"
        ],
    ),
    # tags, region, environment
    (drop("platform:tags.team"), ['platform:tags: missing required tag(s): team (got {"cost-center": "CC-0042"})']),
    (
        setp("platform:tags.team", " "),
        ['platform:tags: tag \'team\' has an empty value (got {"cost-center": "CC-0042", "team": " "})'],
    ),
    (setp("aws:region", "Europe"), ['aws:region: is not an AWS region name like eu-west-1 (got "Europe")']),
    (drop("aws:region"), ["aws:region: is required (e.g. eu-west-1)"]),
    (drop("platform:environment"), ["platform:environment: is required"]),
    (
        setp("platform:environment.production", "yes"),
        [
            "platform:environment.production: input should be a valid boolean; write true or false "
            '(the Pulumi CLI reads YAML 1.2: yes/no/on/off are strings) (got "yes")'
        ],
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), BAD_DEV, ids=[f"dev-{i}" for i in range(len(BAD_DEV))])
def test_bad_dev_config_lines(mutate, expected):
    assert problems(DEV, mutate) == expected


BAD_PROD = [
    (setp("platform:network.azCount", 2), ["platform:network.azCount: must be at least 3 in production (got 2)"]),
    (
        setp("platform:network.natGateways", "single"),
        ["platform:network.natGateways: must be 'perAz' in production (one NAT gateway per AZ) (got \"single\")"],
    ),
    (
        setp("platform:cluster.endpoint", {"publicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}),
        [
            "platform:cluster.endpoint.publicAccessCidrs[0]: the public endpoint must not be open to the whole "
            'internet in production (got "0.0.0.0/0")'
        ],
    ),
    (
        setp("platform:cluster.deletionProtection", False),
        ["platform:cluster.deletionProtection: must be true in production (got false)"],
    ),
    (
        setp("platform:nodePools[0].minSize", 1),
        ["platform:nodePools[0].minSize: the system pool needs at least 2 nodes in production (got 1)"],
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), BAD_PROD, ids=[f"prod-{i}" for i in range(len(BAD_PROD))])
def test_bad_prod_config_lines(mutate, expected):
    assert problems(PROD, mutate, "prod") == expected


def test_every_problem_is_reported_at_once():
    def many(v):
        v["platform:network"]["vpcCidrr"] = "x"
        v["platform:nodePools"][0]["minSize"] = 9
        v["aws:region"] = "nowhere"

    lines = problems(DEV, many)
    assert len(lines) >= 2
    assert any(line.startswith("platform:network.vpcCidrr") for line in lines)
    assert any(line.startswith("aws:region") for line in lines)


def test_secret_keys_must_be_secret_and_sections_must_not(tmp_path):
    lines = problems(DEV, setp("platform:gitopsRepoToken", "plaintext"))
    assert lines == [
        "platform:gitopsRepoToken: must be a secret: set it with "
        "`pulumi config set --secret platform:gitopsRepoToken <value>`"
    ]
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["platform:gitopsRepoToken"] = {"secure": "v1:abc"}
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(doc))
    cfg = load_stack_config("dev", path, project_dir=ROOT)
    assert "gitopsRepoToken" in cfg.secrets and cfg.secrets["gitopsRepoToken"].plaintext is None


def test_yaml_syntax_errors_are_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("config:\n  platform:network: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_stack_config("dev", path, project_dir=ROOT)
    assert len(info.value.lines) == 1 and info.value.lines[0].startswith(f"{path}:3: is not valid YAML: ")


def test_missing_stack_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_stack_config("qa", project_dir=tmp_path)
    assert info.value.lines == [f"{tmp_path / 'Pulumi.qa.yaml'}: stack config file not found"]
