"""How much of the internet a set of CIDR blocks opens: the address space covered, not one entry's prefix length.

`0.0.0.0/0` is the internet, but so are `0.0.0.0/1` + `128.0.0.0/1`, or `0.0.0.0/2` alone (a quarter of it). A
source list counts as *internet-wide* when the public addresses it covers together reach `PUBLIC_THRESHOLD`
addresses - as many as a whole /8 in IPv4 or a /16 in IPv6, far more than any admin or office range. Private and
reserved ranges (RFC 1918, CGNAT, loopback, link-local, multicast, ULA...) are not the internet and do not count.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

PUBLIC_THRESHOLD = {4: 2 ** (32 - 8), 6: 2 ** (128 - 16)}
NOT_PUBLIC = {
    4: [
        ipaddress.ip_network(n)
        for n in (
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "224.0.0.0/4",
            "240.0.0.0/4",
        )
    ],
    6: [ipaddress.ip_network(n) for n in ("::/8", "fc00::/7", "fe80::/10", "ff00::/8")],
}
_V4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def parse(cidr: Any) -> IPNetwork | None:
    """A CIDR block as AWS reads it (host bits may be set: 1.2.3.4/0 is 0.0.0.0/0); None if it is not one.
    An IPv4-mapped IPv6 block (::ffff:0:0/96) counts as the IPv4 block it maps."""
    if not isinstance(cidr, str):
        return None
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None
    if isinstance(net, ipaddress.IPv6Network) and net.prefixlen >= 96 and net.subnet_of(_V4_MAPPED):
        return ipaddress.ip_network(f"{net.network_address.ipv4_mapped}/{net.prefixlen - 96}")
    return net


def public_addresses(nets: Iterable[IPNetwork], version: int) -> int:
    """Public addresses of one IP version that `nets` cover together (overlaps counted once)."""
    same = [n for n in nets if n.version == version]
    total = 0
    for net in ipaddress.collapse_addresses(same):  # type: ignore[type-var]
        size = net.num_addresses
        for private in NOT_PUBLIC[version]:
            if net.subnet_of(private):  # type: ignore[arg-type]
                size = 0
                break
            if private.subnet_of(net):  # type: ignore[arg-type]
                size -= private.num_addresses
        total += size
    return total


@dataclass(frozen=True)
class Exposure:
    """What a list of sources opens to: the internet-wide blocks and a description for messages."""

    blocks: tuple[str, ...]  # the entries that contribute public addresses, as given
    share: dict[int, float]  # IP version -> share of that version's public space covered (0..1)

    @property
    def internet_wide(self) -> bool:
        return bool(self.blocks)

    def describe(self) -> str:
        listed = " and ".join(self.blocks)
        if all(b in ("0.0.0.0/0", "::/0") for b in self.blocks):
            return listed
        parts = []
        for version in sorted(self.share):
            share = self.share[version]
            shown = f"{share:.0%}" if share >= 0.01 else f"{share:.2%}"
            parts.append(f"{shown} of the public IPv{version} internet")
        what = " and ".join(parts)
        return f"{listed} ({'together ' if len(self.blocks) > 1 else ''}{what})"


def exposure(sources: Iterable[Any]) -> Exposure:
    """The internet-wide exposure of `sources` (CIDR strings; anything else is ignored here - callers report
    malformed entries themselves)."""
    parsed = [(s, net) for s in sources if (net := parse(s)) is not None]
    blocks: list[str] = []
    share: dict[int, float] = {}
    for version in (4, 6):
        nets = [net for _, net in parsed if net.version == version]
        covered = public_addresses(nets, version)
        if covered >= PUBLIC_THRESHOLD[version]:
            full = public_addresses([ipaddress.ip_network("0.0.0.0/0" if version == 4 else "::/0")], version)
            share[version] = covered / full
            blocks += [s for s, net in parsed if net.version == version and public_addresses([net], version)]
    return Exposure(tuple(dict.fromkeys(b.strip() for b in blocks)), share)
