"""Availability Zones per AWS Region: the one table the config checks, `platformctl env new` and the offline
mocks read. Pure data, no Pulumi.

Only Regions whose zones could be confirmed are listed; a Region missing here is not an error anywhere (the
program asks AWS for the zones at deploy time, `aws.get_availability_zones`), it is only not checked offline, and
the offline plan's zones there are unknown (the plan says so). Which Regions exist: components/aws_partitions.py.

Sources (checked 2026-08):
- AWS Regions and Availability Zones, "AWS Availability Zones"
  (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html): eu-west-1 has the
  AZ IDs euw1-az1..az3; us-east-2's zones are us-east-2a, us-east-2b, us-east-2c; us-east-1 has the AZ IDs use1-az1
  to use1-az6.
- `aws ec2 describe-availability-zones --region us-east-1` outputs published with those six IDs under the names
  us-east-1a to us-east-1f.
- ap-southeast-1 (checked 2026-08, for the example fleet's APAC spoke): three zones, ap-southeast-1a, -1b, -1c, with
  the AZ IDs apse1-az1..az3, as published EC2 and Terraform outputs of that Region show them (e.g. a subnet in
  ap-southeast-1c with availability_zone_id apse1-az3; a default VPC with one subnet per zone: apse1-az2
  (ap-southeast-1a), apse1-az1 (ap-southeast-1b), apse1-az3 (ap-southeast-1c)). The AWS page above lists the AZ IDs
  of every Region; its Asia Pacific table was not readable here, so the count rests on those outputs.

Zone *names* (the letter) map to physical zones per account in the oldest Regions (us-east-1 among them, for
accounts created before November 2025): `us-east-1a` may be a different building in two accounts, and an account
may see a subset. The AZ ID is the stable identifier. The program itself always takes the names AWS returns for
the deploying account; this table gives the count and the names a fresh account sees.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    name: str
    zone_names: tuple[str, ...]
    # The Region's AZ IDs. Not paired with the names: that pairing is per account in the oldest Regions.
    zone_ids: tuple[str, ...]

    @property
    def az_count(self) -> int:
        return len(self.zone_names)


def _region(name: str, id_prefix: str, letters: str) -> Region:
    return Region(
        name=name,
        zone_names=tuple(f"{name}{letter}" for letter in letters),
        zone_ids=tuple(f"{id_prefix}-az{i}" for i in range(1, len(letters) + 1)),
    )


REGIONS: dict[str, Region] = {
    r.name: r
    for r in (
        _region("us-east-1", "use1", "abcdef"),
        _region("us-east-2", "use2", "abc"),
        _region("eu-west-1", "euw1", "abc"),
        _region("ap-southeast-1", "apse1", "abc"),
    )
}


def region(name: str) -> Region | None:
    """The Region's zones, or None when this table does not know the Region."""
    return REGIONS.get(name)
