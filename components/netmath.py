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


# Each subnet of an Application Load Balancer needs "a CIDR block with at least a /27 bitmask" and 8 free addresses
# (ELB user guide, Application Load Balancers, "Subnets for your load balancer"); the AWS Load Balancer Controller
# puts internet-facing ALBs in the public subnets.
ALB_MIN_PREFIX = 27
# RFC 1918 private ranges and RFC 6598 shared address space (which AWS accepts as VPC CIDRs).
PRIVATE_RANGES = tuple(
    ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


def prefix_length(cidr: str) -> int:
    return ipaddress.ip_network(cidr, strict=False).prefixlen


def is_private(cidr: str) -> bool:
    net = ipaddress.ip_network(cidr, strict=False)
    return any(net.version == r.version and net.subnet_of(r) for r in PRIVATE_RANGES)


def overlapping_pairs(named: list[tuple[str, str]]) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """Every pair of (name, CIDR) whose CIDRs overlap, first listed first."""
    nets = [(name, cidr, ipaddress.ip_network(cidr, strict=False)) for name, cidr in named]
    return [
        ((a_name, a_cidr), (b_name, b_cidr))
        for i, (a_name, a_cidr, a) in enumerate(nets)
        for b_name, b_cidr, b in nets[i + 1 :]
        if a.overlaps(b)
    ]
