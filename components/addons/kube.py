"""Kubernetes objects the add-ons component declares directly, as pure dict builders (unit-tested)."""

from __future__ import annotations

from components.addons.spec import AddonSpec

DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
PSA = "pod-security.kubernetes.io"
POD_IDENTITY_AGENT = "169.254.170.23/32"  # EKS Pod Identity agent, link-local on every node


def gp3_storage_class(kms_key_arn: str) -> dict:
    """The default StorageClass: gp3 through the EBS CSI driver, encrypted with the stack's KMS key, bound
    where the pod lands (WaitForFirstConsumer: the volume's AZ follows the pod), expandable in place."""
    return {
        "metadata": {"name": "gp3", "annotations": {DEFAULT_CLASS: "true"}},
        "provisioner": "ebs.csi.aws.com",
        "parameters": {
            "type": "gp3",
            "encrypted": "true",
            "kmsKeyId": kms_key_arn,
            "csi.storage.k8s.io/fstype": "ext4",
        },
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
        "reclaimPolicy": "Delete",
    }


def gp2_not_default() -> dict:
    """Server-side-apply patch taking the default flag off EKS's gp2 StorageClass (forced: older clusters
    created it with the flag set by another field manager)."""
    return {
        "metadata": {
            "name": "gp2",
            "annotations": {DEFAULT_CLASS: "false", "pulumi.com/patchForce": "true"},
        }
    }


def namespace(spec: AddonSpec, kubernetes_version: str) -> dict:
    """An add-on's own namespace, enforcing (and auditing, warning) its Pod Security level, version pinned."""
    level, version = spec.pod_security, f"v{kubernetes_version}"
    labels = {"app.kubernetes.io/part-of": "eks-platform-addons"}
    for mode in ("enforce", "audit", "warn"):
        labels[f"{PSA}/{mode}"] = level
        labels[f"{PSA}/{mode}-version"] = version
    return {"metadata": {"name": spec.namespace, "labels": labels}}


def default_deny(spec: AddonSpec) -> dict:
    """Nothing in or out of the namespace, but DNS."""
    return {
        "metadata": {"name": "default-deny", "namespace": spec.namespace},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "egress": [{"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
        },
    }


def addon_traffic(spec: AddonSpec) -> dict:
    """What the add-on needs on top: HTTPS out (API server, AWS APIs, ACME), the Pod Identity agent, and the
    ports its pods serve to the API server (webhooks, aggregated APIs) or to scrapers."""
    egress: list[dict] = (
        [{}]  # scrapers and scalers reach arbitrary ports
        if spec.egress_any
        else [
            {"ports": [{"protocol": "TCP", "port": 443}]},
            {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}], "ports": [{"protocol": "TCP", "port": 80}]},
        ]
    )
    policy: dict = {"podSelector": {}, "policyTypes": ["Egress"], "egress": egress}
    ports = spec.own_namespace_ingress_ports or ()
    if ports:
        policy["policyTypes"] = ["Ingress", "Egress"]
        policy["ingress"] = [{"ports": [{"protocol": "TCP", "port": p} for p in ports]}]
    return {"metadata": {"name": f"{spec.name}-traffic", "namespace": spec.namespace}, "spec": policy}
