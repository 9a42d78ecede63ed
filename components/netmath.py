"""CIDR arithmetic for the VPC layout: pure functions, no Pulumi."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

# Private subnets hold the nodes and (with the VPC CNI) every pod IP, so they get the lion's share:
# the first half of the VPC, one block per AZ. Public subnets only hold load balancers and NAT
# gateways: small blocks at the start of the second half. The rest stays free for later use.
PUBLIC_SHRINK_BITS = 3  # a public subnet is 1/8 the size of a private one


@dataclass(frozen=True)
class SubnetLayout:
    public: tuple[str, ...]
    private: tuple[str, ...]


def split_bits(count: int) -> int:
    return max(1, math.ceil(math.log2(count))) if count > 1 else 1


def compute_subnets(vpc_cidr: str, az_count: int) -> SubnetLayout:
    """Public and private subnet CIDRs, one each per AZ, computed from the VPC CIDR."""
    vpc = ipaddress.ip_network(vpc_cidr, strict=True)
    half_low, half_high = vpc.subnets(prefixlen_diff=1)
    private_prefix = half_low.prefixlen + split_bits(az_count)
    private = list(half_low.subnets(new_prefix=private_prefix))[:az_count]
    public_prefix = min(private_prefix + PUBLIC_SHRINK_BITS, 28)
    public = list(half_high.subnets(new_prefix=public_prefix))[:az_count]
    if len(private) < az_count or len(public) < az_count:
        raise ValueError(f"{vpc_cidr} is too small for {az_count} AZs")
    return SubnetLayout(public=tuple(map(str, public)), private=tuple(map(str, private)))


def overlapping(cidrs: list[str]) -> list[tuple[str, str]]:
    """Every pair of CIDRs that overlap."""
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    pairs = []
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            if a.overlaps(b):
                pairs.append((str(a), str(b)))
    return pairs


def within(cidr: str, container: str) -> bool:
    return ipaddress.ip_network(cidr, strict=False).subnet_of(ipaddress.ip_network(container, strict=False))
