"""Argo Rollouts: canary and blue/green Deployments. Optional."""

from components.addons.spec import AddonContext, AddonSpec, resources


def values(ctx: AddonContext) -> dict:
    return {
        "installCRDs": True,
        "keepCRDs": True,
        "controller": {
            "replicas": 2 if ctx.production else 1,
            "resources": resources("50m", "128Mi", "256Mi"),
        },
        "dashboard": {"enabled": False},
    }


SPEC = AddonSpec(
    name="argo-rollouts",
    description="Canary / blue-green rollouts",
    kind="helm",
    namespace="argo-rollouts",
    default_on=(False, False),
    values=values,
    node_pool="any",
    own_namespace_ingress_ports=(8090,),  # metrics
)
