"""Amazon CloudWatch Observability: Container Insights (metrics) for the cluster. Optional per environment."""

from components.addons import iam
from components.addons.spec import AddonContext, AddonSpec, ServiceAccount


def values(ctx: AddonContext) -> dict:
    # Container logs go through aws-for-fluent-bit into the stack's own log groups when it is on; the add-on's
    # own Fluent Bit would ship them twice (into log groups it creates itself, without our KMS key).
    return {"containerLogs": {"enabled": "aws-for-fluent-bit" not in ctx.enabled}}


def policy(ctx: AddonContext) -> dict:
    return iam.cloudwatch_agent_policy(ctx.partition, ctx.region, ctx.account_id, ctx.cluster_name)


def log_groups(ctx: AddonContext) -> list[str]:
    # Created here (KMS, retention) before the agent would create it without either.
    return [f"/aws/containerinsights/{ctx.cluster_name}/performance"]


SPEC = AddonSpec(
    name="amazon-cloudwatch-observability",
    description="Container Insights metrics (CloudWatch agent)",
    kind="eks",
    namespace="amazon-cloudwatch",
    default_on=(False, True),
    values=values,
    policy=policy,
    service_account=ServiceAccount("amazon-cloudwatch", "cloudwatch-agent"),
    node_pool="any",
    log_groups=log_groups,
)
