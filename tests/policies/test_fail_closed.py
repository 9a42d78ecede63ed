"""Policies that must never pass what they exist to catch (issue #14): each fail-open case found in review is a
resource sent over gRPC with the policy mandatory, and must get a mandatory violation.
"""

from __future__ import annotations

import itertools
import json
import math

import pytest

from platformctl.analyzer import Resource

_ids = itertools.count()
PROD_REGISTRIES = ["public.ecr.aws/", "602401143452.dkr.ecr.*.amazonaws.com", "registry.k8s.io/", "quay.io/"]
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def resource(type_: str, props: dict) -> Resource:
    name = f"fc{next(_ids)}"
    return Resource(type=type_, name=name, urn=f"urn:pulumi:test::eks-platform::{type_}::{name}", properties=props)


def violations(pack, policy: str, type_: str, props: dict, **config) -> list[str]:
    pack.configure({policy: {"enforcementLevel": "mandatory", **config}})
    diags = pack.analyze(resource(type_, props))
    return [d.message for d in diags if d.policy == policy and d.level == "mandatory"]


def pod(image: str, ns: str = "t-fail-closed") -> dict:
    return {"metadata": {"name": "p", "namespace": ns}, "spec": {"containers": [{"name": "app", "image": image}]}}


# ------------------------------------------------------------------------------------------- registries


@pytest.mark.parametrize(
    "image",
    [
        "602401143452.dkr.ecr.attacker.example/eks/coredns:v1.11.1",  # the prefix "602401143452.dkr.ecr." admitted it
        "602401143452.dkr.ecr.us-west-2.amazonaws.com.attacker.example/x:1",
        "public.ecr.aws.attacker.example/x:1.0",
        "quay.io.attacker.example/org/app:1.0",
        "docker.io/library/nginx:1.27",
    ],
)
def test_registries_are_compared_as_parsed_hosts_not_prefixes(k8s, image):
    found = violations(k8s, "image-pinned", "kubernetes:core/v1:Pod", pod(image), allowedRegistries=PROD_REGISTRIES)
    assert any("is not from an allowed registry" in m for m in found), found


@pytest.mark.parametrize(
    "image",
    [
        "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/coredns:v1.11.1",
        "public.ecr.aws/acme/app:1.0",
        "quay.io/org/app@sha256:" + "a" * 64,
    ],
)
def test_allowed_registries_still_pass(k8s, image):
    found = violations(k8s, "image-pinned", "kubernetes:core/v1:Pod", pod(image), allowedRegistries=PROD_REGISTRIES)
    assert found == []


def test_a_path_entry_matches_whole_path_segments(k8s):
    config = {"allowedRegistries": ["ghcr.io/acme"]}
    assert violations(k8s, "image-pinned", "kubernetes:core/v1:Pod", pod("ghcr.io/acme/app:1"), **config) == []
    found = violations(k8s, "image-pinned", "kubernetes:core/v1:Pod", pod("ghcr.io/acme-evil/app:1"), **config)
    assert any("is not from an allowed registry" in m for m in found), found


def test_a_prefix_entry_is_a_configuration_error_not_a_pass(k8s):
    found = violations(
        k8s,
        "image-pinned",
        "kubernetes:core/v1:Pod",
        pod("602401143452.dkr.ecr.attacker.example/x:1"),
        allowedRegistries=["602401143452.dkr.ecr."],
    )
    assert found and found[0].startswith("invalid configuration for policy image-pinned"), found


# ------------------------------------------------------------------------------------------- address space

SPLIT = ["0.0.0.0/1", "128.0.0.0/1"]


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (
            "aws:ec2/securityGroup:SecurityGroup",
            {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": SPLIT}]},
        ),
        (
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": SPLIT},
        ),
        (
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/1"},
        ),
        (
            "aws:ec2/securityGroup:SecurityGroup",
            {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "ipv6CidrBlocks": ["::ffff:0:0/96"]}]},
        ),
    ],
    ids=["sg-split", "sg-rule-split", "ingress-rule-half", "ipv4-mapped-ipv6"],
)
def test_the_internet_split_in_pieces_is_still_the_internet_for_security_groups(aws, type_, props):
    found = violations(aws, "security-group-ingress", type_, props)
    assert any("opens port 22 to" in m and "of the public IPv4 internet" in m for m in found), found


