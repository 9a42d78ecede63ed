"""Karpenter's IAM and KMS documents, as pure functions (dicts), unit-tested directly.

Reference: Karpenter's getting-started CloudFormation template, aws/karpenter-provider-aws
website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml at v1.14.1, the chart
version pinned in components/versions.py (identical to the main branch's `preview` copy of 2026-08-21; re-check it
when bumping: v1.15.0 exists, its template could not be read here). Its policies (NodeLifecycle,
IAMIntegration, EKSIntegration, Interruption, ZonalShift, ResourceDiscovery) and interruption rules, scoped to this
cluster through the tags Karpenter puts on everything it creates (`kubernetes.io/cluster/<name>: owned`,
`eks:eks-cluster-name`, `karpenter.sh/nodepool`) and to this account and region. Deliberate narrowings: the
EC2NodeClass names our own instance profile, so the controller may not create, tag or delete instance profiles at
all; PassRole names the node role and the partition's EC2 principal only; the queue policy admits only this stack's
EventBridge rules; the controller may use the node-volume and queue keys only through EC2 and SQS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.cluster_iam import dns_suffix
from components.iam import key_admin_statement

Doc = dict[str, Any]

# EventBridge rules that feed the interruption queue: (rule suffix, event source, detail-type).
INTERRUPTION_EVENTS: tuple[tuple[str, str, str], ...] = (
    ("health", "aws.health", "AWS Health Event"),
    ("spot-interruption", "aws.ec2", "EC2 Spot Instance Interruption Warning"),
    ("rebalance", "aws.ec2", "EC2 Instance Rebalance Recommendation"),
    ("instance-state-change", "aws.ec2", "EC2 Instance State-change Notification"),
    # Karpenter >= 1.12 handles it (pkg/controllers/interruption/messages/capacityreservationinterruption).
    ("capacity-reservation", "aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
)


@dataclass(frozen=True)
class ControllerScope:
    """Everything the controller policy is pinned to."""

    partition: str
    region: str
    account_id: str
    cluster_name: str
    node_role_arn: str
    instance_profile_arn: str
    queue_arn: str
    queue_key_arn: str
    volume_key_arn: str


def event_pattern(source: str, detail_type: str) -> Doc:
    return {"source": [source], "detail-type": [detail_type]}


def controller_policy(s: ControllerScope) -> Doc:
    ec2 = f"arn:{s.partition}:ec2:{s.region}"
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{s.cluster_name}": "owned"}
    requested = {
        f"aws:RequestTag/kubernetes.io/cluster/{s.cluster_name}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": s.cluster_name,
    }
    launched = ["fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            # --- node lifecycle
            {
                "Sid": "AllowScopedEC2InstanceAccessActions",
                "Effect": "Allow",
                "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                "Resource": [
                    f"{ec2}::image/*",
                    f"{ec2}::snapshot/*",
                    f"{ec2}:*:security-group/*",
                    f"{ec2}:*:subnet/*",
                    f"{ec2}:*:capacity-reservation/*",
                    f"{ec2}:*:placement-group/*",
                ],
            },
            {
                "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
                "Effect": "Allow",
                "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                "Resource": f"{ec2}:*:launch-template/*",
                "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
            },
            {
                "Sid": "AllowScopedEC2InstanceActionsWithTags",
                "Effect": "Allow",
                "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                "Resource": [f"{ec2}:*:{r}/*" for r in [*launched, "capacity-reservation"]],
                "Condition": {
                    "StringEquals": requested,
                    "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
                },
            },
            {
                "Sid": "AllowScopedResourceCreationTagging",
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": [f"{ec2}:*:{r}/*" for r in launched],
                "Condition": {
                    "StringEquals": {
                        **requested,
                        "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                    },
                    "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
                },
            },
            {
                "Sid": "AllowScopedResourceTagging",
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": f"{ec2}:*:instance/*",
                "Condition": {
                    "StringEquals": owned,
                    "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                    "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": s.cluster_name},
                    "ForAllValues:StringEquals": {
                        "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                    },
                },
            },
            {
                "Sid": "AllowScopedDeletion",
                "Effect": "Allow",
                "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
                "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
            },
            {
                "Sid": "AllowNodeVolumeEncryptionThroughEC2",
                "Effect": "Allow",
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                    "kms:CreateGrant",
                ],
                "Resource": s.volume_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"ec2.{s.region}.{dns_suffix(s.partition)}"}},
            },
            # --- IAM integration: only our node role, only to EC2, only our instance profile
            {
                "Sid": "AllowPassingInstanceRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": s.node_role_arn,
                "Condition": {"StringEquals": {"iam:PassedToService": f"ec2.{dns_suffix(s.partition)}"}},
            },
            {
                "Sid": "AllowInstanceProfileReadActions",
                "Effect": "Allow",
                "Action": "iam:GetInstanceProfile",
                "Resource": s.instance_profile_arn,
            },
            {
                "Sid": "AllowUnscopedInstanceProfileListAction",
                "Effect": "Allow",
                "Action": "iam:ListInstanceProfiles",
                # ListInstanceProfiles has no resource-level scoping in IAM.
                "Resource": "*",
            },
            # --- EKS integration
            {
                "Sid": "AllowAPIServerEndpointDiscovery",
                "Effect": "Allow",
                "Action": "eks:DescribeCluster",
                "Resource": f"arn:{s.partition}:eks:{s.region}:{s.account_id}:cluster/{s.cluster_name}",
            },
            # --- interruption handling
            {
                "Sid": "AllowInterruptionQueueActions",
                "Effect": "Allow",
                "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                "Resource": s.queue_arn,
            },
            {
                "Sid": "AllowInterruptionQueueDecryption",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": s.queue_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"sqs.{s.region}.{dns_suffix(s.partition)}"}},
            },
            # --- zonal shift (the controller reads the cluster's ARC zonal shift status at start)
            {
                "Sid": "AllowZonalShiftStatusReadOnly",
                "Effect": "Allow",
                "Action": "arc-zonal-shift:GetManagedResource",
                # As upstream: the EKS cluster is named by the condition, not by an ARN the SAR lists for it.
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "arc-zonal-shift:ResourceIdentifier": (
                            f"arn:{s.partition}:eks:{s.region}:{s.account_id}:cluster/{s.cluster_name}"
                        )
                    }
                },
            },
            # --- resource discovery
            {
                "Sid": "AllowRegionalReadActions",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeCapacityReservations",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstances",
                    "ec2:DescribeInstanceStatus",
                    "ec2:DescribeInstanceTypeOfferings",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplates",
                    "ec2:DescribePlacementGroups",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSpotPriceHistory",
                    "ec2:DescribeSubnets",
                ],
                # EC2 Describe* actions have no resource-level scoping; the region condition narrows them.
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": s.region}},
            },
            {
                "Sid": "AllowSSMReadActions",
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": f"arn:{s.partition}:ssm:{s.region}::parameter/aws/service/*",
            },
            {
                "Sid": "AllowPricingReadActions",
                "Effect": "Allow",
                "Action": "pricing:GetProducts",
                # The Price List API has no resource-level scoping.
                "Resource": "*",
            },
        ],
    }


def queue_key_policy(account_id: str, queue_arn: str, partition: str = "aws") -> Doc:
    """Key policy of the interruption queue's key: EventBridge may encrypt messages for this queue only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            key_admin_statement(account_id, partition),
            {
                "Sid": "EventBridgeSendsToInterruptionQueue",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",  # in a key policy "*" means "this key"
                "Condition": {"StringEquals": {"kms:EncryptionContext:aws:sqs:arn": queue_arn}},
            },
        ],
    }


def queue_policy(queue_arn: str, rule_arns: list[str]) -> Doc:
    """Queue policy: only our EventBridge rules may send; nothing over plain HTTP."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeRulesSend",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
            },
            {
                "Sid": "DenyHTTP",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }
