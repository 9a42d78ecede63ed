"""`iam-policy-valid` in the running AWS pack, over the Analyzer gRPC protocol the Pulumi engine speaks.

Acceptance (issue 13): a document granting `ec2:CreateSnapshot` on `arn:aws:ec2:eu-west-1:123456789012:snapshot/*`
is a mandatory violation that names the ARN and the expected format.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platformctl.analyzer import Resource, find_packs, start_packs
from policies.rules import config as catalog

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_ARN = "arn:aws:ec2:eu-west-1:123456789012:snapshot/*"
EXPECTED_FORMAT = "arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}"


@pytest.fixture(scope="module")
def aws():
    packs = [p for p in find_packs(ROOT) if p.name == "aws"]
    started = start_packs(packs)
    yield started[0]
    for p in started:
        p.close()


def policy_resource(type_: str, name: str, props: dict) -> Resource:
    return Resource(type=type_, name=name, urn=f"urn:pulumi:test::eks-platform::{type_}::{name}", properties=props)


def snapshot_grant() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Snapshot", "Effect": "Allow", "Action": "ec2:CreateSnapshot", "Resource": SNAPSHOT_ARN}
            ],
        }
    )


def test_snapshot_arn_with_an_account_is_a_mandatory_violation(aws):
    assert aws.name == catalog.AWS_PACK
    aws.configure(catalog.for_pack(catalog.load_config_file(ROOT / "policies/config/prod.json"), aws.policy_names))
    diags = aws.analyze(policy_resource("aws:iam/rolePolicy:RolePolicy", "snap", {"policy": snapshot_grant()}))
    found = [d for d in diags if d.policy == "iam-policy-valid"]
    arn_format = [d for d in found if "[resource-arn-format]" in d.message]
    assert arn_format and all(d.level == "mandatory" for d in found)
    message = arn_format[0].message
    assert "Statement[0] (Snapshot)" in message and "ec2:CreateSnapshot" in message
    assert f'"{SNAPSHOT_ARN}"' in message
    assert EXPECTED_FORMAT in message and "the account field must be empty" in message


def test_the_default_level_is_mandatory_and_a_valid_document_passes(aws):
    aws.configure({})
    good = json.loads(snapshot_grant())
    good["Statement"][0]["Resource"] = [
        "arn:aws:ec2:eu-west-1::snapshot/*",
        "arn:aws:ec2:eu-west-1:123456789012:volume/*",
    ]
    diags = aws.analyze(policy_resource("aws:iam/policy:Policy", "good", {"policy": json.dumps(good)}))
    assert [d for d in diags if d.policy == "iam-policy-valid"] == []
    bad = aws.analyze(policy_resource("aws:iam/policy:Policy", "bad", {"policy": snapshot_grant()}))
    assert {d.level for d in bad if d.policy == "iam-policy-valid"} == {"mandatory"}


def test_trust_key_and_queue_policies_are_judged(aws):
    aws.configure({})
    broken = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMesage"}
            ],
        }
    )
    for type_, field in (
        ("aws:iam/role:Role", "assumeRolePolicy"),
        ("aws:kms/key:Key", "policy"),
        ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
        ("aws:ecr/repositoryPolicy:RepositoryPolicy", "policy"),
        ("aws:s3/bucketPolicy:BucketPolicy", "policy"),
    ):
        diags = aws.analyze(policy_resource(type_, f"r-{field}-{type_.rsplit(':', 1)[1]}", {field: broken}))
        assert any("`sqs:SendMesage`" in d.message for d in diags if d.policy == "iam-policy-valid"), type_
