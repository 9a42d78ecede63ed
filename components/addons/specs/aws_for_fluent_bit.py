"""aws-for-fluent-bit: container logs to a CloudWatch log group this stack creates (KMS, retention).

Chart 0.2.0 (components/versions.py) runs AWS for Fluent Bit 3.2.1, built on Fluent Bit 4.2 (aws/eks-charts
commit 2942cdc: "AWS for Fluent Bit 3.2.0 (based on Fluent Bit 4.2.2)"). Its credential chain reads EKS Pod Identity
(AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, fluent/fluent-bit
src/aws/flb_aws_credentials_http.c, since v4.0.0); chart 0.1.35's image (AWS for Fluent Bit 2.32.2.20240516, Fluent
Bit 1.9) predates AWS's own Pod Identity backport (2.32.5), and pods cannot reach the node role (IMDS hop limit 1).
"""

from components.addons import iam
from components.addons.spec import AddonContext, AddonSpec, ServiceAccount, resources

SERVICE_ACCOUNT = ServiceAccount("kube-system", "aws-for-fluent-bit")


def log_group(ctx: AddonContext) -> str:
    return f"/aws/eks/{ctx.cluster_name}/containers"


# Fluent Bit's cloudwatch_logs output needs exactly one of log_stream_name / log_stream_prefix, or it fails at start
# (plugins/out_cloudwatch_logs/cloudwatch_logs.c, v4.2.2); the chart's configmap.yaml (0.2.0) writes each only when
# non-empty. A prefix gives one stream per container log file: `<prefix><tag>`.
LOG_STREAM_PREFIX = "fluentbit-"


def values(ctx: AddonContext) -> dict:
    return {
        "cloudWatchLogs": {
            "enabled": True,
            "region": ctx.region,  # no IMDS from pods
            "logGroupName": log_group(ctx),
            "logStreamPrefix": LOG_STREAM_PREFIX,
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
