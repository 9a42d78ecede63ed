"""IAM documents of hub-and-spoke GitOps and of the fleet's registry, as pure functions (dicts), unit-tested.

The pattern is Argo CD's own for EKS ("Declarative Setup", EKS, with Pod Identity): a *management role* for the
hub's Argo CD (its application controller, ApplicationSet controller and server assume it through EKS Pod Identity)
may assume one *cluster role* per spoke; each cluster role has no permission policy, only an EKS access entry on its
spoke (AmazonEKSClusterAdminPolicy, cluster scope), and Argo CD's `argocd-k8s-auth` turns it into a token for that
spoke's API (the cluster Secret's `awsAuthConfig.roleARN`). With Pod Identity both sides need `sts:TagSession` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Doc = dict[str, Any]


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def _partition_of(arn: str) -> str:
    return arn.split(":")[1]


def hub_assume_spokes_policy(spoke_role_arns: Sequence[str]) -> Doc:
    """The management role's only permission: assume the spokes' cluster roles, exactly those."""
    if not spoke_role_arns:
        raise ValueError("no spoke role to assume")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AssumeSpokeClusterRoles",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Resource": sorted(set(spoke_role_arns)),
            }
        ],
    }


def spoke_trust_policy(hub_role_arn: str) -> Doc:
    """A spoke's cluster role: assumable by the hub's management role only.

    The principal is the hub's account, narrowed to the management role by `aws:PrincipalArn`: IAM accepts that
    before the hub's role exists (a role ARN as principal must exist when the policy is written), so a spoke can be
    created before its hub, and the trust survives the hub's role being re-created (a role principal would be
    pinned to the old role's unique ID)."""
    partition = _partition_of(hub_role_arn)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "HubArgoCd",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{_account_of(hub_role_arn)}:root"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"ArnEquals": {"aws:PrincipalArn": hub_role_arn}},
            }
        ],
    }


def replication_registry_policy(source_account: str, region: str, account: str, prefix: str, partition: str) -> Doc:
    """A spoke registry's policy when the fleet's source registry is in another account: that account may replicate
    (and create) the fleet's repositories here, nothing else. Needed for cross-account replication only (ECR User
    Guide, "Private registry policy examples": ecr:CreateRepository and ecr:ReplicateImage, the actions a registry
    policy accepts for replication)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FleetReplication",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{source_account}:root"},
                "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                "Resource": f"arn:{partition}:ecr:{region}:{account}:repository/{prefix}*",
            }
        ],
    }
