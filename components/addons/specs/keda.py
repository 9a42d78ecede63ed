"""KEDA: event-driven autoscaling (SQS, Prometheus, cron...). Optional."""

from components.addons.spec import AddonContext, AddonSpec, resources


def values(ctx: AddonContext) -> dict:
    return {
        "resources": {
            "operator": resources("100m", "128Mi", "256Mi"),
            "metricServer": resources("100m", "128Mi", "256Mi"),
            "webhooks": resources("50m", "64Mi", "128Mi"),
        },
    }


SPEC = AddonSpec(
    name="keda",
    description="Event-driven autoscaling",
    kind="helm",
    namespace="keda",
    default_on=(False, False),
    values=values,
    node_pool="any",
    # The external metrics API (6443) and the admission webhook (9443) are called by the API server; the metrics
    # API server calls the operator's metrics service (9666) in the namespace; 8080 serves Prometheus metrics (the
    # chart's Services route to all four: found by `platformctl addons check` on the rendered chart).
    egress_any=True,
    own_namespace_ingress_ports=(6443, 9443, 9666, 8080),
)
