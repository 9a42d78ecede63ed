"""IAM documents of the add-ons: pure functions returning dicts, unit-tested (tests/test_addons_iam.py).

Rules (as in components/iam.py): never `"Action": "*"`; `"Resource": "*"` only for actions AWS offers no
resource-level scoping for (listed in UNSCOPED_ACTIONS, each statement says so); mutating actions scoped to
this account and region, to the cluster's tag, or to the configured zones, buckets, keys and paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Doc = dict[str, Any]
VERSION = "2012-10-17"

# Actions IAM cannot scope to a resource (the Service Authorization Reference lists no resource type for
# them), so their statements use "Resource": "*". Tests check every "*" statement against this list.
UNSCOPED_ACTIONS = frozenset(
    {
        # EC2 Describe*/Get* calls
        "ec2:DescribeAccountAttributes",
        "ec2:DescribeAddresses",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeVpcs",
        "ec2:DescribeVpcPeeringConnections",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeTags",
        "ec2:DescribeVolumes",
        "ec2:DescribeVolumesModifications",
        "ec2:DescribeSnapshots",
        "ec2:DescribeImages",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:DescribeCoipPools",
        "ec2:GetCoipPoolUsage",
        "ec2:GetSecurityGroupsForVpc",
        "ec2:DescribeIpamPools",
        "ec2:DescribeRouteTables",
        "ec2:GetInstanceTypesFromInstanceRequirements",
        # Elastic Load Balancing Describe* calls
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeListenerCertificates",
        "elasticloadbalancing:DescribeSSLPolicies",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTrustStores",
        "elasticloadbalancing:DescribeListenerAttributes",
        "elasticloadbalancing:DescribeCapacityReservation",
        # Listing calls
        "acm:ListCertificates",
        "iam:ListServerCertificates",
        "shield:GetSubscriptionState",
        "route53:ListHostedZones",
        "route53:ListHostedZonesByName",
        "logs:DescribeLogGroups",
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "autoscaling:DescribeTags",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        # Scoped by a condition instead (cloudwatch:namespace)
        "cloudwatch:PutMetricData",
    }
)


def statement(sid: str, actions: Sequence[str], resources: str | Sequence[str], condition: Doc | None = None) -> Doc:
    out: Doc = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        out["Condition"] = condition
    return out


def unscoped(sid: str, actions: Iterable[str], condition: Doc | None = None) -> Doc:
    """A statement of actions with no resource-level scoping in IAM (checked against UNSCOPED_ACTIONS)."""
    actions = sorted(actions)
    bad = [a for a in actions if a not in UNSCOPED_ACTIONS]
    if bad:
        raise ValueError(f"{sid}: {bad} can be scoped to resources; do not grant them on '*'")
    return statement(sid, actions, "*", condition)


def document(*statements: Doc) -> Doc:
    return {"Version": VERSION, "Statement": list(statements)}


# ------------------------------------------------------------------------------------------------ trust


def pod_identity_trust_policy(account_id: str, cluster_arn: str, namespace: str, service_account: str) -> Doc:
    """EKS Pod Identity may assume the role only for one service account of one namespace of this cluster
    (the session tags Pod Identity sets), from this account: the cluster's trust policy, checked against the
    account the add-on context expects."""
    from components.cluster_iam import pod_identity_trust_policy as trust

    if cluster_arn.split(":")[4] != account_id:
        raise ValueError(f"cluster {cluster_arn} is not in account {account_id}")
    return trust(cluster_arn, namespace, service_account)


# ------------------------------------------------------------------------------------------- EKS add-ons


def _ec2(partition: str, region: str, account_id: str, resource: str) -> str:
    return f"arn:{partition}:ec2:{region}:{account_id}:{resource}"


def vpc_cni_policy(partition: str, region: str, account_id: str, vpc_arn: str) -> Doc:
    """AmazonEKS_CNI_Policy (IPv4), scoped to this account/region and, where EC2 supports it, this VPC."""
    ec2 = lambda r: _ec2(partition, region, account_id, r)  # noqa: E731
    in_vpc = {"ArnEquals": {"ec2:Vpc": vpc_arn}}
    return document(
        unscoped(
            "DescribeNetwork",
            [
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DescribeTags",
            ],
        ),
        statement(
            "ManageEnisInVpc",
            [
                "ec2:AssignPrivateIpAddresses",
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:ModifyNetworkInterfaceAttribute",
                "ec2:UnassignPrivateIpAddresses",
            ],
            [ec2("network-interface/*"), ec2("subnet/*"), ec2("security-group/*")],
            in_vpc,
        ),
        statement(
            "AttachEnisToNodes",
            ["ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface"],
            [ec2("network-interface/*"), ec2("instance/*")],
        ),
        statement(
            "TagEnis",
            ["ec2:CreateTags"],
            ec2("network-interface/*"),
        ),
    )


def ebs_csi_policy(partition: str, region: str, account_id: str, volume_kms_key_arns: Sequence[str]) -> Doc:
    """AmazonEBSCSIDriverPolicy, scoped to this account/region; volumes it creates/deletes carry the driver's
    `ebs.csi.aws.com/cluster` tag; KMS use of the volume key only through EC2 grants."""
    ec2 = lambda r: _ec2(partition, region, account_id, r)  # noqa: E731
    volumes_snapshots = [ec2("volume/*"), ec2("snapshot/*")]
    statements = [
        unscoped(
            "Describe",
            [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInstances",
                "ec2:DescribeSnapshots",
                "ec2:DescribeTags",
                "ec2:DescribeVolumes",
                "ec2:DescribeVolumesModifications",
            ],
        ),
        statement(
            "CreateDriverVolumes",
            ["ec2:CreateVolume"],
            volumes_snapshots,
            {"StringEquals": {"aws:RequestTag/ebs.csi.aws.com/cluster": "true"}},
        ),
        statement(
            "AttachAndModify",
            ["ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume"],
            [ec2("volume/*"), ec2("instance/*")],
        ),
        statement(
            "Snapshot",
            ["ec2:CreateSnapshot"],
            volumes_snapshots,
        ),
        statement(
            "TagOnCreate",
            ["ec2:CreateTags"],
            volumes_snapshots,
            {"StringEquals": {"ec2:CreateAction": ["CreateVolume", "CreateSnapshot"]}},
        ),
        statement("Untag", ["ec2:DeleteTags"], volumes_snapshots),
        statement(
            "DeleteDriverVolumes",
            ["ec2:DeleteVolume"],
            ec2("volume/*"),
            {"StringEquals": {"aws:ResourceTag/ebs.csi.aws.com/cluster": "true"}},
        ),
        statement(
            "DeleteDriverSnapshots",
            ["ec2:DeleteSnapshot"],
            ec2("snapshot/*"),
            {"StringEquals": {"aws:ResourceTag/ebs.csi.aws.com/cluster": "true"}},
        ),
    ]
    keys = [k for k in volume_kms_key_arns if k]
    if keys:
        statements += [
            statement(
                "VolumeKeyGrants",
                ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                keys,
                {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
            statement(
                "VolumeKeyUseViaEc2",
                ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                keys,
                {"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}},
            ),
        ]
    return document(*statements)


def cloudwatch_agent_policy(partition: str, region: str, account_id: str, cluster_name: str) -> Doc:
    """CloudWatchAgentServerPolicy + X-Ray writes for Container Insights, limited to this cluster's
    /aws/containerinsights/<cluster>/ log groups and the Container Insights metric namespaces."""
    prefix = f"arn:{partition}:logs:{region}:{account_id}:log-group:/aws/containerinsights/{cluster_name}/"
    return document(
        unscoped(
            "ContainerInsightsMetrics",
            ["cloudwatch:PutMetricData"],
            {"StringEquals": {"cloudwatch:namespace": ["ContainerInsights", "CWAgent"]}},
        ),
        unscoped("DescribeForMetadata", ["ec2:DescribeTags", "ec2:DescribeVolumes", "logs:DescribeLogGroups"]),
        statement(
            "WriteClusterLogs",
            ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            [f"{prefix}*", f"{prefix}*:log-stream:*"],
        ),
        unscoped(
            "XRay",
            [
                "xray:GetSamplingRules",
                "xray:GetSamplingStatisticSummaries",
                "xray:GetSamplingTargets",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            ],
        ),
        statement(
            "AgentConfig",
            ["ssm:GetParameter"],
            f"arn:{partition}:ssm:{region}:{account_id}:parameter/AmazonCloudWatch-*",
        ),
    )


# ----------------------------------------------------------------------------------------- Helm add-ons


def load_balancer_controller_policy(
    partition: str, region: str, account_id: str, cluster_name: str, vpc_arn: str
) -> Doc:
    """The AWS Load Balancer Controller's published IAM policy (v2.17 docs/install/iam_policy.json), scoped:
    ARNs pinned to this account/region, the controller's `elbv2.k8s.aws/cluster` tag conditions pinned to this
    cluster's name (not just "present"), security-group changes pinned to this VPC."""
    ec2 = lambda r: _ec2(partition, region, account_id, r)  # noqa: E731
    elb = lambda r: f"arn:{partition}:elasticloadbalancing:{region}:{account_id}:{r}"  # noqa: E731
    tag = "elbv2.k8s.aws/cluster"
    ours = {"StringEquals": {f"aws:ResourceTag/{tag}": cluster_name}}
    load_balancers = [elb("loadbalancer/app/*/*"), elb("loadbalancer/net/*/*")]
    target_groups = [elb("targetgroup/*/*")]
    listeners = [
        elb("listener/app/*/*/*"),
        elb("listener/net/*/*/*"),
        elb("listener-rule/app/*/*/*"),
        elb("listener-rule/net/*/*/*"),
    ]
    return document(
        statement(
            "ElbServiceLinkedRole",
            ["iam:CreateServiceLinkedRole"],
            f"arn:{partition}:iam::{account_id}:role/aws-service-role/elasticloadbalancing.amazonaws.com/*",
            {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        ),
        unscoped(
            "Describe",
            [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeCoipPools",
                "ec2:DescribeInstances",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeIpamPools",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeTags",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeVpcs",
                "ec2:GetCoipPoolUsage",
                "ec2:GetSecurityGroupsForVpc",
                "elasticloadbalancing:DescribeCapacityReservation",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTrustStores",
            ],
        ),
        unscoped(
            "ListCertificates", ["acm:ListCertificates", "iam:ListServerCertificates", "shield:GetSubscriptionState"]
        ),
        statement(
            "ReadCertificatesAndAuth",
            ["acm:DescribeCertificate", "cognito-idp:DescribeUserPoolClient", "iam:GetServerCertificate"],
            [
                f"arn:{partition}:acm:{region}:{account_id}:certificate/*",
                f"arn:{partition}:cognito-idp:{region}:{account_id}:userpool/*",
                f"arn:{partition}:iam::{account_id}:server-certificate/*",
            ],
        ),
        statement(
            "WafAndShieldOnOurAlbs",
            [
                "shield:CreateProtection",
                "shield:DeleteProtection",
                "shield:DescribeProtection",
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
            ],
            [
                elb("loadbalancer/app/*/*"),
                f"arn:{partition}:waf-regional:{region}:{account_id}:webacl/*",
                f"arn:{partition}:wafv2:{region}:{account_id}:regional/webacl/*/*",
                f"arn:{partition}:shield::{account_id}:protection/*",
            ],
        ),
        statement(
            "SecurityGroupRulesInVpc",
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            ec2("security-group/*"),
            {"ArnEquals": {"ec2:Vpc": vpc_arn}},
        ),
        statement(
            "CreateSecurityGroupInVpc",
            ["ec2:CreateSecurityGroup"],
            [ec2("security-group/*"), vpc_arn],
        ),
        statement(
            "TagNewSecurityGroups",
            ["ec2:CreateTags"],
            ec2("security-group/*"),
            {
                "StringEquals": {"ec2:CreateAction": "CreateSecurityGroup", f"aws:RequestTag/{tag}": cluster_name},
            },
        ),
        statement(
            "RetagOurSecurityGroups",
            ["ec2:CreateTags", "ec2:DeleteTags"],
            ec2("security-group/*"),
            {"StringEquals": {f"aws:ResourceTag/{tag}": cluster_name}, "Null": {f"aws:RequestTag/{tag}": "true"}},
        ),
        statement(
            "ChangeOurSecurityGroups",
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup", "ec2:RevokeSecurityGroupIngress"],
            ec2("security-group/*"),
            ours,
        ),
        statement(
            "CreateTaggedLoadBalancers",
            ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            [*load_balancers, *target_groups],
            {"StringEquals": {f"aws:RequestTag/{tag}": cluster_name}},
        ),
        statement(
            "ListenersAndRules",
            [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteRule",
            ],
            [*load_balancers, *listeners],
        ),
        statement(
            "RetagOurLoadBalancers",
            ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            [*load_balancers, *target_groups],
            {"StringEquals": {f"aws:ResourceTag/{tag}": cluster_name}, "Null": {f"aws:RequestTag/{tag}": "true"}},
        ),
        statement(
            "TagListenersAndRules",
            ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            listeners,
        ),
        statement(
            "ChangeOurLoadBalancers",
            [
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
            ],
            [*load_balancers, *target_groups, *listeners],
            ours,
        ),
        statement(
            "TagOnCreate",
            ["elasticloadbalancing:AddTags"],
            [*load_balancers, *target_groups],
            {
                "StringEquals": {
                    "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"],
                    f"aws:RequestTag/{tag}": cluster_name,
                }
            },
        ),
        statement(
            "Targets",
            ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
            target_groups,
        ),
        statement(
            "ListenerSettings",
            [
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:SetWebAcl",
            ],
            [*load_balancers, *listeners],
        ),
    )


