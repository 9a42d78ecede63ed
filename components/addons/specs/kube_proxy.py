"""kube-proxy: Service routing on every node."""

from components.addons.spec import AddonSpec

SPEC = AddonSpec(
    name="kube-proxy",
    description="Service networking on every node",
    kind="eks",
    namespace="kube-system",
    default_on=(True, True),
    node_pool="any",
    needs_nodes=False,  # a DaemonSet on every node
)
