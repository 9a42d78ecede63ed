"""metrics-server: the resource metrics API behind `kubectl top` and HorizontalPodAutoscalers."""

from components.addons.spec import AddonContext, AddonSpec, resources, system_pod


def values(ctx: AddonContext) -> dict:
    replicas = 2 if ctx.production else 1
    return {
        "replicas": replicas,
        **system_pod(ctx),
        "resources": resources("100m", "200Mi", "400Mi"),
        "podDisruptionBudget": {"enabled": replicas > 1, "maxUnavailable": 1},
    }


SPEC = AddonSpec(
    name="metrics-server",
    description="Resource metrics API (HPA, kubectl top)",
    kind="helm",
    namespace="kube-system",
    default_on=(True, True),
    values=values,
)
