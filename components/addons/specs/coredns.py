"""CoreDNS: cluster DNS, on the system pool, spread across AZs."""

from components.addons.spec import AddonContext, AddonSpec, resources


def values(ctx: AddonContext) -> dict:
    replicas = ctx.settings.replicas or (3 if ctx.production else 2)
    return {
        "replicaCount": replicas,
        **ctx.system.pod(),
        "resources": resources("100m", "70Mi", "170Mi"),
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
    }


SPEC = AddonSpec(
    name="coredns",
    description="Cluster DNS",
    kind="eks",
    namespace="kube-system",
    default_on=(True, True),
    values=values,
    # Without schedulable nodes the add-on stays DEGRADED and the first `up` hangs: wait for the system pool.
    needs_nodes=True,
)
