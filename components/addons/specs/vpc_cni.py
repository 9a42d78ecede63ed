"""Amazon VPC CNI: pod networking from VPC IPs, with network policy enforcement on."""

from components.addons import iam
from components.addons.spec import AddonContext, AddonSpec, ServiceAccount


def values(ctx: AddonContext) -> dict:
    env = {}
    if ctx.settings.prefix_delegation:
        # /28 prefixes instead of single IPs: ~110 pods on an m7i.large instead of 29, fewer EC2 calls.
        env = {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
    # The node agent enforces Kubernetes NetworkPolicies (the platform's default-deny ones included).
    return {"enableNetworkPolicy": "true", **({"env": env} if env else {})}


def policy(ctx: AddonContext) -> dict:
    return iam.vpc_cni_policy(ctx.partition, ctx.region, ctx.account_id, ctx.arn("ec2", f"vpc/{ctx.vpc_id}"))


SPEC = AddonSpec(
    name="vpc-cni",
    description="Pod networking (VPC IPs, prefix delegation) and NetworkPolicy enforcement",
    kind="eks",
    namespace="kube-system",
    default_on=(True, True),
    values=values,
    policy=policy,
    service_account=ServiceAccount("kube-system", "aws-node"),
    node_pool="any",
    needs_nodes=False,  # a DaemonSet: ready with zero nodes
    # Nodes stay NotReady until the CNI runs, and the node role has no CNI permissions: the add-on and its Pod
    # Identity association come first, so the first nodes' aws-node pods start with credentials.
    before_nodes=True,
)