def _zones(partition: str, zone_ids: Sequence[str]) -> list[str]:
    return [f"arn:{partition}:route53:::hostedzone/{z}" for z in zone_ids]


def external_dns_policy(partition: str, zone_ids: Sequence[str]) -> Doc:
    """Record changes in the configured hosted zones only."""
    if not zone_ids:
        raise ValueError("external-dns needs at least one hosted zone")
    zones = _zones(partition, zone_ids)
    return document(
        statement("ChangeRecordsInZones", ["route53:ChangeResourceRecordSets"], zones),
        statement(
            "ReadZones",
            ["route53:ListResourceRecordSets", "route53:ListTagsForResource", "route53:ListTagsForResources"],
            zones,
        ),
        unscoped("ListZones", ["route53:ListHostedZones"]),
    )


def cert_manager_policy(partition: str, zone_ids: Sequence[str]) -> Doc:
    """DNS-01: only `_acme-challenge` TXT records in the configured zones (cert-manager's documented policy)."""
    if not zone_ids:
        raise ValueError("cert-manager's DNS-01 role needs at least one hosted zone")
    return document(
        statement("GetChange", ["route53:GetChange"], f"arn:{partition}:route53:::change/*"),
        statement(
            "AcmeChallengeRecords",
            ["route53:ChangeResourceRecordSets"],
            _zones(partition, zone_ids),
            {
                "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]},
                "ForAllValues:StringLike": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.*"]
                },
            },
        ),
        statement("ReadRecords", ["route53:ListResourceRecordSets"], _zones(partition, zone_ids)),
        unscoped("FindZone", ["route53:ListHostedZonesByName"]),
    )


