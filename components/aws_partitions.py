"""AWS partitions and Regions, from the AWS SDKs' own partition metadata: botocore's `data/partitions.json` at the
version locked in uv.lock (the table every AWS SDK generates its endpoints from). The one source the config checks
(`aws:region` must be a Region), the program's ARNs (`cluster_iam.partition_of`) and the offline mocks
(`getPartition`, `getRegion`) read. Pure data, no Pulumi; the file is read without importing botocore.

A Region newer than the locked botocore is unknown here: update botocore (`uv lock --upgrade-package botocore`).
Availability Zones are not in this data: components/aws_regions.py.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path


@dataclass(frozen=True)
class Region:
    name: str
    description: str  # e.g. "Europe (Ireland)"
    partition: str  # e.g. "aws"
    dns_suffix: str  # e.g. "amazonaws.com"


@functools.cache
def _data() -> dict:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed (it is locked in uv.lock): run `make venv`")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "partitions.json"
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def regions() -> dict[str, Region]:
    """Every Region of every partition (the partitions' pseudo-regions such as `aws-global` left out)."""
    out: dict[str, Region] = {}
    for partition in _data()["partitions"]:
        pattern = re.compile(partition["regionRegex"])
        for name, info in partition["regions"].items():
            if pattern.match(name):
                out[name] = Region(
                    name, info.get("description", ""), partition["id"], partition["outputs"]["dnsSuffix"]
                )
    return out


def region(name: str) -> Region | None:
    return regions().get(name)


def dns_suffix(partition: str) -> str:
    """A partition's DNS suffix (amazonaws.com, amazonaws.com.cn, ...)."""
    for p in _data()["partitions"]:
        if p["id"] == partition:
            return p["outputs"]["dnsSuffix"]
    raise ValueError(f"unknown AWS partition {partition!r} ({source()})")


def source() -> str:
    """Where the data comes from, for messages and docs."""
    return f"botocore {version('botocore')} data/partitions.json"
