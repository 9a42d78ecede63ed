"""The add-on catalog: every spec, by name, in install-independent order. Pure (no Pulumi imports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.addons.spec import AddonSpec
from components.addons.specs import (
    amazon_cloudwatch_observability,
    argo_rollouts,
    aws_ebs_csi_driver,
    aws_for_fluent_bit,
    aws_load_balancer_controller,
    cert_manager,
    cluster_autoscaler,
    coredns,
    dcgm_exporter,
    external_dns,
    external_secrets,
    keda,
    kube_prometheus_stack,
    kube_proxy,
    metrics_server,
    nvidia_device_plugin,
    velero,
    vpc_cni,
)

if TYPE_CHECKING:
    from components.config.addons import AddonsConfig

CATALOG: dict[str, AddonSpec] = {
    m.SPEC.name: m.SPEC
    for m in (
        # EKS managed add-ons
        vpc_cni,
        coredns,
        kube_proxy,
        aws_ebs_csi_driver,
        amazon_cloudwatch_observability,
        # Helm add-ons
        aws_load_balancer_controller,
        external_dns,
        metrics_server,
        aws_for_fluent_bit,
        cert_manager,
        external_secrets,
        kube_prometheus_stack,
        argo_rollouts,
        keda,
        velero,
        cluster_autoscaler,
        nvidia_device_plugin,
        dcgm_exporter,
    )
}


def is_enabled(name: str, addons: AddonsConfig, production: bool) -> bool:
    """The stack's toggle, else the catalog default for the environment (off while not configured)."""
    spec = CATALOG[name]
    settings = addons.settings(name)
    if settings.enabled is not None:
        return settings.enabled
    return spec.default_on[production] and spec.configured(settings)


def enabled_addons(addons: AddonsConfig, production: bool) -> list[str]:
    """Names of the enabled add-ons, in catalog order."""
    return [name for name in CATALOG if is_enabled(name, addons, production)]
