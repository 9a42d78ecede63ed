"""aws-for-fluent-bit: container logs to a CloudWatch log group this stack creates (KMS, retention)."""

from components.addons import iam
from components.addons.spec import AddonContext, AddonSpec, ServiceAccount, resources

SERVICE_ACCOUNT = ServiceAccount("kube-system", "aws-for-fluent-bit")


def log_group(ctx: AddonContext) -> str:
    return f"/aws/eks/{ctx.cluster_name}/containers"


def values(ctx: AddonContext) -> dict:
    return {
        "cloudWatchLogs": {
            "enabled": True,
            "region": ctx.region,  # no IMDS from pods
            "logGroupName": log_group(ctx),
            "logStreamPrefix": "",
            # The group exists (created by the stack with KMS and retention); never let the agent create one.
            "autoCreateGroup": False,
        },
        # The chart's other outputs, off.
        "cloudWatch": {"enabled": False},
        "firehose": {"enabled": False},
        "kinesis": {"enabled": False},
        "elasticsearch": {"enabled": False},
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT.name},
        # A DaemonSet on every node, whatever its taints; reads /var/log through hostPath (kube-system).
        "tolerations": [{"operator": "Exists"}],
        "priorityClassName": "system-node-critical",
        "resources": resources("50m", "64Mi", "256Mi"),
    }


def policy(ctx: AddonContext) -> dict:
    return iam.log_writer_policy([ctx.log_group_arn(log_group(ctx))])


SPEC = AddonSpec(
    name="aws-for-fluent-bit",
    description="Container logs to the stack's CloudWatch log group",
    kind="helm",
    namespace="kube-system",
    default_on=(True, True),
    values=values,
    policy=policy,
    service_account=SERVICE_ACCOUNT,
    node_pool="any",
    needs_nodes=False,  # a DaemonSet
    log_groups=lambda ctx: [log_group(ctx)],
)
