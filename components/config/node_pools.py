"""`platform:nodePools`: EKS managed node groups, one small spec each.

Every pool becomes a managed node group with its own launch template (IMDSv2 only, hop limit 1, KMS-encrypted
gp3 root volume). The `system` pool is mandatory, on-demand and always tainted `CriticalAddonsOnly=true:NoSchedule`.
Cross-field rules (sizes, system pool, architectures, reserved label domains) live in `checks._node_pools`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from . import accelerators
from ._base import Model

# e.g. m7i.large, c7g.2xlarge, r6a.xlarge, t3.medium, m7i-flex.large, inf2.xlarge, p6-b200.48xlarge
INSTANCE_TYPE = re.compile(
    r"^[a-z][a-z0-9]*(-[a-z0-9]+)?\.(nano|micro|small|medium|large|metal|\d*xlarge|metal-\d+xl)$"
)
LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
SYSTEM_POOL = "system"
# The system pool's taint: only pods that tolerate it (cluster add-ons) run there.
SYSTEM_TAINT = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}
# Every node of a pool carries this label (value: the pool name), so add-ons can select the system pool.
POOL_LABEL = "eks-platform/pool"
ARM_AMI_TYPES = ("AL2023_ARM_64_STANDARD", "AL2023_ARM_64_NVIDIA", "BOTTLEROCKET_ARM_64")
# Label domains the kubelet may not set (NodeRestriction) or that AWS/Karpenter own.
_RESERVED_LABEL_DOMAINS = ("kubernetes.io", "k8s.io", "eks.amazonaws.com", "karpenter.sh", "karpenter.k8s.aws")
_ALLOWED_LABEL_DOMAINS = ("node.kubernetes.io", "node-restriction.kubernetes.io")


class Taint(Model):
    # Taint key (a Kubernetes label key).
    key: str
    # Taint value (may be empty).
    value: str = ""
    # What the taint does to pods that do not tolerate it.
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if not LABEL_KEY.match(v):
            raise ValueError("not a valid Kubernetes taint key")
        return v


class NodePool(Model):
    # Pool name (a `system` pool is required; it runs the cluster-critical add-ons).
    name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=32)]
    # On-demand or Spot instances.
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    # EC2 instance types the managed node group may launch (on-demand: in this order of preference).
    instance_types: Annotated[list[str], Field(min_length=1)]
    # Fewest nodes.
    min_size: Annotated[int, Field(ge=0, le=1000)]
    # Nodes at creation; afterwards autoscaling (or an operator) owns the number: Pulumi ignores its drift.
    desired_size: Annotated[int, Field(ge=0, le=1000)]
    # Most nodes.
    max_size: Annotated[int, Field(ge=1, le=1000)]
    # Kubernetes labels on the nodes (eks-platform/pool is added).
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    # The EKS API's AMI types (GPU/Neuron: components/config/accelerators.py).
    ami_type: Literal[
        "AL2023_x86_64_STANDARD",
        "AL2023_ARM_64_STANDARD",
        "AL2023_x86_64_NVIDIA",
        "AL2023_ARM_64_NVIDIA",
        "AL2023_x86_64_NEURON",
        "BOTTLEROCKET_x86_64",
        "BOTTLEROCKET_ARM_64",
    ] = "AL2023_x86_64_STANDARD"
    # Root volume size in GiB: encrypted gp3 with the nodes' KMS key.
    disk_size: Annotated[int, Field(ge=20, le=16384)] = 50
    # Nodes replaced at once during an update (the node group's update config).
    max_unavailable: Annotated[int, Field(ge=1, le=100)] = 1

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, v: list[str]) -> list[str]:
        for t in v:
            if not INSTANCE_TYPE.match(t):
                raise ValueError(f"{t!r} is not an EC2 instance type of the form family.size (e.g. m7i.large)")
        return v

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        for k in v:
            if not LABEL_KEY.match(k):
                raise ValueError(f"{k!r} is not a valid Kubernetes label key")
        return v


NodePools = Annotated[list[NodePool], Field(min_length=1)]


def size_problems(pool: NodePool) -> list[tuple[str, str, int]]:
    """(field, message, got) for sizes out of order; min <= desired <= max."""
    out = []
    if pool.min_size > pool.max_size:
        out.append(("minSize", f"must be <= maxSize ({pool.max_size})", pool.min_size))
    if pool.desired_size < pool.min_size:
        out.append(("desiredSize", f"must be >= minSize ({pool.min_size})", pool.desired_size))
    if pool.desired_size > pool.max_size:
        out.append(("desiredSize", f"must be <= maxSize ({pool.max_size})", pool.desired_size))
    return out


def instance_family(instance_type: str) -> str:
    """`m7i.large` -> `m7i`; a family stays a family."""
    return instance_type.split(".", 1)[0]


def architecture(family_or_type: str) -> str:
    """`arm64` for AWS Graviton families (a `g` among the letters after the generation: m7g, c7gn, r6gd, t4g,
    im4gn, x2gd, g5g; and a1), else `amd64`."""
    family = instance_family(family_or_type)
    if family == "a1":
        return "arm64"
    match = re.match(r"^[a-z]+-?\d+([a-z]*)", family)
    return "arm64" if match and "g" in match.group(1) else "amd64"


def reserved_label_problem(key: str) -> str | None:
    """Why a node label key cannot be set from config, or None."""
    prefix = key.split("/", 1)[0] if "/" in key else ""
    if not prefix or prefix in _ALLOWED_LABEL_DOMAINS or any(prefix.endswith("." + d) for d in _ALLOWED_LABEL_DOMAINS):
        return None
    for domain in _RESERVED_LABEL_DOMAINS:
        if prefix == domain or prefix.endswith("." + domain):
            return f"uses the reserved label domain {domain!r} (the kubelet or AWS sets those labels)"
    if key == POOL_LABEL:
        return "is set by the platform (the pool's name)"
    if key == accelerators.LABEL:
        return "is set by the platform (nvidia or neuron, from the AMI type)"
    return None


def pool_problems(pool: NodePool, production: bool) -> list[tuple[str, str, object]]:
    """(field, message, got) for one pool, beyond sizes: architecture, labels, the system pool's rules."""
    out: list[tuple[str, str, object]] = []
    want = "arm64" if pool.ami_type in ARM_AMI_TYPES else "amd64"
    for i, t in enumerate(pool.instance_types):
        if architecture(t) != want:
            out.append(
                (
                    f"instanceTypes[{i}]",
                    f"is an {architecture(t)} instance type but amiType {pool.ami_type} is {want}",
                    t,
                )
            )
    out.extend(accelerator_problems(pool))
    for k in pool.labels:
        problem = reserved_label_problem(k)
        if problem:
            out.append((f"labels.{k}", problem, pool.labels[k]))
    if pool.name == SYSTEM_POOL:
        if pool.capacity_type != "ON_DEMAND":
            out.append(
                ("capacityType", "the system pool must be ON_DEMAND (it runs cluster add-ons)", pool.capacity_type)
            )
        if production and pool.min_size < 2:
            out.append(("minSize", "the system pool needs at least 2 nodes in production", pool.min_size))
    return out


