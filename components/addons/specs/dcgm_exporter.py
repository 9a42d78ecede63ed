"""DCGM exporter: GPU metrics (utilisation, memory, temperature, errors) for Prometheus. Optional.

A DaemonSet on the NVIDIA nodes (same affinity and toleration as the device plugin). Its ServiceMonitor needs the
Prometheus Operator's CRDs: created only with kube-prometheus-stack. Chart keys and defaults read from
NVIDIA/dcgm-exporter 4.5.3-4.8.2 deployment/values.yaml (chart 4.8.2; it runs as root with SYS_ADMIN for
profiling metrics, so it stays in kube-system). Rendered from that tag with these values (Helm's engine, offline): a
DaemonSet with this affinity and toleration, image nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless, no
ServiceMonitor without kube-prometheus-stack.
"""

from components.addons.spec import AddonContext, AddonSpec, resources
from components.addons.specs.nvidia_device_plugin import GPU_TOLERATION, NVIDIA_NODES


def values(ctx: AddonContext) -> dict:
    return {
        "affinity": NVIDIA_NODES,
        "tolerations": [GPU_TOLERATION],
        "serviceMonitor": {"enabled": "kube-prometheus-stack" in ctx.enabled},
        # The chart's own requests and memory limit (values.yaml); Helm merges maps, so its 200m CPU limit stays.
        "resources": resources("100m", "128Mi", "512Mi"),
    }


SPEC = AddonSpec(
    name="dcgm-exporter",
    description="NVIDIA GPU metrics for Prometheus",
    kind="helm",
    namespace="kube-system",
    default_on=(False, False),
    values=values,
    node_pool="any",
    needs_nodes=False,  # a DaemonSet
    optional_after=("kube-prometheus-stack",),  # its ServiceMonitor CRD
)
