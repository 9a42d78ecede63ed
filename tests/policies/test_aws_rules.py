"""AWS rules (policies/rules/{tags,encryption,hardening}.py) as pure functions, plus the policy catalog/config.

The case catalog tests/fixtures/policy/aws_cases.yaml holds a compliant and a violating resource for every
policy; test_packs_grpc.py replays the same cases through the running pack.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from policies.rules import config as catalog
from policies.rules import encryption, hardening, iam_valid, tags
from policies.rules.values import UNKNOWN, Finding, StackResource, plain, show, truthy

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "policy"
CASES = yaml.safe_load((FIXTURES / "aws_cases.yaml").read_text())["cases"]
RULES = {**tags.RULES, **encryption.RULES, **hardening.RULES, **iam_valid.RULES}
KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def run_case(case: dict) -> list[str]:
    return RULES[case["policy"]](case["type"], plain(case["props"]), case.get("config"))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    messages = run_case(case)
    if case["expect"] == "pass":
        assert messages == [], messages
    else:
        assert messages, f"{case['id']}: expected a violation"
        assert any(case["contains"] in m for m in messages), messages


def test_every_aws_resource_policy_has_a_passing_and_a_failing_case():
    for name in RULES:
        verdicts = {c["expect"] for c in CASES if c["policy"] == name}
        assert verdicts == {"pass", "fail"}, f"{name}: cases {verdicts}"


def test_case_ids_are_unique():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))


def test_every_aws_policy_has_a_rule_and_a_pack():
    aws = {p.name for p in catalog.pack_policies(catalog.AWS_PACK)}
    assert aws == set(RULES) | set(encryption.STACK_RULES)


# ----------------------------------------------------------------------------------------------- s3 (stack)


def bucket(urn: str, name: str | None = None, **props) -> StackResource:
    if name:
        props["bucket"] = name
    return StackResource("aws:s3/bucket:Bucket", urn, urn.rsplit("::", 1)[-1], props)


def sse(urn: str, bucket_urn: str | None = None, bucket_name=None, algorithm="aws:kms") -> StackResource:
    props = {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm, "kmsMasterKeyId": KEY}}]}
    if bucket_name is not None:
        props["bucket"] = bucket_name
    deps = {"bucket": [bucket_urn]} if bucket_urn else {}
    return StackResource(encryption.S3_SSE_TYPES[0], urn, "sse", props, property_dependencies=deps)


def test_s3_bucket_covered_through_property_dependency():
    assert encryption.check_s3_buckets([bucket("urn:b1"), sse("urn:s1", bucket_urn="urn:b1")]) == []


def test_s3_bucket_covered_by_name():
    assert encryption.check_s3_buckets([bucket("urn:b1", "logs"), sse("urn:s1", bucket_name="logs")]) == []


def test_s3_bucket_without_encryption_configuration():
    found = encryption.check_s3_buckets([bucket("urn:b1"), bucket("urn:b2"), sse("urn:s1", bucket_urn="urn:b2")])
    assert [f.urn for f in found] == ["urn:b1"]
    assert "BucketServerSideEncryptionConfiguration" in found[0].message


def test_s3_non_kms_configuration_reported_once_on_the_configuration():
    resources = [bucket("urn:b1"), sse("urn:s1", bucket_urn="urn:b1", algorithm="AES256")]
    assert encryption.check_s3_buckets(resources) == []  # covered: the config itself is what is wrong
    assert encryption.check_encryption(resources[1].type, resources[1].props)


def test_s3_inline_configuration():
    inline = {"rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}}
    found = encryption.check_s3_buckets([bucket("urn:b1", serverSideEncryptionConfiguration=inline)])
    assert found == [Finding("urn:b1", found[0].message)] and "AES256" in found[0].message


def test_s3_without_cmk_requirement():
    assert encryption.check_s3_buckets([bucket("urn:b1")], {"requireCustomerManagedKey": False}) == []


# ----------------------------------------------------------------------------------------------- values


def test_plain_marks_unknowns_and_unwraps_mappings():
    from types import MappingProxyType

    raw = MappingProxyType({"a": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "b": [{"c": 1.0}]})
    assert plain(raw) == {"a": UNKNOWN, "b": [{"c": 1.0}]}


def test_plain_through_the_policy_sdk_proxy():
    from pulumi_policy.proxy import unknown_checking_proxy

    proxied = unknown_checking_proxy({"kmsKeyId": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "x": [{"y": True}]})
    assert plain(proxied) == {"kmsKeyId": UNKNOWN, "x": [{"y": True}]}


@pytest.mark.parametrize(
    ("raw", "want"), [(True, True), ("true", True), ("false", False), (None, None), (UNKNOWN, None)]
)
def test_truthy(raw, want):
    assert truthy(raw) is want


def test_show_renders_protobuf_numbers_as_integers():
    assert show(2.0) == "2" and show("x") == "'x'"


def test_numbers_arrive_as_floats_over_the_wire():
    props = {"ingress": [{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}]}
    assert hardening.check_security_group("aws:ec2/securityGroup:SecurityGroup", props)


# ----------------------------------------------------------------------------------------------- config


def test_resolve_fills_defaults_and_coerces_integral_floats():
    assert catalog.resolve("rds-hardening", {"minBackupRetentionDays": 7.0}) == {
        "requireDeletionProtection": False,
        "minBackupRetentionDays": 7,
    }


def test_resolve_rejects_unknown_and_wrong_values():
    with pytest.raises(catalog.PolicyConfigError) as exc:
        catalog.resolve("pod-security-standards", {"level": "strict", "versoin": "v1.30", "version": "1.30"})
    text = str(exc.value)
    assert "pod-security-standards.level: must be one of" in text
    assert "pod-security-standards.versoin: unknown property" in text
    assert "pod-security-standards.version: must match" in text


def test_bad_config_reaches_the_rule_as_an_error():
    with pytest.raises(catalog.PolicyConfigError):
        hardening.check_imdsv2("aws:ec2/launchTemplate:LaunchTemplate", {}, {"maxHopLimit": 0})


POLICY_CONFIGS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "policies" / "config").glob("*.json"))


@pytest.mark.parametrize("stack", POLICY_CONFIGS)
def test_shipped_policy_configs_are_valid_and_complete(project_root, stack):
    config = catalog.load_config_file(project_root / "policies" / "config" / f"{stack}.json")
    assert set(config) == set(catalog.POLICIES)
    levels = {entry["enforcementLevel"] for entry in config.values()}
    path = project_root / f"Pulumi.{stack}.yaml"
    if not path.is_file():  # a fleet's global stack: global/Pulumi.<stack>.yaml, `global:` keys (docs/fleets.md)
        path = project_root / "global" / f"Pulumi.{stack}.yaml"
    config_map = yaml.safe_load(path.read_text())["config"]
    environment = config_map.get("platform:environment") or config_map["global:environment"]
    if not environment.get("production"):
        assert levels == {"advisory"}
    else:
        assert config["rds-hardening"]["requireDeletionProtection"] is True
        assert config["rds-hardening"]["minBackupRetentionDays"] >= 7
        assert all(config[n]["enforcementLevel"] == "mandatory" for n in catalog.POLICIES if n != "workload-resources")


def test_load_config_file_reports_every_problem(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"nope": {"enforcementLevel": "mandatory"}, "kms-key-rotation": {}}))
    with pytest.raises(catalog.PolicyConfigError) as exc:
        catalog.load_config_file(path)
    assert exc.value.lines == [
        f"{path}: nope: unknown policy (known: {', '.join(catalog.POLICIES)})",
        f'{path}: kms-key-rotation.enforcementLevel: missing; set one of "advisory", "mandatory", "disabled"',
    ]
    path.write_text("{not json")
    with pytest.raises(catalog.PolicyConfigError, match="not valid JSON"):
        catalog.load_config_file(path)


def test_for_pack_applies_all_then_policy_entries():
    names = ["kms-key-rotation", "rds-hardening"]
    config = {"all": {"enforcementLevel": "advisory"}, "rds-hardening": {"enforcementLevel": "mandatory"}}
    assert catalog.for_pack(config, names) == {
        "kms-key-rotation": {"enforcementLevel": "advisory"},
        "rds-hardening": {
            "enforcementLevel": "mandatory",
            "requireDeletionProtection": False,
            "minBackupRetentionDays": 0,
        },
    }


def test_readme_documents_every_policy(project_root):
    readme = (project_root / "policies" / "README.md").read_text()
    missing = [name for name in catalog.POLICIES if f"`{name}`" not in readme]
    assert missing == []


# ----------------------------------------------------------------------------------------------- remote components

REMOTE_COMPONENTS = (
    "eks:index:Cluster",
    "eks:index:ManagedNodeGroup",
    "eks:index:NodeGroup",
    "eks:index:NodeGroupV2",
    "kubernetes:helm.sh/v4:Chart",
)


@pytest.mark.parametrize("type_token", REMOTE_COMPONENTS)
def test_no_rule_fires_on_a_remote_components_empty_inputs(type_token):
    """A real preview hands analyzers a remote component with no inputs (its provider registers the resources that
    are judged): no rule may fail it for what it cannot see."""
    for name, rule in RULES.items():
        assert rule(type_token, {}, None) == [], name
