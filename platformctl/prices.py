"""AWS prices as data: the bundled, dated price table and `platformctl prices refresh`.

The table (`platformctl/data/prices.json`) holds, per region, the on-demand USD prices `platformctl cost` multiplies:
each entry names its unit and its source, and each source says where the number was read and when. A price that is
not in the table is *not priced*: the estimate lists it as such and never substitutes another region's price or a
guess.

`refresh` rebuilds the table from the AWS Price List Query API (boto3 `pricing`, GetProducts; the caller needs
`pricing:GetProducts`, and the API answers in us-east-1, eu-central-1 and ap-south-1 only). Each price key has one
query: exact attribute filters sent to the API (TERM_MATCH) and, where the API has no exact attribute to match on, a
usage-type pattern applied to the products it returns (usage types carry a region prefix such as `EU-` or `USE1-`,
or none in us-east-1). A query that matches no product, or products with different prices, leaves the key out and is
reported: never a guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

TABLE_FILE = Path(__file__).with_name("data") / "prices.json"
SCHEMA_VERSION = 1
HOURS_PER_MONTH = 730  # AWS's own convention in its pricing pages and calculator
PRICING_API_REGION = "us-east-1"
API_SOURCE = "aws-price-list-api"


class PriceTableError(Exception):
    """The price table is missing or malformed."""


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    per: str  # the billing unit, e.g. "hour", "GB", "GB-month", "request"
    source: str  # a key of the table's `sources`


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpu: int
    memory_gib: float
    arch: str  # amd64 | arm64

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def category(self) -> str:
        """karpenter.k8s.aws/instance-category: the family's leading letters (m7i -> m, c6gn -> c)."""
        return re.match(r"[a-z]+", self.family).group(0)  # type: ignore[union-attr]

    @property
    def generation(self) -> int | None:
        """karpenter.k8s.aws/instance-generation: the digits after the category (m7i -> 7)."""
        m = re.match(r"[a-z]+(\d+)", self.family)
        return int(m.group(1)) if m else None


@dataclass
class PriceTable:
    doc: dict[str, Any]

    @property
    def compiled(self) -> str:
        return str(self.doc.get("compiled", ""))

    @property
    def regions(self) -> list[str]:
        return sorted(self.doc.get("regions", {}))

    def has_region(self, region: str) -> bool:
        return region in self.doc.get("regions", {})

    def price(self, region: str, key: str) -> Price | None:
        entry = self.doc.get("regions", {}).get(region, {}).get(key)
        if entry is None:
            return None
        return Price(key, float(entry["usd"]), str(entry["per"]), str(entry["source"]))

    def source(self, name: str) -> dict[str, Any]:
        return dict(self.doc.get("sources", {}).get(name, {}))

    def instance_type(self, name: str) -> InstanceType | None:
        spec = self.doc.get("instanceTypes", {}).get(name)
        if spec is None:
            return None
        return InstanceType(name, int(spec["vcpu"]), float(spec["memoryGiB"]), str(spec["arch"]))

    def instance_types(self) -> list[InstanceType]:
        return [t for n in sorted(self.doc.get("instanceTypes", {})) if (t := self.instance_type(n))]

    def keys(self, region: str) -> list[str]:
        return sorted(self.doc.get("regions", {}).get(region, {}))


def load_table(path: Path | None = None) -> PriceTable:
    return _load(str(path or TABLE_FILE))


@cache
def _load(path: str) -> PriceTable:
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise PriceTableError(f"{path}: cannot read the price table: {exc}") from None
    problems = validate_table(doc)
    if problems:
        raise PriceTableError(f"{path}: " + "; ".join(problems))
    return PriceTable(doc)


