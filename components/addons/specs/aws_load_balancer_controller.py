"""AWS Load Balancer Controller: ALBs for Ingress, NLBs for Services of type LoadBalancer."""

from components.addons import iam
from components.addons.spec import AddonContext, AddonSpec, ServiceAccount, resources, system_pod

SERVICE_ACCOUNT = ServiceAccount("kube-system", "aws-load-balancer-controller")


def values(ctx: AddonContext) -> dict:
    return {
        "clusterName": ctx.cluster_name,
        # Nodes allow one IMDS hop, so pods cannot discover region or VPC: give both explicitly.
        "region": ctx.region,
        "vpcId": ctx.vpc_id,
        "replicaCount": 2,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT.name},
        **system_pod(ctx),
        "resources": resources("100m", "128Mi", "256Mi"),
        "podDisruptionBudget": {"maxUnavailable": 1},
        # The chart's webhook certificate: from cert-manager when it is installed (stable across `up`s);
        # otherwise the chart generates one at render time.
        "enableCertManager": "cert-manager" in ctx.enabled,
    }


def policy(ctx: AddonContext) -> dict:
    return iam.load_balancer_controller_policy(
        ctx.partition, ctx.region, ctx.account_id, ctx.cluster_name, ctx.arn("ec2", f"vpc/{ctx.vpc_id}")
    )


SPEC = AddonSpec(
    name="aws-load-balancer-controller",
    description="ALB for Ingress, NLB for Service type LoadBalancer",
    kind="helm",
    namespace="kube-system",
    default_on=(True, True),
    values=values,
    policy=policy,
    service_account=SERVICE_ACCOUNT,
    # Its webhook certificate is a cert-manager Certificate when cert-manager is on.
    optional_after=("cert-manager",),
)
