"""NVIDIA device plugin: advertises each GPU node's GPUs as `nvidia.com/gpu`, so pods can request them.

A DaemonSet on the NVIDIA nodes only (the platform labels them `eks-platform/accelerator: nvidia`: managed node
groups with an AL2023 NVIDIA AMI type and Karpenter accelerator NodePools), tolerating their `nvidia.com/gpu`
taint. On by default when the stack has such a pool. Chart keys and defaults read from NVIDIA/k8s-device-plugin
v0.20.0 deployments/helm/nvidia-device-plugin/values.yaml: without our affinity the chart selects nodes by Node
Feature Discovery labels, which this platform does not install. Rendered from that tag with these values (Helm's
engine, offline): the device plugin DaemonSet (and the chart's MPS control daemon, which only runs where MPS is
configured) with this affinity and toleration, image nvcr.io/nvidia/k8s-device-plugin:v0.20.0.
"""

from components.addons.spec import AddonContext, AddonSpec, resources
from components.config import accelerators

# The DaemonSet runs only where the platform put NVIDIA GPUs.
NVIDIA_NODES = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": accelerators.LABEL, "operator": "In", "values": ["nvidia"]}]}
            ]
        }
    }
}
GPU_TOLERATION = {"key": accelerators.RESOURCES["nvidia"], "operator": "Exists", "effect": "NoSchedule"}


def values(ctx: AddonContext) -> dict:
    return {
        "affinity": NVIDIA_NODES,
        "tolerations": [GPU_TOLERATION],
        "priorityClassName": "system-node-critical",
        # The chart sets none; these are the platform's own starting point (not measured here), tune with `values`.
        "resources": resources("50m", "64Mi", "128Mi"),
    }


SPEC = AddonSpec(
    name="nvidia-device-plugin",
    description="GPUs as the nvidia.com/gpu resource on NVIDIA nodes",
    kind="helm",
    namespace="kube-system",
    # Off unless a node pool or Karpenter NodePool is NVIDIA: then on (components/config/addons.py).
    default_on=(False, False),
    values=values,
    node_pool="any",
    needs_nodes=False,  # a DaemonSet: ready with zero GPU nodes
)
