"""`platform:karpenter`: Karpenter (node autoscaling) and the NodePools / EC2NodeClass it provisions from.

The managed node groups of `platform:nodePools` carry the cluster's fixed capacity (the `system` pool runs
Karpenter itself); Karpenter adds right-sized nodes for pending pods, within each NodePool's limits. Every
NodePool uses one EC2NodeClass: subnets and security group found by the `karpenter.sh/discovery` tag, IMDSv2
only (hop limit 1), KMS-encrypted gp3 volumes. Cross-field rules live in `checks._karpenter`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from . import accelerators
from ._base import Model
from .node_pools import Taint

K8S_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# `<family>@<version>`: al2023@latest, al2023@v20260818, bottlerocket@v1.50.0 (Karpenter's amiSelectorTerms alias).
AMI_ALIAS = re.compile(r"^(al2023|bottlerocket)@(latest|v\d{8}|v\d+\.\d+\.\d+)$")
# e.g. m7i, c7g, c7gn, r6id, m7i-flex, u-6tb1, inf2 (an instance type without its size).
INSTANCE_FAMILY = re.compile(r"^[a-z]+-?\d+[a-z0-9]*(-[a-z0-9]+)?$")
# Go durations Karpenter accepts for consolidateAfter / expireAfter, e.g. 30s, 1m, 720h, 1h30m; or Never.
DURATION = re.compile(r"^((\d+(\.\d+)?(ns|us|ms|s|m|h))+|Never)$")
QUANTITY = re.compile(r"^\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$")


def _quantity(value: int | str) -> str:
    text = str(value)
    if isinstance(value, bool) or not QUANTITY.match(text):
        raise ValueError(f"{value!r} is not a Kubernetes quantity like 100, 500m or 400Gi")
    return text


class Limits(Model):
    """The most a NodePool may provision in total; Karpenter stops adding nodes there. Any resource a node
    offers may be limited (the NodePool's `spec.limits` is a resource list): besides cpu and memory, the GPUs
    (`nvidia.com/gpu`) and Neuron devices (`aws.amazon.com/neuron`) of an accelerator pool."""

    # Total vCPUs the NodePool may provision (a Kubernetes quantity).
    cpu: int | str
    # Total memory the NodePool may provision (a Kubernetes quantity, e.g. 800Gi).
    memory: str
    # Total NVIDIA GPUs (accelerator: nvidia pools).
    nvidia_gpu: int | None = Field(default=None, alias="nvidia.com/gpu", ge=1)
    # Total Neuron devices (accelerator: neuron pools).
    aws_neuron: int | None = Field(default=None, alias="aws.amazon.com/neuron", ge=1)

    _cpu = field_validator("cpu")(classmethod(lambda cls, v: _quantity(v)))
    _memory = field_validator("memory")(classmethod(lambda cls, v: _quantity(v)))

    def resources(self) -> dict[str, int | str]:
        """As Karpenter's `spec.limits`."""
        out: dict[str, int | str] = {"cpu": self.cpu, "memory": self.memory}
        for resource, value in (
            (accelerators.RESOURCES["nvidia"], self.nvidia_gpu),
            (accelerators.RESOURCES["neuron"], self.aws_neuron),
        ):
            if value is not None:
                out[resource] = value
        return out

    def of(self, resource: str) -> int | None:
        return {accelerators.RESOURCES["nvidia"]: self.nvidia_gpu, accelerators.RESOURCES["neuron"]: self.aws_neuron}[
            resource
        ]


# Karpenter's NodePool budget `nodes`: a count or a percentage of the pool's nodes (its CRD's pattern).
BUDGET_NODES = re.compile(r"^((100|[0-9]{1,2})%|[0-9]+)$")
# A cron schedule as Karpenter's CRD accepts it (five fields or a @macro) and its duration (minutes/hours only).
BUDGET_SCHEDULE = re.compile(
    r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\s(.+)\s(.+)\s(.+)\s(.+))$"
)
BUDGET_DURATION = re.compile(r"^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$")


class DisruptionBudget(Model):
    """One of a NodePool's disruption budgets (karpenter.sh/v1 `spec.disruption.budgets[]`): at most `nodes` of its
    nodes are disrupted at once, for the listed `reasons` (default: every reason), while its `schedule` is active
    (default: always). Karpenter uses the most restrictive active budget."""

    # The most nodes of the pool disrupted at once: a count (1) or a percentage of its nodes (10%).
    nodes: int | str
    # The disruptions it limits (Underutilized, Empty, Drifted); unset: all of them.
    reasons: list[Literal["Underutilized", "Empty", "Drifted"]] | None = None
    # When it is active: a cron schedule ("0 9 * * mon-fri", @daily); unset: always. Needs `duration`.
    schedule: str | None = None
    # How long it stays active after each schedule hit (8h, 1h30m). Needs `schedule`.
    duration: str | None = None

    @field_validator("nodes")
    @classmethod
    def _nodes(cls, v: int | str) -> str:
        text = str(v)
        if isinstance(v, bool) or not BUDGET_NODES.match(text):
            raise ValueError(f"{v!r} is not a node count like 1 or a percentage like 10%")
        return text

    @field_validator("schedule", "duration")
    @classmethod
    def _when(cls, v: str | None, info: ValidationInfo) -> str | None:
        pattern, example = {
            "schedule": (BUDGET_SCHEDULE, "a cron schedule (five fields, e.g. '0 9 * * mon-fri') or @daily etc."),
            "duration": (BUDGET_DURATION, "a duration in hours and minutes like 8h or 1h30m"),
        }[info.field_name]
        if v is not None and not pattern.match(v):
            raise ValueError(f"{v!r} is not {example}")
        return v

    @model_validator(mode="after")
    def _schedule_with_duration(self) -> DisruptionBudget:
        if (self.schedule is None) != (self.duration is None):
            raise ValueError("schedule and duration go together (a budget is active for `duration` after each hit)")
        return self

    def spec(self) -> dict[str, object]:
        out: dict[str, object] = {"nodes": self.nodes}
        if self.reasons:
            out["reasons"] = list(self.reasons)
        if self.schedule is not None:
            out["schedule"] = self.schedule
            out["duration"] = self.duration
        return out


