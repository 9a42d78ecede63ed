"""Cluster Autoscaler: scales the managed node groups. An alternative to Karpenter (never both). Optional."""

from components import versions
from components.addons import iam
from components.addons.spec import AddonContext, AddonSpec, ServiceAccount, resources, system_pod

SERVICE_ACCOUNT = ServiceAccount("kube-system", "cluster-autoscaler")


def values(ctx: AddonContext) -> dict:
    return {
        "cloudProvider": "aws",
        "awsRegion": ctx.region,  # no IMDS from pods
        "autoDiscovery": {"clusterName": ctx.cluster_name},
        "image": {"tag": versions.CLUSTER_AUTOSCALER_IMAGE_TAGS[ctx.kubernetes_version]},
        "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT.name}},
        **system_pod(ctx),
        "resources": resources("100m", "300Mi", "600Mi"),
        "extraArgs": {
            "balance-similar-node-groups": True,
            "expander": "least-waste",
            "skip-nodes-with-system-pods": False,
        },
    }


def policy(ctx: AddonContext) -> dict:
    return iam.cluster_autoscaler_policy(ctx.partition, ctx.region, ctx.account_id, ctx.cluster_name)


SPEC = AddonSpec(
    name="cluster-autoscaler",
    description="Node group autoscaling (alternative to Karpenter)",
    kind="helm",
    namespace="kube-system",
    default_on=(False, False),
    values=values,
    policy=policy,
    service_account=SERVICE_ACCOUNT,
)
