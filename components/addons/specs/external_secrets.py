"""External Secrets Operator: Kubernetes Secrets from AWS Secrets Manager and SSM Parameter Store."""

from components import naming
from components.addons import iam
from components.addons.spec import SYSTEM_CRITICAL, AddonContext, AddonSpec, ServiceAccount, resources

SERVICE_ACCOUNT = ServiceAccount("external-secrets", "external-secrets")
STORES = {"aws-secrets-manager": "SecretsManager", "aws-parameter-store": "ParameterStore"}


def path_prefix(ctx: AddonContext) -> str:
    return naming.secrets_path_prefix(ctx.environment, ctx.settings.path_prefix)


def values(ctx: AddonContext) -> dict:
    replicas = 2 if ctx.production else 1
    pod = {**ctx.system.pod(), "priorityClassName": SYSTEM_CRITICAL}
    return {
        "installCRDs": True,
        "replicaCount": replicas,
        # More than one controller replica without leader election means two active reconcilers. The chart
        # (1.1.0, values.yaml `leaderElect`, templates/deployment.yaml) passes --enable-leader-election=true.
        "leaderElect": replicas > 1,
        **pod,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT.name},
        "resources": resources("50m", "128Mi", "256Mi"),
        "webhook": {**pod, "replicaCount": replicas, "resources": resources("20m", "64Mi", "128Mi")},
        "certController": {**pod, "resources": resources("20m", "64Mi", "128Mi")},
    }


def policy(ctx: AddonContext) -> dict:
    s = ctx.settings
    return iam.external_secrets_policy(ctx.partition, ctx.region, ctx.account_id, path_prefix(ctx), s.kms_key_arns)


def secret_stores(ctx: AddonContext) -> dict[str, dict]:
    """One ClusterSecretStore per AWS service; ExternalSecrets name keys under the path prefix."""
    return {
        name: {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ClusterSecretStore",
            "metadata": {"name": name},
            "spec": {"provider": {"aws": {"service": service, "region": ctx.region}}},
        }
        for name, service in STORES.items()
    }


SPEC = AddonSpec(
    name="external-secrets",
    description="Secrets from Secrets Manager / Parameter Store (one path prefix)",
    kind="helm",
    namespace="external-secrets",
    default_on=(True, True),
    values=values,
    policy=policy,
    service_account=SERVICE_ACCOUNT,
    own_namespace_ingress_ports=(10250,),  # the webhook
    after_install=secret_stores,
)