def default_budgets() -> list[dict[str, str]]:
    """Karpenter's own default (its CRD defaults `budgets` to one budget of 10%), written out so every plan, policy
    and `platformctl upgrade` sees what the cluster will do (validated into a DisruptionBudget like any value)."""
    return [{"nodes": "10%"}]


class KarpenterNodePool(Model):
    # The NodePool's name.
    name: Annotated[str, Field(pattern=K8S_NAME, max_length=63)]
    # Capacity Karpenter may buy: on-demand, spot and/or reserved (capacity reservations).
    capacity_types: Annotated[list[Literal["on-demand", "spot", "reserved"]], Field(min_length=1)] = Field(
        default_factory=lambda: ["on-demand"]
    )
    # CPU architectures allowed (arm64: Graviton).
    architectures: Annotated[list[Literal["amd64", "arm64"]], Field(min_length=1)] = Field(
        default_factory=lambda: ["amd64"]
    )
    # karpenter.k8s.aws/instance-category, e.g. [c, m, r]; empty: any.
    instance_categories: list[Annotated[str, Field(pattern=r"^[a-z]+$")]] = Field(default_factory=list)
    # karpenter.k8s.aws/instance-family, e.g. [m7i, c7i]; empty: any.
    instance_families: list[str] = Field(default_factory=list)
    # Only instance generations >= this (e.g. 6 excludes m5); unset: any.
    min_generation: Annotated[int, Field(ge=1, le=20)] | None = None
    # The most this NodePool may provision in total.
    limits: Limits
    # When Karpenter may remove or replace nodes to pack pods tighter.
    consolidation_policy: Literal["WhenEmpty", "WhenEmptyOrUnderutilized"] = "WhenEmptyOrUnderutilized"
    # How long a node must stay empty or underutilized before consolidation (a duration).
    consolidate_after: str = "1m"
    # How many of its nodes Karpenter may disrupt at once (consolidation, drift, emptiness); the most restrictive
    # active budget applies.
    disruption_budgets: Annotated[list[DisruptionBudget], Field(min_length=1, max_length=50)] = Field(
        default_factory=default_budgets
    )
    # Nodes are replaced after this long (fresh AMIs, no drift); Never keeps them.
    expire_after: str = "720h"
    # Taints on the NodePool's nodes (pods must tolerate them).
    taints: list[Taint] = Field(default_factory=list)
    # Kubernetes labels on the NodePool's nodes.
    labels: dict[str, str] = Field(default_factory=dict)
    # Higher weight is tried first when several NodePools fit a pod.
    weight: Annotated[int, Field(ge=1, le=100)] | None = None
    # GPU (nvidia) or Neuron (neuron) nodes only: Karpenter picks such instances (the al2023 alias brings the AMI
    # with the driver), taints them with the resource name and labels them eks-platform/accelerator.
    accelerator: accelerators.Accelerator | None = None

    @field_validator("instance_families")
    @classmethod
    def _families(cls, v: list[str]) -> list[str]:
        for family in v:
            if not INSTANCE_FAMILY.match(family):
                raise ValueError(
                    f"{family!r} is not an instance family like m7i, c7g or m7i-flex (a family has no size: "
                    "m7i, not m7i.large)"
                )
        return v

    @field_validator("consolidate_after", "expire_after")
    @classmethod
    def _duration(cls, v: str) -> str:
        if not DURATION.match(v):
            raise ValueError(f"{v!r} is not a duration like 30s, 1m or 720h (or Never)")
        return v


class KarpenterConfig(Model):
    # Karpenter autoscales nodes (its controller on the system pool, an interruption queue, its NodePools).
    enabled: bool = False
    # The EC2NodeClass AMI: `al2023@v<YYYYMMDD>` pins an EKS AMI release (required in production);
    # `al2023@latest` follows new AMIs (nodes drift and are replaced when one is published).
    ami_selector_alias: str = "al2023@latest"
    # Root (AL2023) or data (Bottlerocket) volume size in GiB: encrypted gp3 with the nodes' KMS key.
    volume_size: Annotated[int, Field(ge=20, le=16384)] = 50
    # Karpenter NodePools (all share one EC2NodeClass).
    node_pools: list[KarpenterNodePool] = Field(default_factory=list)

    @field_validator("ami_selector_alias")
    @classmethod
    def _alias(cls, v: str) -> str:
        if not AMI_ALIAS.match(v):
            raise ValueError(
                "must be <family>@<version>: family al2023 or bottlerocket, version 'latest' or a release "
                "like v20260818"
            )
        return v

    @property
    def ami_family(self) -> str:
        return self.ami_selector_alias.split("@", 1)[0]

    @property
    def ami_pinned(self) -> bool:
        return not self.ami_selector_alias.endswith("@latest")
