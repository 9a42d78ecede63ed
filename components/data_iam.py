"""Policy documents of the data components (database, registries, build access) as pure functions (dicts).

Same rules as components/iam.py: no `"Action": "*"`, `"Resource": "*"` only where AWS has no resource-level
scoping for an action (a comment says so), and conditions that pin the caller where AWS supports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components import naming

Doc = dict[str, Any]

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
# The audience the official aws-actions/configure-aws-credentials action requests.
STS_AUDIENCE = "sts.amazonaws.com"

# What pulling an image needs; what pushing one needs on top (docker/buildx push: layer check, upload, manifest).
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
ECR_PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)


# ---------------------------------------------------------------------------------------------- names


def repository_name(environment: str, app: str) -> str:
    """ECR repository of an application: `<environment>/<app>`, so stacks sharing an account do not collide."""
    return f"{environment}/{app}"


def database_identifier(environment: str) -> str:
    """RDS instance (or Aurora cluster) identifier: also the name in its CloudWatch log group."""
    return f"{naming.PROJECT}-{environment}-postgres"


def database_log_group(identifier: str, log_type: str, aurora: bool) -> str:
    """The log group RDS writes an exported log to (we create it first, with retention and KMS)."""
    return f"/aws/rds/{'cluster' if aurora else 'instance'}/{identifier}/{log_type}"


def push_role_name(environment: str) -> str:
    """The build role's name: predictable, so the workflow derives it from the account and environment."""
    return f"{naming.PROJECT}-{environment}-image-push"


def github_subjects(repository: str, branches: Sequence[str]) -> list[str]:
    """The `sub` claims of GitHub's OIDC tokens for workflow runs on these branches (exact, no wildcards)."""
    return [f"repo:{repository}:ref:refs/heads/{branch}" for branch in branches]


# ---------------------------------------------------------------------------------------------- build access


def github_actions_trust_policy(provider_arn: str, repository: str, branches: Sequence[str]) -> Doc:
    """Only workflow runs of `repository` on `branches` may assume the role, with tokens minted for STS.

    StringEquals (not StringLike): a pull request, another branch, a tag or a fork gets a different `sub` and is
    refused. A job that names a GitHub `environment:` gets `repo:<repo>:environment:<name>` instead and is refused
    too: keep the build job without an environment (or add that subject here deliberately).
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActionsOnConfiguredBranches",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": github_subjects(repository, branches),
                    }
                },
            }
        ],
    }


def ecr_push_policy(repository_arns: Sequence[str]) -> Doc:
    """Push (and read back) images in these repositories, and nothing else."""
    if not repository_arns:
        raise ValueError("ecr_push_policy needs at least one repository ARN")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RegistryLogin",
                "Effect": "Allow",
                "Action": ["ecr:GetAuthorizationToken"],
                # GetAuthorizationToken is account-wide: IAM offers no resource-level scoping for it. The token
                # alone grants nothing; what it may do is the next statement.
                "Resource": "*",
            },
            {
                "Sid": "PushToPlatformRepositories",
                "Effect": "Allow",
                "Action": list(ECR_PUSH_ACTIONS),
                "Resource": sorted(repository_arns),
            },
        ],
    }


# ---------------------------------------------------------------------------------------------- registries


def ecr_repository_policy(account_id: str, puller_arns: Sequence[str], partition: str = "aws") -> Doc:
    """Pulls by this account's nodes; nobody outside the account, whatever their own policies say.

    `puller_arns`: the node roles (managed node groups, Karpenter). Without them (no cluster yet) the account
    itself is named, which leaves pulls to IAM policies inside the account. The deny is AWS's data-perimeter
    pattern: AWS services acting for us (no principal account) are not caught by it.
    """
    principals = sorted(puller_arns) or [f"arn:{partition}:iam::{account_id}:root"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NodesPull",
                "Effect": "Allow",
                "Principal": {"AWS": principals},
                "Action": list(ECR_PULL_ACTIONS),
            },
            {
                "Sid": "NoPullsFromOtherAccounts",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(ECR_PULL_ACTIONS),
                "Condition": {
                    "StringNotEqualsIfExists": {"aws:PrincipalAccount": account_id},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            },
        ],
    }


def ecr_lifecycle_policy(keep_tagged_releases: int, expire_untagged_days: int) -> Doc:
    """Expire untagged images after N days; keep the newest M tagged images (releases)."""
    if keep_tagged_releases < 1 or expire_untagged_days < 1:
        raise ValueError("keep_tagged_releases and expire_untagged_days must be at least 1")
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {expire_untagged_days} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": expire_untagged_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the {keep_tagged_releases} newest tagged images",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_tagged_releases,
                },
                "action": {"type": "expire"},
            },
        ]
    }


# ---------------------------------------------------------------------------------------------- secrets


def secret_read_policy(secret_arns: Sequence[str], kms_key_arns: Sequence[str], region: str) -> Doc:
    """Read exactly these Secrets Manager secrets, decrypting with their KMS keys only through Secrets Manager.

    For the External Secrets role that materialises the RDS-managed master secret in the cluster.
    """
    if not secret_arns or not kms_key_arns:
        raise ValueError("secret_read_policy needs the secret ARNs and their KMS key ARNs")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadDatabaseSecret",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": sorted(secret_arns),
            },
            {
                "Sid": "DecryptDatabaseSecret",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": sorted(kms_key_arns),
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
            },
        ],
    }


# EKS Pod Identity sessions carry transitive session tags (cluster, namespace, service account) into any role they
# assume next: the chained AssumeRole passes them, which needs sts:TagSession as well.
ROLE_CHAIN_ACTIONS = ("sts:AssumeRole", "sts:TagSession")


def assumable_by(principal_role_arn: str) -> Doc:
    """Trust policy: exactly one role (the External Secrets controller's) may assume this one."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AssumedByOneRole",
                "Effect": "Allow",
                "Principal": {"AWS": principal_role_arn},
                "Action": list(ROLE_CHAIN_ACTIONS),
            }
        ],
    }


def assume_policy(role_arns: Sequence[str]) -> Doc:
    """Identity policy: may assume exactly these roles."""
    if not role_arns:
        raise ValueError("assume_policy needs the role ARNs")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AssumeRoles", "Effect": "Allow", "Action": list(ROLE_CHAIN_ACTIONS), "Resource": sorted(role_arns)}
        ],
    }


def secret_reader_role_name(environment: str) -> str:
    return f"{naming.PROJECT}-{environment}-db-secret-reader"
