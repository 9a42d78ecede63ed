"""kube-prometheus-stack: Prometheus Operator, Prometheus, Alertmanager, Grafana. Optional."""

from components.addons.spec import AddonContext, AddonSpec, resources


def values(ctx: AddonContext) -> dict:
    return {
        "prometheusOperator": {
            "resources": resources("100m", "128Mi", "256Mi"),
            # The hook Jobs that create and patch the webhook's certificate (both read `patch.resources`).
            "admissionWebhooks": {"patch": {"resources": resources("10m", "32Mi", "64Mi")}},
        },
        # Subcharts (chart 85.3.3: grafana, kube-state-metrics) leave their containers without resources.
        "grafana": {
            "resources": resources("100m", "256Mi", "512Mi"),
            "sidecar": {"resources": resources("10m", "64Mi", "128Mi")},  # dashboards and datasources sidecars
        },
        "kube-state-metrics": {"resources": resources("50m", "128Mi", "256Mi")},
        "prometheus": {
            "prometheusSpec": {
                "retention": "15d",
                "resources": resources("500m", "2Gi", "4Gi"),
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": "gp3",
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "50Gi"}},
                        }
                    }
                },
            }
        },
        "alertmanager": {"alertmanagerSpec": {"resources": resources("50m", "64Mi", "128Mi")}},
        # node-exporter needs host namespaces and hostPath: not admissible under the namespace's Pod Security.
        "nodeExporter": {"enabled": False},
    }


SPEC = AddonSpec(
    name="kube-prometheus-stack",
    description="Prometheus, Alertmanager, Grafana (Prometheus Operator)",
    kind="helm",
    namespace="monitoring",
    default_on=(False, False),
    values=values,
    node_pool="any",
    install_with="release",
    release_reason=(
        "the chart provisions its admission webhook certificates with Helm hook Jobs (and ships CRDs too large "
        "for client-side apply); Helm runs the hooks, atomic rollback on failure"
    ),
    egress_any=True,
    own_namespace_ingress_ports=(10250, 8080, 9090, 9093, 3000),
)
