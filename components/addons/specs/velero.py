"""Velero: cluster backups to an S3 bucket (SSE-KMS) this stack creates, EBS snapshots. Optional."""

from __future__ import annotations

from typing import Any

from components import naming, versions
from components.addons import iam
from components.addons.spec import AddonContext, AddonSpec, ServiceAccount, resources

SERVICE_ACCOUNT = ServiceAccount("velero", "velero")


def bucket_name(environment: str, account_id: str) -> str:
    return f"{naming.PROJECT}-{environment}-velero-{account_id}"


def values(ctx: AddonContext) -> dict:
    return {
        # The AWS object store / snapshotter plugin is an init container that copies itself into /target.
        "initContainers": [
            {
                "name": "velero-plugin-for-aws",
                "image": versions.VELERO_AWS_PLUGIN_IMAGE,
                "imagePullPolicy": "IfNotPresent",
                "volumeMounts": [{"mountPath": "/target", "name": "plugins"}],
                # The velero namespace enforces Pod Security `restricted`; the chart gives the values' init
                # containers nothing (found by `platformctl addons check`). It only copies the plugin binary.
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "readOnlyRootFilesystem": True,
                },
                "resources": resources("10m", "32Mi", "64Mi"),
            }
        ],
        "configuration": {
            "backupStorageLocation": [
                {
                    "name": "default",
                    "provider": "aws",
                    "bucket": ctx.extra["bucket"],
                    "config": {"region": ctx.region, "kmsKeyId": ctx.extra["bucketKeyArn"]},
                }
            ],
            "volumeSnapshotLocation": [{"name": "default", "provider": "aws", "config": {"region": ctx.region}}],
        },
        "credentials": {"useSecret": False},  # Pod Identity
        "serviceAccount": {"server": {"create": True, "name": SERVICE_ACCOUNT.name}},
        # A Helm hook Job; the Chart applies the chart's CRDs itself.
        "upgradeCRDs": False,
        "deployNodeAgent": False,
        "resources": resources("100m", "128Mi", "512Mi"),
        # The chart sets no security context: the restricted profile, explicitly.
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "fsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
    }


def policy(ctx: AddonContext) -> dict:
    return iam.velero_policy(
        ctx.partition,
        ctx.region,
        ctx.account_id,
        ctx.extra["bucket"],
        ctx.extra["bucketKeyArn"],
        [ctx.volume_kms_key_arn],
    )


def provision(parent: Any, name: str, environment: str, account_id: Any, opts: Any) -> dict[str, Any]:
    """The backup bucket: SSE-KMS with its own rotating key, no public access, versioned."""
    import pulumi
    import pulumi_aws as aws

    key = aws.kms.Key(
        f"{name}-key",
        description=f"{naming.PROJECT}-{environment}: Velero backups",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        tags=naming.name_tag(environment, "velero-key"),
        opts=opts,
    )
    bucket = aws.s3.Bucket(
        f"{name}-bucket",
        bucket=pulumi.Output.from_input(account_id).apply(lambda a: bucket_name(environment, a)),
        tags=naming.name_tag(environment, "velero"),
        opts=opts,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-bucket-sse",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn
                ),
                bucket_key_enabled=True,
            )
        ],
        opts=opts,
    )
    aws.s3.BucketPublicAccessBlock(
        f"{name}-bucket-pab",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketVersioning(
        f"{name}-bucket-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=opts,
    )
    return {"bucket": bucket.bucket, "bucketKeyArn": key.arn}


SPEC = AddonSpec(
    name="velero",
    description="Backups to a KMS-encrypted S3 bucket + EBS snapshots",
    kind="helm",
    namespace="velero",
    default_on=(False, False),
    values=values,
    policy=policy,
    service_account=SERVICE_ACCOUNT,
    node_pool="any",
    own_namespace_ingress_ports=(8085,),  # metrics
    provision=provision,
)