def external_secrets_policy(
    partition: str, region: str, account_id: str, path_prefix: str, kms_key_arns: Sequence[str] = ()
) -> Doc:
    """Read secrets and parameters under one path prefix; decrypt with the given keys only via those services."""
    statements = [
        statement(
            "ReadSecretsUnderPrefix",
            [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetResourcePolicy",
                "secretsmanager:GetSecretValue",
                "secretsmanager:ListSecretVersionIds",
            ],
            f"arn:{partition}:secretsmanager:{region}:{account_id}:secret:{path_prefix}*",
        ),
        statement(
            "ReadParametersUnderPrefix",
            ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            [
                f"arn:{partition}:ssm:{region}:{account_id}:parameter/{path_prefix}*",
                # GetParametersByPath names the path itself (without the trailing slash).
                f"arn:{partition}:ssm:{region}:{account_id}:parameter/{path_prefix.rstrip('/')}",
            ],
        ),
    ]
    if kms_key_arns:
        statements.append(
            statement(
                "DecryptViaSecretsServices",
                ["kms:Decrypt"],
                list(kms_key_arns),
                {
                    "StringEquals": {
                        "kms:ViaService": [f"secretsmanager.{region}.amazonaws.com", f"ssm.{region}.amazonaws.com"]
                    }
                },
            )
        )
    return document(*statements)