def accelerator_problems(pool: NodePool) -> list[tuple[str, str, object]]:
    """GPU/Neuron instance types need the AMI with their driver, and that AMI needs such instance types."""
    ami = accelerators.of_ami(pool.ami_type)
    out: list[tuple[str, str, object]] = []
    for i, t in enumerate(pool.instance_types):
        kind = accelerators.of_family(instance_family(t))
        if kind == ami:
            continue
        if kind is not None:
            want = accelerators.ami_for(kind, architecture(t))
            fix = f"use amiType {want}" if want else "no EKS AMI type carries its driver for this architecture"
            name = accelerators.NAMES[kind]
            message = f"is an {name} instance type but amiType {pool.ami_type} has no driver for it: {fix}"
        else:
            message = f"has no {accelerators.NAMES[ami]} accelerator but amiType {pool.ami_type} is for such instances"
        out.append((f"instanceTypes[{i}]", message, t))
    return out


def pool_accelerator(pool: NodePool) -> accelerators.Accelerator | None:
    return accelerators.of_ami(pool.ami_type)


def effective_taints(pool: NodePool) -> list[dict[str, str]]:
    """The pool's taints as plain dicts; the system pool always has SYSTEM_TAINT, a GPU/Neuron pool its resource's
    taint (`nvidia.com/gpu=true:NoSchedule`), unless listed with another value or effect."""
    taints = [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.taints]
    if pool.name == SYSTEM_POOL and not any(t["key"] == SYSTEM_TAINT["key"] for t in taints):
        taints.insert(0, dict(SYSTEM_TAINT))
    kind = pool_accelerator(pool)
    if kind and not any(t["key"] == accelerators.RESOURCES[kind] for t in taints):
        taints.append(accelerators.taint(kind))
    return taints


def effective_labels(pool: NodePool) -> dict[str, str]:
    kind = pool_accelerator(pool)
    return {**pool.labels, POOL_LABEL: pool.name, **({accelerators.LABEL: kind} if kind else {})}
