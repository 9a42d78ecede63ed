"""IAM documents of the add-ons: pure functions returning dicts, unit-tested (tests/test_addons_iam.py).

Rules (as in components/iam.py): never `"Action": "*"`; `"Resource": "*"` only for actions AWS offers no
resource-level scoping for (listed in UNSCOPED_ACTIONS, each statement says so); mutating actions scoped to
this account and region, to the cluster's tag, or to the configured zones, buckets, keys and paths.

Each controller's document follows its project's published policy at the version this platform pins (the
reference is named above each function: repository, path, tag), narrowed where the platform knows more (this
account and region, this cluster's tags, this VPC, the configured zones, paths and keys); every narrowing is
said where it is made. `make test` checks every document against the AWS Service Authorization Reference
(tests/test_iam_documents.py, policies/rules/iam_valid.py): an ARN in a format the action does not take, or a
condition key outside its request context, would be a grant that never matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Doc = dict[str, Any]
VERSION = "2012-10-17"

# Actions granted on "*" because a request need not name any resource IAM could scope: the Service Authorization
# Reference (SAR) lists no resource type for them, or only optional ones (cloudwatch:PutMetricData: a `dataset`,
# which Container Insights never uses). tests/test_addons_iam.py checks this list against the SAR data and every
# "*" statement against this list.
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
        "ec2:DescribeVolumeStatus",
        "ec2:DescribeSnapshots",
        "ec2:DescribeImages",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:DescribeCoipPools",
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
        "shield:CreateProtection",
        "elasticloadbalancing:SetWebAcl",
        "route53:ListHostedZones",
        "route53:ListHostedZonesByName",
        "logs:DescribeLogGroups",
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "secretsmanager:ListSecrets",
        "secretsmanager:BatchGetSecretValue",
        # Only an optional resource type (dataset); scoped by a condition instead (cloudwatch:namespace)
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
    """The VPC CNI's policy. Reference: the AWS managed policy AmazonEKS_CNI_Policy (IPv4), which the EKS add-on
    documentation attaches (an AWS document, not in a repository). Narrowed: this account/region and, where EC2
    supports it (the `ec2:Vpc` key of ENI changes), this VPC."""
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
    """The EBS CSI driver's policy. Reference: AmazonEBSCSIDriverPolicyV2, kubernetes-sigs/aws-ebs-csi-driver
    docs/AmazonEBSCSIDriverPolicyV2.json at v1.63.1 (the EKS add-on v1.63.1-eksbuild.1 pinned for Kubernetes
    1.35/1.36; the v1.50.1 rows need a subset), and docs/install.md's KMS statement for encrypted volumes.
    Narrowed: ARNs in this account/region; the statements for CSI-migrated in-tree volumes
    (`kubernetes.io/created-for/pvc/name`) are left out, as a cluster built by this platform never had in-tree EBS
    volumes; the KMS statement names the stack's volume key and needs EC2 as the caller. As upstream, everything the
    driver changes carries its `ebs.csi.aws.com/cluster: "true"` tag (the driver sets it on what it creates:
    pkg/driver/controller.go). Snapshot ARNs have no account field (`arn:<partition>:ec2:<region>::snapshot/<id>`)."""
    ec2 = lambda r: _ec2(partition, region, account_id, r)  # noqa: E731
    volumes, snapshots = ec2("volume/*"), snapshot_arns(partition, region)
    managed_tag = "ebs.csi.aws.com/cluster"
    tagged = {"StringEquals": {f"aws:RequestTag/{managed_tag}": "true"}}
    managed = {"StringEquals": {f"ec2:ResourceTag/{managed_tag}": "true"}}
    return document(
        unscoped(
            "ReadOnlyDescribeOperations",
            [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeSnapshots",
                "ec2:DescribeVolumes",
                "ec2:DescribeVolumesModifications",
                "ec2:DescribeVolumeStatus",
            ],
        ),
        statement("CreateAndCopyVolumesWithManagedTag", ["ec2:CopyVolumes", "ec2:CreateVolume"], volumes, tagged),
        statement("CopyManagedVolumes", ["ec2:CopyVolumes"], ec2("volume/vol-*"), managed),
        statement("CreateSnapshotsWithManagedTag", ["ec2:CreateSnapshot"], snapshots, tagged),
        statement("CreateSnapshotsFromManagedVolumes", ["ec2:CreateSnapshot"], volumes, managed),
        statement(
            "ManageManagedVolumes",
            ["ec2:AttachVolume", "ec2:DeleteVolume", "ec2:DetachVolume", "ec2:ModifyVolume"],
            volumes,
            managed,
        ),
        statement(
            "CreateVolumesFromAndEnableFSROnManagedSnapshots",
            ["ec2:CreateVolume", "ec2:EnableFastSnapshotRestores"],
            snapshots,
            managed,
        ),
        statement("AttachDetachVolumesToAnyInstance", ["ec2:AttachVolume", "ec2:DetachVolume"], ec2("instance/*")),
        statement("DeleteAndLockManagedSnapshots", ["ec2:DeleteSnapshot", "ec2:LockSnapshot"], snapshots, managed),
        statement(
            "TagResourcesOnCreation",
            ["ec2:CreateTags"],
            [volumes, snapshots],
            {"StringEquals": {"ec2:CreateAction": ["CreateVolume", "CreateSnapshot", "CopyVolumes"]}},
        ),
        statement(
            "ModifyTagsOnManagedVolumes",
            ["ec2:CreateTags", "ec2:DeleteTags"],
            volumes,
            {
                **managed,
                "Null": {"aws:TagKeys": "false"},
                "ForAllValues:StringNotEquals": {
                    "aws:TagKeys": [managed_tag, "ebs.csi.aws.com/cluster-name", "kubernetes.io/created-for/pvc/name"]
                },
            },
        ),
        *volume_key_statements(region, volume_kms_key_arns),
    )


def snapshot_arns(partition: str, region: str) -> str:
    """EC2 snapshots of this region: the ARN has no account field (Service Authorization Reference, EC2)."""
    return f"arn:{partition}:ec2:{region}::snapshot/*"


def volume_key_statements(region: str, volume_kms_key_arns: Sequence[str]) -> list[Doc]:
    """Use of the EBS volume key for the volumes EC2 creates, restores or attaches for the caller. Reference: the
    aws-ebs-csi-driver docs/install.md (v1.63.1) statement for encrypted volumes (`kms:Decrypt`,
    `kms:GenerateDataKeyWithoutPlaintext`, `kms:CreateGrant`), narrowed to the stack's key, grants for AWS resources
    only, and cryptographic use only through EC2."""
    keys = [k for k in volume_kms_key_arns if k]
    if not keys:
        return []
    return [
        statement("VolumeKeyGrants", ["kms:CreateGrant"], keys, {"Bool": {"kms:GrantIsForAWSResource": "true"}}),
        statement(
            "VolumeKeyUseViaEc2",
            ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext"],
            keys,
            {"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}},
        ),
    ]


def cloudwatch_agent_policy(partition: str, region: str, account_id: str, cluster_name: str) -> Doc:
    """The CloudWatch agent of amazon-cloudwatch-observability. Reference: the AWS managed policies the add-on's
    documentation attaches, CloudWatchAgentServerPolicy and AWSXrayWriteOnlyAccess (AWS documents, not in a
    repository). Narrowed: metrics only in the Container Insights namespaces (`cloudwatch:namespace`), logs only
    in this cluster's /aws/containerinsights/<cluster>/ groups (created by the stack), its SSM configuration only
    under AmazonCloudWatch-*."""
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
    """The AWS Load Balancer Controller's policy. Reference: kubernetes-sigs/aws-load-balancer-controller
    docs/install/iam_policy.json at v2.17.1 (chart 1.17.1; the file is identical at v2.17.0). Narrowed: ARNs
    pinned to this account/region, the controller's `elbv2.k8s.aws/cluster` tag conditions pinned to this cluster's
    name (upstream: "present"), security-group creation and rule changes pinned to this VPC, certificates, WAF ACLs
    and Shield protections to this account. Actions the Service Authorization Reference gives no resource type
    (shield:CreateProtection, elasticloadbalancing:SetWebAcl, the Describe calls) stay on "*" as upstream has them."""
    ec2 = lambda r: _ec2(partition, region, account_id, r)  # noqa: E731
    elb = lambda r: f"arn:{partition}:elasticloadbalancing:{region}:{account_id}:{r}"  # noqa: E731
    tag = "elbv2.k8s.aws/cluster"
    ours = {"StringEquals": {f"aws:ResourceTag/{tag}": cluster_name}}
    load_balancers = [elb("loadbalancer/app/*/*"), elb("loadbalancer/net/*/*")]
    target_groups = [elb("targetgroup/*/*")]
    listeners = [elb("listener/app/*/*/*"), elb("listener/net/*/*/*")]
    rules = [elb("listener-rule/app/*/*/*"), elb("listener-rule/net/*/*/*")]
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
        statement("SecurityGroupsOfOurVpc", ["ec2:GetSecurityGroupsForVpc"], vpc_arn),
        statement("CoipPoolUsage", ["ec2:GetCoipPoolUsage"], ec2("coip-pool/*")),
        unscoped(
            "ListCertificatesAndShield",
            [
                "acm:ListCertificates",
                "elasticloadbalancing:SetWebAcl",
                "iam:ListServerCertificates",
                "shield:CreateProtection",
                "shield:GetSubscriptionState",
            ],
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
            [*load_balancers, *listeners, *rules],
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
            [*listeners, *rules],
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
            ],
            [*listeners, *rules],
        ),
    )


def _zones(partition: str, zone_ids: Sequence[str]) -> list[str]:
    return [f"arn:{partition}:route53:::hostedzone/{z}" for z in zone_ids]


def external_dns_policy(partition: str, zone_ids: Sequence[str]) -> Doc:
    """external-dns. Reference: kubernetes-sigs/external-dns docs/tutorials/aws.md at v0.20.0 (chart 1.20.0).
    Narrowed: record changes and reads in the configured hosted zones only (upstream: every zone)."""
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
    """cert-manager's DNS-01 solver. Reference: cert-manager/website content/docs/configuration/acme/dns01/route53.md
    (the current docs, 2026-08; chart v1.20.2). Narrowed: the configured zones only (upstream: every zone), and only
    `_acme-challenge.*` names (`route53:ChangeResourceRecordSetsNormalizedRecordNames`, a Route 53 key of the
    Service Authorization Reference) besides upstream's TXT-only condition."""
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
    """External Secrets Operator. Reference: external-secrets/external-secrets docs/provider/aws-secrets-manager.md
    and aws-parameter-store.md at v1.1.0 (chart 1.1.0). Read secrets and parameters under one path prefix; decrypt
    with the given keys only via those services. `secretsmanager:ListSecrets` and `BatchGetSecretValue` (no
    resource type; `dataFrom.find` lists, then batch-reads, and BatchGetSecretValue still needs GetSecretValue on
    each secret, so reads stay under the prefix) are upstream's; ListSecrets shows the names and tags of every
    secret in the account and region, not their values. Parameter Store `find` by name uses GetParametersByPath
    (granted on the prefix); `find` by tags (ssm:DescribeParameters, tag:GetResources on "*") is not granted."""
    statements = [
        unscoped("FindSecrets", ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"]),
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
    """aws-for-fluent-bit's CloudWatch Logs output: write streams into the given (pre-created) log groups; no
    CreateLogGroup (the platform creates the group with KMS and retention; the chart's `autoCreateGroup` is off)."""
    resources = [r for arn in log_group_arns for r in (arn, f"{arn}:log-stream:*")]
    return document(
        statement("WriteLogs", ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"], resources),
        unscoped("DescribeLogGroups", ["logs:DescribeLogGroups"]),
    )


def velero_policy(
    partition: str,
    region: str,
    account_id: str,
    bucket: str,
    bucket_key_arn: str,
    volume_kms_key_arns: Sequence[str] = (),
) -> Doc:
    """velero-plugin-for-aws. Reference: vmware-tanzu/velero-plugin-for-aws README.md at v1.13.0 (the plugin image
    pinned in components/versions.py; Velero 1.17 of chart 11.4.0). Narrowed: EC2 actions on this account/region's
    volumes and snapshots (upstream: "*"; snapshot ARNs have no account field), objects only in its own bucket.
    Left out: `s3:PutObjectTagging` (used only with the backup location's `tagging` option, which the platform does
    not set). Added: the stack's EBS volume key through EC2, which restoring an encrypted snapshot into a new volume
    needs (the same statements as the EBS CSI driver's), and the bucket key through S3 (SSE-KMS)."""
    ec2 = lambda r: _ec2(partition, region, account_id, r)  # noqa: E731
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    volumes, snapshots = ec2("volume/*"), snapshot_arns(partition, region)
    return document(
        unscoped("Describe", ["ec2:DescribeSnapshots", "ec2:DescribeVolumes"]),
        statement(
            "SnapshotsAndRestores",
            ["ec2:CreateSnapshot", "ec2:CreateTags", "ec2:CreateVolume", "ec2:DeleteSnapshot"],
            [volumes, snapshots],
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
        *volume_key_statements(region, volume_kms_key_arns),
    )


def cluster_autoscaler_policy(partition: str, region: str, account_id: str, cluster_name: str) -> Doc:
    """Cluster Autoscaler. Reference: kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md, "Full
    Cluster Autoscaler Features Policy", at tag cluster-autoscaler-chart-9.59.0. Narrowed: scale only the Auto
    Scaling groups tagged as this cluster's (EKS managed node groups tag theirs), describe only this cluster's node
    groups."""
    return document(
        unscoped(
            "Describe",
            [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
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
            # No kms:Describe*: DescribeKey has no encryption context, so under this condition it never matched.
            "Action": ["kms:Decrypt*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Resource": "*",  # in a key policy "*" means "this key"
            "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": list(log_group_arns)}},
        },
    )
