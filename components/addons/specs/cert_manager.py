"""cert-manager: certificates for the cluster (CRDs included), with a Let's Encrypt DNS-01 (Route 53) issuer."""

from components.addons import iam
from components.addons.spec import SYSTEM_CRITICAL, AddonContext, AddonSpec, ServiceAccount, resources
from components.config.addons import cert_manager_zones

SERVICE_ACCOUNT = ServiceAccount("cert-manager", "cert-manager")
CLUSTER_ISSUER = "letsencrypt-dns01"
ACME_SERVERS = {
    "production": "https://acme-v02.api.letsencrypt.org/directory",
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}


def zones(ctx: AddonContext) -> list[str]:
    """The zones the DNS-01 solver may write to: certManager.hostedZoneIds, else externalDns's."""
    return cert_manager_zones(ctx.addons)


def values(ctx: AddonContext) -> dict:
    replicas = 2 if ctx.production else 1
    pod = {**ctx.system.pod(), "replicaCount": replicas}
    return {
        "crds": {"enabled": True, "keep": True},  # CRDs survive an uninstall (and the certificates with them)
        "global": {"priorityClassName": SYSTEM_CRITICAL},
        **pod,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT.name},
        "resources": resources("50m", "128Mi", "256Mi"),
        "webhook": {**pod, "resources": resources("20m", "64Mi", "128Mi")},
        "cainjector": {**pod, "resources": resources("20m", "128Mi", "256Mi")},
        # A Helm post-install hook Job; Pulumi's Chart waits for the webhook Deployment to be ready instead.
        "startupapicheck": {"enabled": False},
    }


def policy(ctx: AddonContext) -> dict:
    return iam.cert_manager_policy(ctx.partition, zones(ctx))


def cluster_issuer(ctx: AddonContext) -> dict[str, dict]:
    s = ctx.settings
    if not s.acme_email or not zones(ctx):
        return {}
    return {
        "cluster-issuer": {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": {"name": CLUSTER_ISSUER},
            "spec": {
                "acme": {
                    "email": s.acme_email,
                    "server": ACME_SERVERS[s.acme_environment],
                    "privateKeySecretRef": {"name": f"{CLUSTER_ISSUER}-account-key"},
                    # Ambient credentials: cert-manager's Pod Identity role; the zone is found by name.
                    "solvers": [{"dns01": {"route53": {"region": ctx.region}}}],
                }
            },
        }
    }


SPEC = AddonSpec(
    name="cert-manager",
    description="Certificates (CRDs; Let's Encrypt DNS-01 via Route 53)",
    kind="helm",
    namespace="cert-manager",
    default_on=(True, True),
    values=values,
    policy=policy,
    service_account=SERVICE_ACCOUNT,
    # Route 53 access only for the DNS-01 solver, so only with zones to solve in.
    role_when=lambda addons: bool(cert_manager_zones(addons)),
    # The webhook (10250) is called by the API server; every component serves Prometheus metrics on 9402 (the
    # chart's Services route there: found by `platformctl addons check` on the rendered chart).
    own_namespace_ingress_ports=(10250, 9402),
    after_install=cluster_issuer,
)
