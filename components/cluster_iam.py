"""IAM and KMS documents of the cluster and its nodes, as pure functions (dicts), unit-tested directly.

Rules (as in components.iam): no `"Action": "*"`, no `"Resource": "*"` unless AWS offers no resource-level
scoping (then a comment says so; in a key policy `"*"` means "this key"), and conditions that pin the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components import aws_partitions
from components.iam import key_admin_statement

Doc = dict[str, Any]

# EKS access policies (arn:<partition>:eks::aws:cluster-access-policy/<name>).
ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "AmazonEKSViewPolicy"
EDIT_POLICY = "AmazonEKSEditPolicy"
# Cluster-wide read access including Secrets (AmazonEKSViewPolicy excludes them): what refreshing the platform's
# Secret objects needs. Listed by `aws eks list-access-policies` (EKS User Guide, "Review access policy permissions").
ADMIN_VIEW_POLICY = "AmazonEKSAdminViewPolicy"

# What nodes need and nothing more: join the cluster, pull images, be reachable through SSM (no SSH).
# The VPC CNI's permissions (AmazonEKS_CNI_Policy) are on the CNI's own Pod Identity role, not here.
NODE_MANAGED_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
)
CNI_MANAGED_POLICY = "AmazonEKS_CNI_Policy"


def partition_of(region: str) -> str:
    """The AWS partition of a region (aws, aws-cn, aws-us-gov, ...), from the AWS SDK's partition data."""
    known = aws_partitions.region(region)
    if known is None:
        raise ValueError(f"{region!r} is not an AWS Region ({aws_partitions.source()})")
    return known.partition


def dns_suffix(partition: str) -> str:
    return aws_partitions.dns_suffix(partition)


def managed_policy_arn(name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def access_policy_arn(name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:eks::aws:cluster-access-policy/{name}"


def cluster_arn(partition: str, region: str, account_id: str, cluster_name: str) -> str:
    return f"arn:{partition}:eks:{region}:{account_id}:cluster/{cluster_name}"


def ec2_trust_policy(partition: str = "aws") -> Doc:
    """Trust policy of a node role: EC2 instances (through their instance profile) assume it.

    EC2 passes no aws:SourceAccount/SourceArn when an instance assumes its profile's role, so no condition can
    pin it; who may launch instances with the role is limited by iam:PassRole instead."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EC2AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": f"ec2.{dns_suffix(partition)}"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def pod_identity_trust_policy(cluster_arn_: str, namespace: str, service_account: str | Sequence[str]) -> Doc:
    """Trust policy of an EKS Pod Identity role: only this cluster's `namespace/service_account` may assume it.

    EKS Pod Identity adds session tags (eks-cluster-arn, kubernetes-namespace, kubernetes-service-account) to
    the AssumeRole request, so the trust policy pins all three, plus the cluster's account (confused-deputy
    guard; the account is the cluster ARN's). The one trust policy of every Pod Identity role in the stack."""
    account_id = cluster_arn_.split(":")[4]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EksPodIdentity",
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        "aws:SourceAccount": account_id,
                        "aws:RequestTag/eks-cluster-arn": cluster_arn_,
                        "aws:RequestTag/kubernetes-namespace": namespace,
                        # Several service accounts: a list in StringEquals matches any of them.
                        "aws:RequestTag/kubernetes-service-account": (
                            service_account if isinstance(service_account, str) else sorted(service_account)
                        ),
                    },
                },
            }
        ],
    }


def irsa_trust_policy(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> Doc:
    """Trust policy of an IRSA role (for charts without Pod Identity support): one service account only.

    `oidc_issuer` is the issuer without https:// (e.g. oidc.eks.eu-west-1.amazonaws.com/id/ABC)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Irsa",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{oidc_issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{oidc_issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def secrets_key_policy(account_id: str, partition: str = "aws") -> Doc:
    """Key policy of the key that envelope-encrypts Kubernetes secrets.

    Only the account administers it; EKS uses it through the grant it creates when the cluster is created
    (with the creator's kms:CreateGrant), so no service statement is needed."""
    return {"Version": "2012-10-17", "Statement": [key_admin_statement(account_id, partition)]}


def node_volume_key_policy(account_id: str, region: str, partition: str = "aws") -> Doc:
    """Key policy of the key that encrypts node root volumes (managed node groups and Karpenter nodes).

    Managed node groups launch through EC2 Auto Scaling, whose service-linked role must use the key and create
    grants for the volumes it attaches. Karpenter launches with its own role, granted in its IAM policy."""
    autoscaling_role = (
        f"arn:{partition}:iam::{account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            key_admin_statement(account_id, partition),
            {
                "Sid": "AutoScalingUsesKeyForVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling_role},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",  # in a key policy "*" means "this key"
            },
            {
                "Sid": "AutoScalingGrantsForAttachedVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling_role},
                "Action": "kms:CreateGrant",
                "Resource": "*",  # in a key policy "*" means "this key"
                "Condition": {
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                    "StringEquals": {"kms:ViaService": f"ec2.{region}.{dns_suffix(partition)}"},
                },
            },
        ],
    }


def team_group(team: str) -> str:
    """The Kubernetes group of a team's people (bound to `edit` by platform/teams)."""
    return f"team:{team}"


def access_entries(
    admin_role_arns: list[str],
    read_only_role_arns: list[str],
    teams: list[tuple[str, str, list[str]]],
    partition: str = "aws",
) -> dict[str, dict[str, Any]]:
    """EKS access entries from the config: name -> {principalArn, accessPolicies: {name: {policyArn, scope}}}.

    Admins get cluster-wide admin, read-only roles cluster-wide view, each team `edit` in its namespaces only.
    `teams` are (name, role ARN, namespaces). Plain data: the Cluster component turns it into pulumi-eks args."""
    out: dict[str, dict[str, Any]] = {}

    def entry(principal: str, policy: str, scope: dict[str, Any], groups: list[str] | None = None) -> dict[str, Any]:
        out = {
            "principalArn": principal,
            "type": "STANDARD",
            "accessPolicies": {
                policy: {"policyArn": access_policy_arn(policy, partition), "accessScope": scope},
            },
        }
        if groups:
            out["kubernetesGroups"] = groups
        return out

    for i, arn in enumerate(admin_role_arns):
        out[f"admin-{i}"] = entry(arn, ADMIN_POLICY, {"type": "cluster"})
    for i, arn in enumerate(read_only_role_arns):
        out[f"read-only-{i}"] = entry(arn, VIEW_POLICY, {"type": "cluster"})
    for name, arn, namespaces in teams:
        # The team's role also maps to the Kubernetes group `team:<name>`, which platform/teams binds to `edit` in
        # the team's namespaces: access-policy scope and RBAC agree, and teams can add finer RoleBindings.
        out[f"team-{name}"] = entry(
            arn, EDIT_POLICY, {"type": "namespace", "namespaces": list(namespaces)}, [team_group(name)]
        )
    return out