@pytest.mark.parametrize(
    "props",
    [
        {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": SPLIT}},
        {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/2", "64.0.0.0/2"]}},
    ],
)
def test_the_internet_split_in_pieces_is_still_the_internet_for_the_eks_endpoint(aws, props):
    found = violations(aws, "eks-endpoint-access", "aws:eks/cluster:Cluster", props)
    assert any("opens the endpoint to" in m for m in found), found


def test_admin_ranges_are_not_the_internet(aws):
    props = {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24", "10.0.0.0/8"]}}
    assert violations(aws, "eks-endpoint-access", "aws:eks/cluster:Cluster", props) == []


def test_a_malformed_cidr_is_a_violation_not_a_pass(aws):
    props = {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/O"]}}
    found = violations(aws, "eks-endpoint-access", "aws:eks/cluster:Cluster", props)
    assert found == ["`vpcConfig.publicAccessCidrs[0]` must be a CIDR block like 203.0.113.0/24 (got '0.0.0.0/O')"]


# ------------------------------------------------------------------------------------------- admin


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize(
    ("type_", "props", "says"),
    [
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r", "policyArn": ADMIN}, "AdministratorAccess"),
        ("aws:iam/userPolicyAttachment:UserPolicyAttachment", {"user": "u", "policyArn": ADMIN}, "AdministratorAccess"),
        ("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", {"group": "g", "policyArn": ADMIN}, "full admin"),
        ("aws:iam/policyAttachment:PolicyAttachment", {"roles": ["r"], "policyArn": ADMIN}, "full admin"),
        ("aws:iam/role:Role", {"assumeRolePolicy": "{}", "managedPolicyArns": [ADMIN]}, "managedPolicyArns[0]"),
        (
            "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
            {"roleName": "r", "policyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", ADMIN]},
            "policyArns[1]",
        ),
        (
            "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
            {"managedPolicyArn": ADMIN},
            "AdministratorAccess",
        ),
        (
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            {"role": "r", "policyArn": "arn:aws-us-gov:iam::aws:policy/IAMFullAccess"},
            "IAMFullAccess",
        ),
        (
            "aws:iam/policy:Policy",
            {"policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
            "NotAction",
        ),
        (
            "aws:iam/rolePolicy:RolePolicy",
            {"policy": doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::audit/*"})},
            "NotResource",
        ),
        ("aws:iam/policy:Policy", {"policy": doc({"Effect": "Allow", "Action": "*:*", "Resource": "*"})}, "full admin"),
        (
            "aws:iam/userPolicy:UserPolicy",
            {"policy": doc({"Effect": "Allow", "Action": ["s3:GetObject", "iam:*"], "Resource": ["*"]})},
            "iam:*",
        ),
        (
            "aws:iam/groupPolicy:GroupPolicy",
            {"policy": doc({"Effect": "Allow", "Action": "I?m:*", "Resource": "arn:aws:*"})},
            "iam:*",
        ),
        ("aws:iam/policy:Policy", {"policy": doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})}, '"s3:*"'),
        (
            "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy",
            {"inlinePolicy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})},
            "inlinePolicy",
        ),
        ("aws:iam/policy:Policy", {"policy": "{not json"}, "must be an IAM policy document"),
    ],
    ids=lambda v: v if isinstance(v, str) and ":" in v and "/" in v else None,
)
def test_every_way_to_grant_admin_is_caught(aws, type_, props, says):
    found = violations(aws, "iam-no-admin-policy", type_, props)
    assert any(says in m for m in found), found


def test_scoped_policies_still_pass(aws):
    scoped = doc(
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bucket/*"},
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"},
    )
    assert violations(aws, "iam-no-admin-policy", "aws:iam/policy:Policy", {"policy": scoped}) == []
    readonly = {"role": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert violations(aws, "iam-no-admin-policy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", readonly) == []


# ------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("protocol", [-1, -1.0, "-1", "all", "ALL"])
def test_all_protocols_however_spelled(aws, protocol):
    props = {"ingress": [{"protocol": protocol, "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]}
    found = violations(aws, "security-group-ingress", "aws:ec2/securityGroup:SecurityGroup", props)
    assert any("opens all ports" in m for m in found), found


@pytest.mark.parametrize(("protocol", "port"), [("6", "22"), (6, 22.0), ("tcp", "22")])
def test_numbers_as_strings_and_floats_alike(aws, protocol, port):
    props = {"type": "ingress", "protocol": protocol, "fromPort": port, "toPort": port, "cidrBlocks": ["0.0.0.0/0"]}
    found = violations(aws, "security-group-ingress", "aws:ec2/securityGroupRule:SecurityGroupRule", props)
    assert any("opens port 22" in m for m in found), found


@pytest.mark.parametrize(
    ("policy", "type_", "props", "config"),
    [
        ("log-group-retention", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": math.nan}, {}),
        (
            "imdsv2-required",
            "aws:ec2/launchTemplate:LaunchTemplate",
            {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": math.nan}},
            {},
        ),
        (
            "rds-hardening",
            "aws:rds/instance:Instance",
            {"deletionProtection": True, "backupRetentionPeriod": math.nan},
            {"minBackupRetentionDays": 7},
        ),
        (
            "log-group-retention",
            "aws:cloudwatch/logGroup:LogGroup",
            {"retentionInDays": math.inf},
            {"minRetentionDays": 30},
        ),
        (
            "imdsv2-required",
            "aws:ec2/launchTemplate:LaunchTemplate",
            {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": "2"}},
            {},
        ),
    ],
    ids=["retention-nan", "hop-limit-nan", "backups-nan", "retention-infinity", "hop-limit-string"],
)
def test_nan_and_odd_numbers_pass_no_threshold(aws, policy, type_, props, config):
    assert violations(aws, policy, type_, props, **config), props


# ------------------------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    "tags",
    [
        [{"key": "environment", "value": "prod"}, {"key": "team", "value": "x"}],
        ["environment", "team", "cost-center", "managed-by"],
        "environment=prod",
    ],
)
def test_tags_that_are_not_a_map_are_reported(aws, tags):
    full = {"environment": "prod", "team": "platform", "cost-center": "CC-1", "managed-by": "pulumi"}
    found = violations(aws, "required-tags", "aws:ec2/vpc:Vpc", {"tags": tags, "tagsAll": full})
    assert any("`tags` must be a map of tag key to value" in m for m in found), found


def test_every_allowed_registry_has_its_reason_in_the_policies_readme():
    """policies/README.md lists every allowedRegistries entry of every stack's policy config with why it is trusted."""
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "policies" / "README.md").read_text()
    table = re.search(r"### Allowed registries, and why\n(.*?)(?:\n## |\Z)", readme, re.S)
    assert table, "policies/README.md: the 'Allowed registries, and why' table"
    reasons = dict(re.findall(r"^\| `([^`]+)` \| (.+?) \|$", table.group(1), re.M))
    entries = set()
    for path in (root / "policies" / "config").glob("*.json"):
        entries.update(json.loads(path.read_text()).get("image-pinned", {}).get("allowedRegistries", []))
    assert entries <= set(reasons), sorted(entries - set(reasons))
    assert all(len(reason) > 20 for reason in reasons.values())
