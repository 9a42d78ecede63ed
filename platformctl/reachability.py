"""Can the deploy reach the cluster? Offline: a stack that declares Kubernetes resources applies them through the
cluster's API endpoint, so some configured deployer must be able to reach it.

Reaches it: the deploy runner (`platform:deployRunner`, inside the VPC, admitted by the cluster security group), a
fleet hub's deploy runner for a spoke the hub reaches privately (`apiAccess: private`: the spoke admits the hub's VPC;
docs/fleets.md), or anyone when the public endpoint is open to every address. A private endpoint, or a public one
limited to some CIDRs, is reachable only from inside the VPC or those CIDRs: CI on GitHub-hosted runners is neither,
and where else a deploy runs cannot be known offline, so `platformctl plan` and `policy` warn.
"""

from __future__ import annotations

from typing import Any

KUBERNETES = ("kubernetes:", "pulumi:providers:kubernetes")
EVERYWHERE = ("0.0.0.0/0", "::/0")


def kubernetes_resources(plan: Any) -> list[Any]:
    """Kubernetes objects and the providers they use. A Kubernetes provider nothing uses reaches nothing (pulumi-eks
    registers its own for the aws-auth ConfigMap, storage classes and the VPC CNI, none of which this program has)."""
    objects = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    used = {r.provider for r in objects}
    return [r for r in plan.resources if r.type == "pulumi:providers:kubernetes" and r.urn in used] + objects


def unreachable_warning(plan: Any) -> str | None:
    """One warning line, or None when the stack declares no Kubernetes resource or a deployer reaches the API."""
    k8s = kubernetes_resources(plan)
    cfg = plan.config
    if not k8s or cfg.deploy_runner.enabled or _reached_from_the_hub(plan.stack):
        return None
    endpoint = cfg.cluster.endpoint
    if endpoint.public_access and any(c in EVERYWHERE for c in endpoint.public_access_cidrs):
        return None
    if endpoint.public_access:
        where = f"its API endpoint is public only to {', '.join(endpoint.public_access_cidrs)}"
        only = "inside the VPC or those CIDRs"
    else:
        where = "its API endpoint is private (platform:cluster.endpoint.publicAccess: false)"
        only = "inside the VPC"
    return (
        f"warning: stack {plan.stack} declares {len(k8s)} Kubernetes resources, but {where} and no deploy runner is "
        f"configured: they are unreachable from CI on GitHub-hosted runners (only a deploy from {only} can apply "
        "them); enable platform:deployRunner"
    )


def _reached_from_the_hub(stack: str) -> bool:
    """A fleet spoke whose hub has a deploy runner and reaches the spokes' APIs from its VPC."""
    from components.config import ConfigError, load_stack_config
    from components.config.fleet import SPOKE, fleet_of
    from components.paths import project_root

    try:
        found = fleet_of(project_root(), stack)
        if found is None or found[1] != SPOKE or found[0].api_access != "private":
            return False
        return load_stack_config(found[0].hub, project_dir=project_root()).deploy_runner.enabled
    except ConfigError:
        return False
