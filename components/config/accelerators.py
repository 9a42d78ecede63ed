"""GPU and Neuron instances: which families carry which accelerator, the EKS AMI types with its driver, and
the taint, label and extended resource a pool of them gets. Pure data and functions.

Instance families: Karpenter's generated instance-type reference (aws/karpenter-provider-aws
website/content/en/docs/reference/instance-types.md, generated from EC2 DescribeInstanceTypes; checked at commit
1d927085, 2026-08): `karpenter.k8s.aws/instance-gpu-manufacturer: nvidia` and `instance-accelerator-manufacturer:
aws` (Inferentia, Trainium; resource `aws.amazon.com/neuron`). Older NVIDIA families that list omits (p2, p3, g3)
are not recognised here (their GPUs predate the drivers of the AL2023 accelerated AMIs); AMD's g4ad is not an
accelerator pool here.

AMI types: the EKS API's `AMITypes` enum (botocore 1.43 eks/2017-11-01 service model, the values pulumi-aws's
`aws.eks.NodeGroup.ami_type` passes through): AL2023_x86_64_NVIDIA, AL2023_ARM_64_NVIDIA, AL2023_x86_64_NEURON.
The Bottlerocket NVIDIA variants exist too but run their own device plugin on the host, which would clash with the
catalog's; they are not offered. Karpenter needs no AMI type: its `al2023` alias resolves the NVIDIA and Neuron
variants by itself (karpenter-provider-aws pkg/providers/amifamily/al2023.go).
"""

from __future__ import annotations

from typing import Literal

Accelerator = Literal["nvidia", "neuron"]

NVIDIA_FAMILIES = frozenset(
    (
        "g4dn",
        "g5",
        "g5g",
        "g6",
        "g6e",
        "g6f",
        "g7",
        "g7e",
        "gr6",
        "gr6f",
        "p3dn",
        "p4d",
        "p4de",
        "p5",
        "p5e",
        "p5en",
        "p6-b200",
        "p6-b300",
    )
)
NEURON_FAMILIES = frozenset(("inf1", "inf2", "trn1", "trn1n", "trn2"))
# Karpenter instance categories made of accelerated families only (g also holds AMD's g4ad).
ACCELERATED_CATEGORIES = frozenset(("g", "gr", "p", "inf", "trn"))

AMI_TYPES: dict[str, Accelerator] = {
    "AL2023_x86_64_NVIDIA": "nvidia",
    "AL2023_ARM_64_NVIDIA": "nvidia",
    "AL2023_x86_64_NEURON": "neuron",
}
NAMES: dict[Accelerator, str] = {"nvidia": "NVIDIA GPU", "neuron": "AWS Neuron (Inferentia/Trainium)"}
# The extended resource the device plugin advertises (and that Karpenter limits may bound).
RESOURCES: dict[Accelerator, str] = {"nvidia": "nvidia.com/gpu", "neuron": "aws.amazon.com/neuron"}
# Every accelerated node is tainted with its resource name, so only pods that tolerate it land there.
TAINT_VALUE = "true"
# Every accelerated node carries this label (value: nvidia | neuron); the NVIDIA device plugin selects it.
LABEL = "eks-platform/accelerator"
# Karpenter's well-known labels (pkg/apis/v1/labels.go) that select each kind of instance.
KARPENTER_REQUIREMENT: dict[Accelerator, tuple[str, str]] = {
    "nvidia": ("karpenter.k8s.aws/instance-gpu-manufacturer", "nvidia"),
    "neuron": ("karpenter.k8s.aws/instance-accelerator-manufacturer", "aws"),
}


def of_family(family: str) -> Accelerator | None:
    if family in NVIDIA_FAMILIES:
        return "nvidia"
    if family in NEURON_FAMILIES:
        return "neuron"
    return None


def of_ami(ami_type: str) -> Accelerator | None:
    return AMI_TYPES.get(ami_type)


def ami_for(accelerator: Accelerator, arch: str) -> str | None:
    """The AL2023 AMI type with that accelerator's driver for an architecture (None: no such AMI)."""
    want = "ARM_64" if arch == "arm64" else "x86_64"
    return next((a for a, acc in AMI_TYPES.items() if acc == accelerator and want in a), None)


def taint(accelerator: Accelerator) -> dict[str, str]:
    return {"key": RESOURCES[accelerator], "value": TAINT_VALUE, "effect": "NoSchedule"}