def validate_table(doc: Any) -> list[str]:
    """Every price has a positive number, a unit and a known source; every source says where and when."""
    if not isinstance(doc, dict) or doc.get("schemaVersion") != SCHEMA_VERSION:
        return [f"not a price table of schemaVersion {SCHEMA_VERSION}"]
    problems = []
    sources = doc.get("sources") or {}
    for name, src in sources.items():
        if not isinstance(src, dict) or not src.get("where") or not src.get("date"):
            problems.append(f"sources.{name}: needs 'where' and 'date'")
    for region, prices in (doc.get("regions") or {}).items():
        for key, entry in prices.items():
            usd = entry.get("usd") if isinstance(entry, dict) else None
            if not isinstance(usd, int | float) or isinstance(usd, bool) or usd < 0:
                problems.append(f"regions.{region}.{key}: 'usd' must be a non-negative number")
            elif not entry.get("per"):
                problems.append(f"regions.{region}.{key}: needs 'per' (the unit)")
            elif entry.get("source") not in sources:
                problems.append(f"regions.{region}.{key}: unknown source {entry.get('source')!r}")
    for name, spec in (doc.get("instanceTypes") or {}).items():
        if not isinstance(spec, dict) or not {"vcpu", "memoryGiB", "arch", "source"} <= set(spec):
            problems.append(f"instanceTypes.{name}: needs vcpu, memoryGiB, arch and source")
    return problems


