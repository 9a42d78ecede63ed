"""Policy documents of the data components (components/data_iam.py), tested as plain dicts."""

from __future__ import annotations

import pytest

from components import data_iam
from policies.rules.hardening import admin_statements

PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
REPOS = [
    "arn:aws:ecr:eu-west-1:123456789012:repository/dev/frontend",
    "arn:aws:ecr:eu-west-1:123456789012:repository/dev/api",
]


def statement(doc: dict, sid: str) -> dict:
    return next(s for s in doc["Statement"] if s.get("Sid") == sid)


# ---------------------------------------------------------------------------------------------- OIDC trust


def test_trust_policy_pins_exact_repository_branches_and_audience():
    doc = data_iam.github_actions_trust_policy(PROVIDER, "example-org/eks-platform", ["main", "release"])
    [st] = doc["Statement"]
    assert st["Effect"] == "Allow"
    assert st["Principal"] == {"Federated": PROVIDER}
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    # Exact match only: no StringLike (wildcards), nothing but the two claims.
    assert set(st["Condition"]) == {"StringEquals"}
    assert st["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": [
            "repo:example-org/eks-platform:ref:refs/heads/main",
            "repo:example-org/eks-platform:ref:refs/heads/release",
        ],
    }


@pytest.mark.parametrize(
    "subject",
    [
        "repo:example-org/eks-platform:pull_request",
        "repo:example-org/eks-platform:ref:refs/heads/feature",
        "repo:example-org/eks-platform:ref:refs/tags/v1.0.0",
        "repo:example-org/eks-platform:environment:prod",
        "repo:someone/eks-platform:ref:refs/heads/main",
        "repo:example-org/eks-platform-fork:ref:refs/heads/main",
    ],
)
def test_other_subjects_are_not_trusted(subject):
    doc = data_iam.github_actions_trust_policy(PROVIDER, "example-org/eks-platform", ["main"])
    assert subject not in doc["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert not any("*" in s for s in data_iam.github_subjects("example-org/eks-platform", ["main"]))


# ---------------------------------------------------------------------------------------------- push policy


def test_push_policy_is_push_only_on_the_given_repositories():
    doc = data_iam.ecr_push_policy(REPOS)
    login = statement(doc, "RegistryLogin")
    assert login["Action"] == ["ecr:GetAuthorizationToken"] and login["Resource"] == "*"
    push = statement(doc, "PushToPlatformRepositories")
    assert push["Resource"] == sorted(REPOS)
    assert set(push["Action"]) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:DescribeImages",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
    }
    actions = [a for s in doc["Statement"] for a in s["Action"]]
    assert not [a for a in actions if "*" in a or not a.startswith("ecr:")]
    # Nothing destructive or administrative (no repository or policy changes, no deletes).
    assert not [a for a in actions if a.split(":")[1].startswith(("Delete", "Set", "Create", "Tag", "Untag"))]
    assert not [a for a in actions if a.startswith("ecr:Put") and a != "ecr:PutImage"]
    # The only "*" resource is the account-wide login action.
    assert [s["Sid"] for s in doc["Statement"] if s["Resource"] == "*"] == ["RegistryLogin"]
    assert admin_statements(doc) == []


def test_push_policy_needs_repositories():
    with pytest.raises(ValueError, match="at least one repository"):
        data_iam.ecr_push_policy([])


# ---------------------------------------------------------------------------------------------- registries


def test_repository_policy_allows_node_roles_and_denies_other_accounts():
    nodes = ["arn:aws:iam::123456789012:role/karpenter-node", "arn:aws:iam::123456789012:role/eks-node"]
    doc = data_iam.ecr_repository_policy("123456789012", nodes)
    allow = statement(doc, "NodesPull")
    assert allow["Principal"] == {"AWS": sorted(nodes)}
    assert set(allow["Action"]) == set(data_iam.ECR_PULL_ACTIONS)
    assert not [a for a in allow["Action"] if "Put" in a or "Upload" in a or "*" in a]
    deny = statement(doc, "NoPullsFromOtherAccounts")
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"]["StringNotEqualsIfExists"] == {"aws:PrincipalAccount": "123456789012"}
    # AWS services acting for the account (no principal account) stay unaffected.
    assert deny["Condition"]["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false"}


def test_repository_policy_without_node_roles_names_the_account():
    doc = data_iam.ecr_repository_policy("123456789012", [])
    assert statement(doc, "NodesPull")["Principal"] == {"AWS": ["arn:aws:iam::123456789012:root"]}


def test_lifecycle_policy_expires_untagged_then_keeps_n_tagged():
    doc = data_iam.ecr_lifecycle_policy(keep_tagged_releases=30, expire_untagged_days=7)
    untagged, tagged = doc["rules"]
    assert untagged["rulePriority"] < tagged["rulePriority"]
    assert untagged["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 7,
    }
    assert tagged["selection"] == {
        "tagStatus": "tagged",
        "tagPatternList": ["*"],
        "countType": "imageCountMoreThan",
        "countNumber": 30,
    }
    assert all(r["action"] == {"type": "expire"} for r in doc["rules"])
    with pytest.raises(ValueError):
        data_iam.ecr_lifecycle_policy(0, 7)


# ---------------------------------------------------------------------------------------------- secrets


def test_secret_read_policy_is_limited_to_the_secret_and_its_key():
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-abcdef"
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    doc = data_iam.secret_read_policy([secret], [key], "eu-west-1")
    read = statement(doc, "ReadDatabaseSecret")
    assert read["Resource"] == [secret]
    assert set(read["Action"]) == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    decrypt = statement(doc, "DecryptDatabaseSecret")
    assert decrypt["Resource"] == [key] and decrypt["Action"] == ["kms:Decrypt"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}
    assert not [s for s in doc["Statement"] if s["Resource"] == "*" or "*" in s["Resource"]]
    with pytest.raises(ValueError):
        data_iam.secret_read_policy([], [key], "eu-west-1")


def test_names():
    assert data_iam.repository_name("prod", "api") == "prod/api"
    assert data_iam.database_identifier("dev") == "eks-platform-dev-postgres"
    assert data_iam.database_log_group("x", "postgresql", aurora=False) == "/aws/rds/instance/x/postgresql"
    assert data_iam.database_log_group("x", "postgresql", aurora=True) == "/aws/rds/cluster/x/postgresql"
