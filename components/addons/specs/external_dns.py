"""external-dns: Route 53 records for Services and Ingresses, in the configured zones only."""

from components.addons import iam
from components.addons.spec import AddonContext, AddonSpec, ServiceAccount, resources, system_pod

SERVICE_ACCOUNT = ServiceAccount("kube-system", "external-dns")


def values(ctx: AddonContext) -> dict:
    s = ctx.settings
    return {
        "provider": {"name": "aws"},
        # No IMDS from pods (hop limit 1): the region is given explicitly.
        "env": [{"name": "AWS_DEFAULT_REGION", "value": ctx.region}],
        "sources": ["service", "ingress"],
        # sync deletes the records it owns when their source goes; production never deletes.
        "policy": s.policy or ("upsert-only" if ctx.production else "sync"),
        "registry": "txt",
        # One owner per stack: two clusters sharing a zone never touch each other's records.
        "txtOwnerId": ctx.cluster_name,
        "domainFilters": list(s.domain_filters),
        "extraArgs": [f"--zone-id-filter={z}" for z in s.hosted_zone_ids],
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT.name},
        **system_pod(ctx),
        "resources": resources("50m", "64Mi", "128Mi"),
    }


def policy(ctx: AddonContext) -> dict:
    return iam.external_dns_policy(ctx.partition, ctx.settings.hosted_zone_ids)


SPEC = AddonSpec(
    name="external-dns",
    description="Route 53 records for Services/Ingresses (configured zones only)",
    kind="helm",
    namespace="kube-system",
    default_on=(True, True),
    values=values,
    policy=policy,
    service_account=SERVICE_ACCOUNT,
    # On by default only once hosted zones are configured (its role is limited to them).
    configured=lambda settings: bool(settings.hosted_zone_ids),
)
