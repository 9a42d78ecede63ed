"""Add-on IAM documents: least privilege, no broad wildcards, scoped to the account/region/cluster/zones."""

from __future__ import annotations

import json

import pytest

from components.addons import iam
from components.addons.catalog import CATALOG
from components.addons.spec import AddonContext
from components.config.addons import AddonsConfig

ACCOUNT, REGION, CLUSTER = "123456789012", "eu-west-1", "eks-platform-prod"
VPC_ARN = f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0abc"
ZONES = ["Z0PRODEXAMPLE0000001", "Z0OTHERZONE000000002"]
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"


def statements(doc: dict) -> list[dict]:
    assert doc["Version"] == "2012-10-17"
    return doc["Statement"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def every_document() -> dict[str, dict]:
    """Every add-on's permissions policy, built from a fully configured context."""
    addons = AddonsConfig.model_validate(
        {
            "externalDns": {"hostedZoneIds": ZONES},
            "externalSecrets": {"pathPrefix": "eks-platform/prod/", "kmsKeyArns": [KEY]},
        }
    )
    docs = {}
    for name, spec in CATALOG.items():
        if spec.policy is None:
            continue
        ctx = AddonContext(
            environment="prod",
            production=True,
            region=REGION,
            partition="aws",
            account_id=ACCOUNT,
            cluster_name=CLUSTER,
            kubernetes_version="1.35",
            vpc_id="vpc-0abc",
            settings=addons.settings(name),
            addons=addons,
            enabled=frozenset(CATALOG),
            volume_kms_key_arn=KEY,
            extra={"bucket": "eks-platform-prod-velero-123456789012", "bucketKeyArn": KEY},
        )
        docs[name] = spec.policy(ctx)
    return docs


DOCS = every_document()


def test_the_addons_that_call_aws_have_a_policy():
    assert set(DOCS) == {
        "vpc-cni",
        "aws-ebs-csi-driver",
        "amazon-cloudwatch-observability",
        "aws-load-balancer-controller",
        "external-dns",
        "aws-for-fluent-bit",
        "cert-manager",
        "external-secrets",
        "velero",
        "cluster-autoscaler",
    }


@pytest.mark.parametrize("name", sorted(DOCS))
def test_no_broad_wildcards(name):
    for st in statements(DOCS[name]):
        assert st["Effect"] == "Allow"
        actions = as_list(st["Action"])
        assert not any(a in ("*", "*:*") or a.endswith(":*") for a in actions), (name, st)
        resources = as_list(st["Resource"])
        if "*" in resources:
            # Only actions AWS cannot scope to a resource may be granted on "*".
            assert resources == ["*"] and set(actions) <= iam.UNSCOPED_ACTIONS, (name, st)


@pytest.mark.parametrize("name", sorted(DOCS))
def test_mutating_actions_are_scoped_to_this_account_and_region(name):
    for st in statements(DOCS[name]):
        for resource in as_list(st["Resource"]):
            if resource == "*":
                continue
            parts = resource.split(":")
            service, region, account = parts[2], parts[3], parts[4]
            if service in ("route53", "s3"):  # global ARNs without region/account
                assert region == account == "", resource
            elif service == "ec2" and parts[5].startswith("snapshot/"):  # snapshot ARNs have no account field
                assert (region, account) == (REGION, ""), resource
            elif service in ("iam", "shield"):
                assert account == ACCOUNT, resource
            else:
                assert (region, account) == (REGION, ACCOUNT), resource


@pytest.mark.parametrize("name", sorted(DOCS))
def test_documents_are_json(name):
    assert json.loads(json.dumps(DOCS[name])) == DOCS[name]


def test_unscoped_refuses_scopable_actions():
    with pytest.raises(ValueError, match="can be scoped"):
        iam.unscoped("Bad", ["route53:ChangeResourceRecordSets"])


def test_unscoped_actions_are_the_ones_the_authorization_reference_cannot_scope():
    """Every action granted on "*" needs no resource IAM could scope: the Service Authorization Reference lists no
    resource type for it, or only optional ones (a request without one only matches "*")."""
    from policies.rules.iam_valid import expand

    for action in sorted(iam.UNSCOPED_ACTIONS):
        (found,), problem = expand(action)
        assert problem is None, problem
        assert not any(r["required"] for r in found.resource_types), (action, found.resource_types)


def test_pod_identity_trust_binds_one_service_account_of_one_cluster():
    cluster_arn = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
    doc = iam.pod_identity_trust_policy(ACCOUNT, cluster_arn, "kube-system", "external-dns")
    (st,) = statements(doc)
    assert st["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(st["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert st["Condition"]["StringEquals"] == {
        "aws:SourceAccount": ACCOUNT,
        "aws:RequestTag/eks-cluster-arn": cluster_arn,
        "aws:RequestTag/kubernetes-namespace": "kube-system",
        "aws:RequestTag/kubernetes-service-account": "external-dns",
    }


def test_external_dns_changes_records_in_the_configured_zones_only():
    doc = DOCS["external-dns"]
    change = next(s for s in statements(doc) if "route53:ChangeResourceRecordSets" in s["Action"])
    assert change["Resource"] == [f"arn:aws:route53:::hostedzone/{z}" for z in ZONES]
    with pytest.raises(ValueError):
        iam.external_dns_policy("aws", [])


def test_cert_manager_writes_only_acme_challenge_txt_records():
    change = next(s for s in statements(DOCS["cert-manager"]) if "route53:ChangeResourceRecordSets" in s["Action"])
    assert change["Resource"] == [f"arn:aws:route53:::hostedzone/{z}" for z in ZONES]  # externalDns's zones
    assert change["Condition"]["ForAllValues:StringEquals"] == {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}
    assert change["Condition"]["ForAllValues:StringLike"] == {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.*"]
    }


def test_external_secrets_reads_under_the_path_prefix_only():
    sts = {s["Sid"]: s for s in statements(DOCS["external-secrets"])}
    assert sts["ReadSecretsUnderPrefix"]["Resource"] == (
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:eks-platform/prod/*"
    )
    assert (
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/eks-platform/prod/*" in sts["ReadParametersUnderPrefix"]["Resource"]
    )
    assert not any(
        a.startswith(("secretsmanager:Put", "secretsmanager:Create", "ssm:Put"))
        for s in sts.values()
        for a in s["Action"]
    )
    decrypt = sts["DecryptViaSecretsServices"]
    assert decrypt["Resource"] == [KEY] and decrypt["Action"] == ["kms:Decrypt"]
    assert "kms:ViaService" in decrypt["Condition"]["StringEquals"]


def test_external_secrets_without_keys_has_no_kms():
    doc = iam.external_secrets_policy("aws", REGION, ACCOUNT, "p/")
    assert not any(a.startswith("kms:") for s in statements(doc) for a in s["Action"])


def test_ebs_csi_uses_the_volume_key_only_through_ec2():
    sts = {s["Sid"]: s for s in statements(DOCS["aws-ebs-csi-driver"])}
    assert sts["VolumeKeyGrants"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert sts["VolumeKeyUseViaEc2"]["Resource"] == [KEY]
    assert sts["VolumeKeyUseViaEc2"]["Condition"] == {"StringEquals": {"kms:ViaService": f"ec2.{REGION}.amazonaws.com"}}
    # It changes and deletes only volumes and snapshots it created (the driver's tag), as AmazonEBSCSIDriverPolicyV2.
    managed = {"StringEquals": {"ec2:ResourceTag/ebs.csi.aws.com/cluster": "true"}}
    assert sts["ManageManagedVolumes"]["Condition"] == managed
    assert sts["DeleteAndLockManagedSnapshots"]["Condition"] == managed
    assert sts["DeleteAndLockManagedSnapshots"]["Resource"] == f"arn:aws:ec2:{REGION}::snapshot/*"
    # What the issue found missing: instance types (the driver's volume-attach limits).
    assert "ec2:DescribeInstanceTypes" in sts["ReadOnlyDescribeOperations"]["Action"]


def test_load_balancer_controller_changes_only_this_clusters_load_balancers():
    doc = DOCS["aws-load-balancer-controller"]
    tag_conditions = [
        s
        for s in statements(doc)
        if any("elbv2.k8s.aws/cluster" in k for c in s.get("Condition", {}).values() for k in c)
    ]
    assert tag_conditions
    for st in tag_conditions:
        for op, cond in st["Condition"].items():
            for key, value in cond.items():
                if "elbv2.k8s.aws/cluster" in key and op == "StringEquals":
                    assert value == CLUSTER  # pinned to this cluster, not "any cluster's tag"
    sids = {s["Sid"]: s for s in statements(doc)}
    assert sids["SecurityGroupRulesInVpc"]["Condition"] == {"ArnEquals": {"ec2:Vpc": VPC_ARN}}
    assert VPC_ARN in sids["CreateSecurityGroupInVpc"]["Resource"]
    # The published policy's actions are all there (v2.17).
    actions = {a for s in statements(doc) for a in as_list(s["Action"])}
    for needed in (
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:ModifyListenerAttributes",
        "elasticloadbalancing:ModifyCapacityReservation",
        "elasticloadbalancing:SetRulePriorities",
        "ec2:GetSecurityGroupsForVpc",
        "wafv2:AssociateWebACL",
        "shield:CreateProtection",
        "iam:CreateServiceLinkedRole",
    ):
        assert needed in actions


def test_cluster_autoscaler_scales_only_this_clusters_groups():
    scale = next(s for s in statements(DOCS["cluster-autoscaler"]) if s["Sid"] == "ScaleOurGroups")
    assert scale["Condition"] == {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{CLUSTER}": "owned"}}


def test_fluent_bit_writes_only_its_log_group_and_never_creates_groups():
    doc = DOCS["aws-for-fluent-bit"]
    write = next(s for s in statements(doc) if s["Sid"] == "WriteLogs")
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/eks/{CLUSTER}/containers"
    assert write["Resource"] == [arn, f"{arn}:log-stream:*"]
    assert "logs:CreateLogGroup" not in {a for s in statements(doc) for a in as_list(s["Action"])}


def test_velero_uses_its_own_bucket_and_key():
    sts = {s["Sid"]: s for s in statements(DOCS["velero"])}
    assert sts["BackupObjects"]["Resource"] == "arn:aws:s3:::eks-platform-prod-velero-123456789012/*"
    assert sts["ListBucket"]["Resource"] == "arn:aws:s3:::eks-platform-prod-velero-123456789012"
    assert sts["BucketKey"]["Resource"] == KEY
    # EBS snapshots (no account in their ARN) and restores of encrypted snapshots through EC2.
    assert f"arn:aws:ec2:{REGION}::snapshot/*" in sts["SnapshotsAndRestores"]["Resource"]
    assert sts["VolumeKeyUseViaEc2"]["Resource"] == [KEY]


def test_external_secrets_can_find_secrets():
    """`dataFrom.find` lists secrets, then batch-reads them (docs/provider/aws-secrets-manager.md, v1.1.0)."""
    sts = {s["Sid"]: s for s in statements(DOCS["external-secrets"])}
    assert sts["FindSecrets"] == {
        "Sid": "FindSecrets",
        "Effect": "Allow",
        "Action": ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"],
        "Resource": "*",
    }


def test_vpc_cni_manages_enis_in_the_cluster_vpc():
    sts = {s["Sid"]: s for s in statements(DOCS["vpc-cni"])}
    assert sts["ManageEnisInVpc"]["Condition"] == {"ArnEquals": {"ec2:Vpc": VPC_ARN}}


def test_logs_key_policy_lets_cloudwatch_use_it_for_the_given_groups_only():
    groups = [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/a", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/b"]
    doc = iam.logs_key_policy(ACCOUNT, REGION, groups)
    use = next(s for s in statements(doc) if s["Sid"] == "CloudWatchLogsUse")
    assert use["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert use["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": groups}}
    assert "kms:Describe*" not in use["Action"]  # DescribeKey has no encryption context: it could never match
