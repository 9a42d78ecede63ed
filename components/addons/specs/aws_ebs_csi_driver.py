"""Amazon EBS CSI driver: PersistentVolumes on EBS (the platform's default gp3 StorageClass uses it)."""

from components.addons import iam
from components.addons.spec import AddonContext, AddonSpec, ServiceAccount, resources


def values(ctx: AddonContext) -> dict:
    return {
        "controller": {**ctx.system.pod(), "resources": resources("10m", "40Mi", "256Mi")},
        # The node DaemonSet runs everywhere volumes may be attached (tolerates every taint by default); the
        # platform declares its own default gp3 StorageClass (encrypted with the stack's key).
    }


def policy(ctx: AddonContext) -> dict:
    return iam.ebs_csi_policy(ctx.partition, ctx.region, ctx.account_id, [ctx.volume_kms_key_arn])


SPEC = AddonSpec(
    name="aws-ebs-csi-driver",
    description="EBS volumes for PersistentVolumeClaims (default StorageClass gp3, KMS-encrypted)",
    kind="eks",
    namespace="kube-system",
    default_on=(True, True),
    values=values,
    policy=policy,
    service_account=ServiceAccount("kube-system", "ebs-csi-controller-sa"),
)
