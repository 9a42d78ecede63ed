"""`platform:nodePools`: EKS managed node groups, one small spec each."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from ._base import Model

# e.g. m7i.large, c7g.2xlarge, r6a.xlarge, t3.medium, m7i-flex.large, inf2.xlarge
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9]*(-flex)?\.(nano|micro|small|medium|large|metal|\d*xlarge|metal-\d+xl)$")
LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
SYSTEM_POOL = "system"


class Taint(Model):
    key: str
    value: str = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if not LABEL_KEY.match(v):
            raise ValueError("not a valid Kubernetes taint key")
        return v


class NodePool(Model):
    name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=32)]
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    instance_types: Annotated[list[str], Field(min_length=1)]
    min_size: Annotated[int, Field(ge=0, le=1000)]
    desired_size: Annotated[int, Field(ge=0, le=1000)]
    max_size: Annotated[int, Field(ge=1, le=1000)]
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    ami_type: Literal[
        "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64"
    ] = "AL2023_x86_64_STANDARD"
    disk_size: Annotated[int, Field(ge=20, le=16384)] = 50
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