def log_writer_policy(log_group_arns: Sequence[str]) -> Doc:
    """Write streams into the given (pre-created) log groups; no CreateLogGroup."""
    resources = [r for arn in log_group_arns for r in (arn, f"{arn}:log-stream:*")]
    return document(
        statement("WriteLogs", ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"], resources),
        unscoped("DescribeLogGroups", ["logs:DescribeLogGroups"]),
    )


def velero_policy(partition: str, region: str, account_id: str, bucket: str, bucket_key_arn: str) -> Doc:
    """velero-plugin-for-aws: EBS snapshots in this account/region, objects in its own bucket (SSE-KMS)."""
    ec2 = lambda r: _ec2(partition, region, account_id, r)  # noqa: E731
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    return document(
        unscoped("Describe", ["ec2:DescribeSnapshots", "ec2:DescribeVolumes"]),
        statement(
            "Snapshots",
            ["ec2:CreateSnapshot", "ec2:CreateSnapshots", "ec2:CreateTags", "ec2:CreateVolume", "ec2:DeleteSnapshot"],
            [ec2("volume/*"), ec2("snapshot/*"), ec2("instance/*")],
        ),
        statement(
            "BackupObjects",
            [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:GetObject",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
            ],
            f"{bucket_arn}/*",
        ),
        statement("ListBucket", ["s3:ListBucket"], bucket_arn),
        statement(
            "BucketKey",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            bucket_key_arn,
            {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        ),
    )


def cluster_autoscaler_policy(partition: str, region: str, account_id: str, cluster_name: str) -> Doc:
    """Scale only the Auto Scaling groups tagged as this cluster's (EKS managed node groups tag theirs)."""
    return document(
        unscoped(
            "Describe",
            [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
        ),
        statement(
            "ScaleOurGroups",
            ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            f"arn:{partition}:autoscaling:{region}:{account_id}:autoScalingGroup:*:autoScalingGroupName/*",
            {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}},
        ),
        statement(
            "DescribeOurNodegroups",
            ["eks:DescribeNodegroup"],
            f"arn:{partition}:eks:{region}:{account_id}:nodegroup/{cluster_name}/*",
        ),
    )


# ------------------------------------------------------------------------------------------------- KMS


def logs_key_policy(account_id: str, region: str, log_group_arns: Sequence[str], partition: str = "aws") -> Doc:
    """Key policy of the add-ons' log key: the account administers it; CloudWatch Logs may use it only for
    the add-ons' log groups (encryption context)."""
    return document(
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",  # in a key policy "*" means "this key"
        },
        {
            "Sid": "CloudWatchLogsUse",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Resource": "*",  # in a key policy "*" means "this key"
            "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": list(log_group_arns)}},
        },
    )