def dump(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


# ------------------------------------------------------------------------------------------- price keys


def ec2_key(instance_type: str) -> str:
    return f"ec2.{instance_type}"


def rds_key(instance_class: str, multi_az: bool) -> str:
    return f"rds.{instance_class}.{'multi-az' if multi_az else 'single-az'}"


def rds_storage_key(multi_az: bool) -> str:
    return f"rds.gp3.{'multi-az' if multi_az else 'single-az'}"


@dataclass(frozen=True)
class Query:
    """How one price key is read from GetProducts."""

    service: str
    per: str
    filters: tuple[tuple[str, str], ...] = ()
    usagetype: str | None = None  # a regular expression the product's usagetype must match (client side)

    def matches(self, attributes: Mapping[str, str]) -> bool:
        return self.usagetype is None or re.search(self.usagetype, attributes.get("usagetype", "")) is not None


def _usage(suffix: str) -> str:
    """A usage type in any region: `NatGateway-Hours` (us-east-1), `EU-NatGateway-Hours`, `USE1-...`."""
    return rf"^([A-Z]+[0-9]*-)?{re.escape(suffix)}$"


# Keys that do not depend on an instance type or class. Attribute names and values are the Price List's own (as
# AWS's pricing files and the projects that read them, e.g. Karpenter's and infracost's price fetchers, use them).
FIXED_QUERIES: dict[str, Query] = {
    "eks.cluster": Query("AmazonEKS", "hour", usagetype=_usage("AmazonEKS-Hours:perCluster")),
    # Charged on top of eks.cluster while the cluster's version is in extended support.
    "eks.extended-support": Query("AmazonEKS", "hour", usagetype=_usage("AmazonEKS-Hours:extendedSupport")),
    "nat.hour": Query("AmazonEC2", "hour", (("productFamily", "NAT Gateway"),), _usage("NatGateway-Hours")),
    "nat.gb": Query("AmazonEC2", "GB", (("productFamily", "NAT Gateway"),), _usage("NatGateway-Bytes")),
    "ipv4.hour": Query("AmazonVPC", "hour", usagetype=_usage("PublicIPv4:InUseAddress")),
    "endpoint.hour": Query("AmazonVPC", "hour", (("productFamily", "VpcEndpoint"),), _usage("VpcEndpoint-Hours")),
    "endpoint.gb": Query("AmazonVPC", "GB", (("productFamily", "VpcEndpoint"),), _usage("VpcEndpoint-Bytes")),
    "ebs.gp3.gb-month": Query("AmazonEC2", "GB-month", (("productFamily", "Storage"), ("volumeApiName", "gp3"))),
    "ebs.gp3.iops-month": Query(
        "AmazonEC2", "IOPS-month", (("productFamily", "System Operation"), ("volumeApiName", "gp3")), r"IOPS\.gp3$"
    ),
    "ebs.gp3.mibps-month": Query(
        "AmazonEC2",
        "MiBps-month",
        (("productFamily", "Provisioned Throughput"), ("volumeApiName", "gp3")),
        r"Throughput\.gp3$",
    ),
    "rds.gp3.single-az": Query(
        "AmazonRDS", "GB-month", (("productFamily", "Database Storage"),), _usage("RDS:GP3-Storage")
    ),
    "rds.gp3.multi-az": Query(
        "AmazonRDS", "GB-month", (("productFamily", "Database Storage"),), _usage("RDS:Multi-AZ-GP3-Storage")
    ),
    "rds.backup": Query("AmazonRDS", "GB-month", (("productFamily", "Storage Snapshot"),), r"RDS:ChargedBackupUsage$"),
    "kms.key": Query("awskms", "key-month", usagetype=_usage("KMS-Keys")),
    "logs.ingest": Query(
        "AmazonCloudWatch", "GB", (("productFamily", "Data Payload"),), _usage("DataProcessing-Bytes")
    ),
    "logs.storage": Query(
        "AmazonCloudWatch", "GB-month", (("productFamily", "Storage Snapshot"),), _usage("TimedStorage-ByteHrs")
    ),
    "secrets.secret": Query("AWSSecretsManager", "secret-month", (("productFamily", "Secret"),)),
    "secrets.request": Query("AWSSecretsManager", "request", (("productFamily", "API Request"),)),
    "sqs.request": Query("AWSQueueService", "request", (("productFamily", "API Request"), ("queueType", "Standard"))),
    "ecr.gb-month": Query(
        "AmazonECR", "GB-month", (("productFamily", "EC2 Container Registry"),), _usage("TimedStorage-ByteHrs")
    ),
    "alb.hour": Query("AWSELB", "hour", (("productFamily", "Load Balancer-Application"),), _usage("LoadBalancerUsage")),
    "alb.lcu-hour": Query("AWSELB", "LCU-hour", (("productFamily", "Load Balancer-Application"),), _usage("LCUUsage")),
    "nlb.hour": Query("AWSELB", "hour", (("productFamily", "Load Balancer-Network"),), _usage("LoadBalancerUsage")),
    "nlb.lcu-hour": Query("AWSELB", "NLCU-hour", (("productFamily", "Load Balancer-Network"),), _usage("LCUUsage")),
}


def ec2_query(instance_type: str) -> Query:
    # Karpenter's own on-demand price fetcher uses these filters (Linux, shared tenancy, no pre-installed software).
    return Query(
        "AmazonEC2",
        "hour",
        (
            ("productFamily", "Compute Instance"),
            ("instanceType", instance_type),
            ("operatingSystem", "Linux"),
            ("tenancy", "Shared"),
            ("preInstalledSw", "NA"),
            ("capacitystatus", "Used"),
            ("marketoption", "OnDemand"),
        ),
    )


def rds_query(instance_class: str, multi_az: bool) -> Query:
    return Query(
        "AmazonRDS",
        "hour",
        (
            ("productFamily", "Database Instance"),
            ("instanceType", instance_class),
            ("databaseEngine", "PostgreSQL"),
            ("deploymentOption", "Multi-AZ" if multi_az else "Single-AZ"),
        ),
    )


# ------------------------------------------------------------------------------------------- refresh


@dataclass
class RefreshResult:
    doc: dict[str, Any]
    missing: list[str] = field(default_factory=list)  # "region key: why"


def _product_prices(raw: str) -> Iterator[tuple[dict[str, str], str, float, str]]:
    """(attributes, unit, USD, publicationDate) of the first-tier on-demand price dimensions of one PriceList item."""
    item = json.loads(raw)
    attributes = item.get("product", {}).get("attributes", {})
    for term in item.get("terms", {}).get("OnDemand", {}).values():
        for dim in term.get("priceDimensions", {}).values():
            if str(dim.get("beginRange", "0")) not in ("0", "0.0"):
                continue
            usd = dim.get("pricePerUnit", {}).get("USD")
            if usd is None:
                continue
            yield attributes, str(dim.get("unit", "")), float(usd), str(item.get("publicationDate", ""))


def fetch_price(client: Any, region: str, query: Query) -> tuple[float | None, str]:
    """One key's price in one region from GetProducts (paginated): (USD or None, why none / publication date)."""
    filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
    filters += [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in query.filters]
    found: set[float] = set()
    published: set[str] = set()
    token = None
    while True:
        kwargs: dict[str, Any] = {"ServiceCode": query.service, "Filters": filters, "FormatVersion": "aws_v1"}
        if token:
            kwargs["NextToken"] = token
        page = client.get_products(**kwargs)
        for raw in page.get("PriceList", []):
            for attributes, _unit, usd, pub in _product_prices(raw):
                if query.matches(attributes):
                    found.add(usd)
                    published.add(pub)
        token = page.get("NextToken")
        if not token:
            break
    if not found:
        return None, "no matching product"
    if len(found) > 1:
        return None, f"ambiguous: {len(found)} different prices ({', '.join(str(p) for p in sorted(found))})"
    return found.pop(), max(published) if published else ""


def queries_for(instance_types: Iterable[str], rds: Iterable[tuple[str, bool]]) -> dict[str, Query]:
    out = dict(FIXED_QUERIES)
    for t in sorted(set(instance_types)):
        out[ec2_key(t)] = ec2_query(t)
    for cls, multi_az in sorted(set(rds)):
        out[rds_key(cls, multi_az)] = rds_query(cls, multi_az)
    return out


def refresh(
    client: Any,
    regions: Iterable[str],
    queries: Mapping[str, Query],
    *,
    base: Mapping[str, Any] | None = None,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> RefreshResult:
    """A new table: every key of `queries` read from the Price List API for every region.

    Instance specs (vCPU, memory, architecture) are kept from `base`, the current table (the Price List's own
    attributes describe them too, but the ceiling maths needs them for types whose price is not fetched as well).
    """
    today = today or date.today()
    base = base or {}
    doc: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "currency": "USD",
        "compiled": today.isoformat(),
        "note": "Generated by `platformctl prices refresh` from the AWS Price List Query API (GetProducts).",
        "sources": {},
        "instanceTypes": dict(base.get("instanceTypes", {})),
        "regions": {},
    }
    result = RefreshResult(doc)
    for region in sorted(set(regions)):
        prices: dict[str, Any] = {}
        for key, query in sorted(queries.items()):
            usd, detail = fetch_price(client, region, query)
            if usd is None:
                result.missing.append(f"{region} {key}: {detail}")
                if progress:
                    progress(f"not priced  {region} {key}: {detail}")
                continue
            source = f"{API_SOURCE}:{query.service}:{detail or today.isoformat()}"
            doc["sources"].setdefault(
                source,
                {
                    "where": f"AWS Price List Query API, GetProducts ServiceCode={query.service} (publicationDate "
                    f"{detail or 'not returned'}), read by `platformctl prices refresh`",
                    "date": today.isoformat(),
                },
            )
            prices[key] = {"usd": usd, "per": query.per, "source": source}
            if progress:
                progress(f"{usd:>12.6f}  {region} {key}")
        doc["regions"][region] = prices
    for spec in doc["instanceTypes"].values():
        doc["sources"].setdefault(spec["source"], dict(base.get("sources", {}).get(spec["source"], {})))
    return result


def pricing_client(region: str = PRICING_API_REGION) -> Any:
    import boto3

    return boto3.client("pricing", region_name=region)
