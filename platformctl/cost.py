"""What a stack costs per month before it exists: the offline plan priced with the bundled price table.

The estimate reads the plan *document* (`Plan.document()`, the JSON `platformctl plan --json` writes), so a plan made
by another checkout (the base branch of a pull request) is priced by the same rules. What AWS bills by the hour
comes from the plan (how many NAT gateways, nodes, endpoint ENIs, keys...); what it bills by use comes from the
stack's `platform:cost` assumptions (components/config/cost.py). A price missing from the table is listed as *not
priced* (never as zero, never guessed); Karpenter's nodes are priced as nothing at rest plus the ceiling its NodePool
limits allow, shown apart from the total.

Not modelled (so not in any total): data transfer (internet egress, cross-AZ traffic), CloudWatch metrics, alarms and
dashboards (Container Insights publishes custom metrics), Route 53, EBS snapshots, KMS requests, taxes, and any
discount (Savings Plans, reserved instances, private pricing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from components.config.cost import CostConfig
from platformctl import prices as P

MONTH = P.HOURS_PER_MONTH
DAYS_PER_MONTH = MONTH / 24  # 30.42: the month AWS prices by

# Amazon EKS release calendar: the last day of standard support per Kubernetes minor (extended support runs 12
# months more). Read 2026-12-01 from endoflife.date's Amazon EKS page (it tracks AWS's "Understand the Kubernetes
# version lifecycle on EKS" calendar); a version not listed here has an unknown support state.
EKS_STANDARD_SUPPORT_ENDS: dict[str, date] = {
    "1.29": date(2025, 3, 23),
    "1.30": date(2025, 7, 23),
    "1.31": date(2025, 11, 26),
    "1.32": date(2026, 3, 23),
    "1.33": date(2026, 7, 29),
    "1.34": date(2026, 12, 2),
    "1.35": date(2027, 3, 27),
}
# gp3's included performance (AWS EBS user guide, "General Purpose SSD volumes"): only what is above it is billed.
GP3_BASELINE_IOPS = 3000
GP3_BASELINE_MIBPS = 125

EKS_CLUSTER_TYPES = ("eks:index:Cluster", "aws:eks/cluster:Cluster")
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
RDS_INSTANCE = "aws:rds/instance:Instance"
SECRET = "aws:secretsmanager/secret:Secret"
SQS_QUEUE = "aws:sqs/queue:Queue"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
GITOPS = "eks-platform:gitops:GitOps"


@dataclass
class LineItem:
    component: str
    item: str
    quantity: float
    unit: str
    price_key: str
    unit_usd: float | None  # None: not priced
    monthly_usd: float | None  # None: not priced
    note: str = ""
    # Managed node groups: the monthly cost at minSize and at maxSize (the estimate uses desiredSize).
    low_usd: float | None = None
    high_usd: float | None = None

    @property
    def priced(self) -> bool:
        return self.monthly_usd is not None

    @property
    def key(self) -> tuple[str, str]:
        return self.component, self.item


@dataclass
class Estimate:
    stack: str
    environment: str
    region: str
    prices_compiled: str
    on: str
    items: list[LineItem] = field(default_factory=list)
    ceilings: list[LineItem] = field(default_factory=list)  # Karpenter: what the NodePool limits allow at most
    assumptions: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(i.monthly_usd or 0.0 for i in self.items)

    @property
    def unpriced(self) -> list[LineItem]:
        return [i for i in self.items if not i.priced] + [c for c in self.ceilings if not c.priced]

    @property
    def range(self) -> tuple[float, float]:
        """The total with every node group at minSize and at maxSize (everything else as estimated)."""
        low = high = self.total
        for i in self.items:
            if i.low_usd is not None and i.high_usd is not None and i.monthly_usd is not None:
                low += i.low_usd - i.monthly_usd
                high += i.high_usd - i.monthly_usd
        return low, high

    def by_component(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for i in self.items:
            out[i.component] = out.get(i.component, 0.0) + (i.monthly_usd or 0.0)
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        low, high = self.range
        return {
            "stack": self.stack,
            "environment": self.environment,
            "region": self.region,
            "currency": "USD",
            "pricesCompiled": self.prices_compiled,
            "on": self.on,
            "monthlyTotal": round(self.total, 2),
            "monthlyRange": [round(low, 2), round(high, 2)],
            "byComponent": {k: round(v, 2) for k, v in self.by_component().items()},
            "items": [_item_json(i) for i in self.items],
            "ceilings": [_item_json(i) for i in self.ceilings],
            "notPriced": [f"{i.component}: {i.item} ({i.price_key})" for i in self.unpriced],
            "assumptions": self.assumptions,
            "notes": self.notes,
        }


def _item_json(i: LineItem) -> dict[str, Any]:
    doc = {k: v for k, v in asdict(i).items() if v is not None and v != ""}
    for k in ("monthly_usd", "low_usd", "high_usd"):
        if k in doc:
            doc[k] = round(doc[k], 4)
    doc["priced"] = i.priced
    return doc


# --------------------------------------------------------------------------------------------- helpers


def _requested(r: Mapping[str, Any]) -> dict[str, Any]:
    return r.get("remoteInputs") or r.get("inputs") or {}


def _of(doc: Mapping[str, Any], *types: str) -> list[dict[str, Any]]:
    return [r for r in doc.get("resources", []) if r.get("type") in types and not r.get("virtual")]


def component_label(component: str, environment: str) -> str:
    """`prod-network` -> `network`: the same component has the same name in every environment."""
    return component.removeprefix(f"{environment}-") or component


_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|k|Ki|Mi|Gi|Ti|M|G|T)?$")
_FACTORS_GIB = {None: 1 / 2**30, "Ki": 1 / 2**20, "Mi": 1 / 2**10, "Gi": 1.0, "Ti": 2**10, "k": 1e3 / 2**30}
_FACTORS_GIB |= {"M": 1e6 / 2**30, "G": 1e9 / 2**30, "T": 1e12 / 2**30}


def cpu_quantity(value: Any) -> float | None:
    m = _QUANTITY.match(str(value))
    if not m:
        return None
    return float(m.group(1)) / (1000 if m.group(2) == "m" else 1)


def memory_gib(value: Any) -> float | None:
    m = _QUANTITY.match(str(value))
    if not m or m.group(2) == "m":
        return None
    return float(m.group(1)) * _FACTORS_GIB[m.group(2)]


class _Pricer:
    def __init__(self, table: P.PriceTable, region: str, environment: str):
        self.table, self.region, self.environment = table, region, environment
        self.items: list[LineItem] = []

    def line(
        self,
        component: str,
        item: str,
        quantity: float,
        unit: str,
        key: str,
        *,
        factor: float = 1.0,
        note: str = "",
        low_qty: float | None = None,
        high_qty: float | None = None,
    ) -> LineItem:
        """quantity × price (× factor, e.g. 1 − the spot discount); not priced when the key is not in the table."""
        price = self.table.price(self.region, key)
        unit_usd = None if price is None else price.usd * factor
        li = LineItem(
            component=component_label(component, self.environment),
            item=item,
            quantity=quantity,
            unit=unit,
            price_key=key,
            unit_usd=unit_usd,
            monthly_usd=None if unit_usd is None else quantity * unit_usd,
            note=note,
            low_usd=None if unit_usd is None or low_qty is None else low_qty * unit_usd,
            high_usd=None if unit_usd is None or high_qty is None else high_qty * unit_usd,
        )
        self.items.append(li)
        return li


# --------------------------------------------------------------------------------------------- the model


def estimate(
    doc: Mapping[str, Any],
    usage: CostConfig | None = None,
    table: P.PriceTable | None = None,
    *,
    on: date | None = None,
    project_dir: Path | None = None,
) -> Estimate:
    """The monthly estimate of one plan document (see module docstring)."""
    usage = usage or CostConfig()
    table = table or P.load_table()
    on = on or date.today()
    env = str(doc.get("environment") or doc.get("stack") or "")
    region = str(doc.get("region", ""))
    pricer = _Pricer(table, region, env)
    est = Estimate(
        stack=str(doc.get("stack", "")),
        environment=env,
        region=region,
        prices_compiled=table.compiled,
        on=on.isoformat(),
        assumptions=usage.model_dump(by_alias=True),
    )
    if not table.has_region(region):
        est.notes.append(
            f"region {region} is not in the price table (it has {', '.join(table.regions)}): nothing is priced"
        )
    _control_plane(doc, pricer, est, on)
    nodes = _node_groups(doc, pricer, usage)
    est.ceilings += _karpenter(doc, pricer, usage, table)
    _network(doc, pricer, usage)
    _keys_logs_data(doc, pricer, usage, nodes)
    _workload_load_balancers(doc, pricer, usage, est, project_dir)
    est.items = pricer.items
    unpriced_ceilings = [c for c in est.ceilings if not c.priced]
    if unpriced_ceilings:
        est.notes.append("a Karpenter ceiling could not be priced: no instance type in the table fits its NodePool")
    return est


def _control_plane(doc: Mapping[str, Any], pricer: _Pricer, est: Estimate, on: date) -> None:
    # An expanded pulumi-eks component's cluster is its aws:eks/cluster:Cluster child: price that one only.
    expanded = {e.get("urn") for e in doc.get("expansions", []) if e.get("status") == "expanded"}
    for r in _of(doc, *EKS_CLUSTER_TYPES):
        if r["type"] == "eks:index:Cluster" and r["urn"] in expanded:
            continue
        inputs = _requested(r)
        version = str(inputs.get("version", ""))
        policy = str((inputs.get("upgradePolicy") or {}).get("supportType", "EXTENDED"))
        pricer.line(r["component"], "EKS control plane (standard support)", MONTH, "hour", "eks.cluster")
        ends = EKS_STANDARD_SUPPORT_ENDS.get(version)
        if ends is None:
            pricer.line(
                r["component"],
                "EKS extended support surcharge",
                0,
                "hour",
                "eks.extended-support",
                note=f"Kubernetes {version or '?'} is not in the EKS release calendar here: support state unknown",
            ).monthly_usd = None
        elif on > ends and policy == "EXTENDED":
            pricer.line(
                r["component"],
                "EKS extended support surcharge",
                MONTH,
                "hour",
                "eks.extended-support",
                note=f"Kubernetes {version} left standard support on {ends.isoformat()} (upgradePolicy EXTENDED)",
            )
        elif on > ends:
            est.notes.append(
                f"Kubernetes {version} left standard support on {ends.isoformat()}: with upgradePolicy STANDARD "
                "EKS upgrades the cluster, so it is priced at the standard rate"
            )


def _launch_template(doc: Mapping[str, Any], node_group: Mapping[str, Any]) -> dict[str, Any] | None:
    urns = set((node_group.get("propertyDependencies") or {}).get("launchTemplate", []))
    for lt in _of(doc, LAUNCH_TEMPLATE):
        if lt["urn"] in urns:
            return _requested(lt)
    return None


def _volumes(template: Mapping[str, Any] | None, fallback_gib: Any) -> list[dict[str, Any]]:
    if template is None:
        return [{"volumeSize": fallback_gib, "volumeType": "gp3"}] if fallback_gib else []
    return [m.get("ebs") or {} for m in template.get("blockDeviceMappings") or []]


def _ebs_lines(pricer: _Pricer, component: str, what: str, volumes, count: float, low, high) -> None:
    """Per-node volume dimensions (× node count, with the node group's min..max): GB, and for gp3 what is above
    its included baseline."""
    for v in volumes:
        size = float(v.get("volumeSize") or 0)
        vtype = str(v.get("volumeType") or "gp3")
        dimensions = [(f"{vtype} root volumes", size, "GB-month", f"ebs.{vtype}.gb-month", f"{size:g} GiB per node")]
        if vtype == "gp3":
            dimensions += [
                (
                    f"gp3 IOPS above {GP3_BASELINE_IOPS}",
                    float(v.get("iops") or 0) - GP3_BASELINE_IOPS,
                    "IOPS-month",
                    "ebs.gp3.iops-month",
                    "",
                ),
                (
                    f"gp3 throughput above {GP3_BASELINE_MIBPS} MiB/s",
                    float(v.get("throughput") or 0) - GP3_BASELINE_MIBPS,
                    "MiBps-month",
                    "ebs.gp3.mibps-month",
                    "",
                ),
            ]
        for n, (label, per_node, unit, key, note) in enumerate(dimensions):
            if n and per_node <= 0:
                continue  # within gp3's baseline: nothing billed
            pricer.line(
                component,
                f"{what}: {label}",
                count * per_node,
                unit,
                key,
                note=note,
                low_qty=low * per_node,
                high_qty=high * per_node,
            )


def _node_groups(doc: Mapping[str, Any], pricer: _Pricer, usage: CostConfig) -> float:
    """Managed node groups at desiredSize (min..max as the range); returns the number of nodes."""
    nodes = 0.0
    for ng in _of(doc, NODE_GROUP):
        inputs = _requested(ng)
        scaling = inputs.get("scalingConfig") or {}
        desired, lo, hi = (float(scaling.get(k) or 0) for k in ("desiredSize", "minSize", "maxSize"))
        types = list(inputs.get("instanceTypes") or [])
        spot = inputs.get("capacityType") == "SPOT"
        pool = str((inputs.get("labels") or {}).get("eks-platform/pool") or ng["name"])
        nodes += desired
        # On-demand capacity is launched in the order of instanceTypes (EKS user guide, managed node groups); spot
        # capacity may come from any listed type: priced as the first one, like on-demand, less the discount.
        first = types[0] if types else "?"
        factor = 1 - usage.spot_discount_percent / 100 if spot else 1.0
        note = (
            f"spot: {first} on-demand less {usage.spot_discount_percent:g}% (assumption platform:cost."
            f"spotDiscountPercent)"
            if spot
            else ""
        )
        if len(types) > 1:
            note = (note + "; " if note else "") + f"priced as {first}, the first of {', '.join(types)}"
        note = f"desiredSize {desired:g} (minSize {lo:g}, maxSize {hi:g})" + (f"; {note}" if note else "")
        pricer.line(
            ng["component"],
            f"node group {pool}: {first} {'spot' if spot else 'on-demand'}",
            desired * MONTH,
            "instance-hour",
            P.ec2_key(first),
            factor=factor,
            note=note,
            low_qty=lo * MONTH,
            high_qty=hi * MONTH,
        )
        _ebs_lines(
            pricer,
            ng["component"],
            f"node group {pool}",
            _volumes(_launch_template(doc, ng), inputs.get("diskSize")),
            desired,
            lo,
            hi,
        )
    return nodes


def _requirements(spec: Mapping[str, Any]) -> dict[str, tuple[str, list[str]]]:
    reqs = ((spec.get("template") or {}).get("spec") or {}).get("requirements") or []
    return {r["key"]: (r.get("operator", "In"), [str(v) for v in r.get("values") or []]) for r in reqs if "key" in r}


def _admits(reqs: Mapping[str, tuple[str, list[str]]], t: P.InstanceType) -> bool:
    checks = {
        "kubernetes.io/arch": t.arch,
        "karpenter.k8s.aws/instance-category": t.category,
        "karpenter.k8s.aws/instance-family": t.family,
        "node.kubernetes.io/instance-type": t.name,
        "karpenter.k8s.aws/instance-generation": str(t.generation),
    }
    for key, (op, values) in reqs.items():
        if key not in checks:
            continue
        value = checks[key]
        if op == "In" and value not in values:
            return False
        if op == "NotIn" and value in values:
            return False
        if op in ("Gt", "Lt") and values:
            try:
                n, bound = int(value), int(values[0])
            except ValueError:
                return False
            if (op == "Gt" and not n > bound) or (op == "Lt" and not n < bound):
                return False
    return True


def _karpenter(doc: Mapping[str, Any], pricer: _Pricer, usage: CostConfig, table: P.PriceTable) -> list[LineItem]:
    """Karpenter's nodes cost nothing at rest; the ceiling is its NodePool limits filled with the dearest fit."""
    ceilings = []
    volume_gib = 0.0
    for nc in _of(doc, NODE_CLASS):
        for m in ((_requested(nc).get("spec") or {}).get("blockDeviceMappings")) or []:
            volume_gib += memory_gib((m.get("ebs") or {}).get("volumeSize", 0)) or 0
    for np_ in _of(doc, NODE_POOL):
        spec = _requested(np_).get("spec") or {}
        name = (_requested(np_).get("metadata") or {}).get("name", np_["name"])
        pricer.items.append(
            LineItem(
                component_label(np_["component"], pricer.environment),
                f"Karpenter NodePool {name}: nodes at rest",
                0,
                "instance-hour",
                "karpenter.at-rest",
                0.0,
                0.0,
                note="Karpenter launches nodes only for pending pods (nothing at rest); see its ceiling",
            )
        )
        limits = spec.get("limits") or {}
        cpu, mem = cpu_quantity(limits.get("cpu")), memory_gib(limits.get("memory"))
        reqs = _requirements(spec)
        capacity = reqs.get("karpenter.sh/capacity-type", ("In", ["on-demand"]))[1]
        spot_only = "on-demand" not in capacity and "spot" in capacity
        factor = 1 - usage.spot_discount_percent / 100 if spot_only else 1.0
        best: tuple[float, P.InstanceType, float] | None = None
        for t in table.instance_types():
            price = table.price(pricer.region, P.ec2_key(t.name))
            if price is None or not _admits(reqs, t):
                continue
            fits = [x for x in (cpu / t.vcpu if cpu else None, mem / t.memory_gib if mem else None) if x is not None]
            if not fits:
                continue
            count = min(fits)
            monthly = count * price.usd * factor * MONTH
            if best is None or monthly > best[0]:
                best = (monthly, t, count)
        item = f"Karpenter NodePool {name}: ceiling (limits cpu {limits.get('cpu')}, memory {limits.get('memory')})"
        comp = component_label(np_["component"], pricer.environment)
        if best is None or (cpu is None and mem is None):
            ceilings.append(
                LineItem(
                    comp,
                    item,
                    0,
                    "instance-hour",
                    "ec2.*",
                    None,
                    None,
                    note="no priced instance type in the table fits this NodePool",
                )
            )
            continue
        monthly, t, count = best
        gp3 = table.price(pricer.region, "ebs.gp3.gb-month")
        volumes = count * volume_gib * gp3.usd if gp3 and volume_gib else 0.0
        ceilings.append(
            LineItem(
                comp,
                item,
                count * MONTH,
                "instance-hour",
                P.ec2_key(t.name),
                table.price(pricer.region, P.ec2_key(t.name)).usd * factor,  # type: ignore[union-attr]
                monthly + volumes,
                note=f"{count:g} × {t.name} ({'spot' if spot_only else 'on-demand'}), the dearest fit among the "
                f"table's {len(table.instance_types())} instance types"
                + (f", plus {volume_gib:g} GiB gp3 each" if volumes else ""),
            )
        )
    return ceilings


def _network(doc: Mapping[str, Any], pricer: _Pricer, usage: CostConfig) -> None:
    nats = _of(doc, NAT_GATEWAY)
    for nat in nats:
        pricer.line(nat["component"], f"NAT gateway {nat['name']}: hours", MONTH, "hour", "nat.hour")
    if nats:
        pricer.line(
            nats[0]["component"],
            "NAT gateways: data processed",
            usage.nat_gb_per_month,
            "GB",
            "nat.gb",
            note="assumption platform:cost.natGbPerMonth (all NAT gateways together)",
        )
    for eip in _of(doc, EIP):
        pricer.line(eip["component"], f"public IPv4 address {eip['name']}", MONTH, "hour", "ipv4.hour")
    for ep in _of(doc, VPC_ENDPOINT):
        inputs = _requested(ep)
        if inputs.get("vpcEndpointType") != "Interface":
            continue  # gateway endpoints (S3, DynamoDB) have no charge
        service = str(inputs.get("serviceName", ep["name"])).split(".", 3)[-1]
        azs = len(inputs.get("subnetIds") or [])
        pricer.line(
            ep["component"], f"interface endpoint {service}: hours", azs * MONTH, "endpoint-AZ-hour", "endpoint.hour"
        )
        pricer.line(
            ep["component"],
            f"interface endpoint {service}: data processed",
            usage.endpoint_gb_per_month,
            "GB",
            "endpoint.gb",
            note="assumption platform:cost.endpointGbPerMonth",
        )


def _log_ingest(name: str, usage: CostConfig, nodes: float) -> tuple[float | None, str]:
    """GB/month into one log group, by what the group holds (its name, as the components create them)."""
    if name.endswith("/cluster"):
        return usage.control_plane_log_gb_per_month, "platform:cost.controlPlaneLogGbPerMonth"
    if name.endswith("/containers"):
        return usage.container_log_gb_per_node_month * nodes, f"containerLogGbPerNodeMonth × {nodes:g} nodes"
    if "/containerinsights/" in name:
        return usage.container_insights_gb_per_node_month * nodes, (
            f"containerInsightsGbPerNodeMonth × {nodes:g} nodes"
        )
    if "flow-logs" in name:
        return usage.flow_log_gb_per_month, "platform:cost.flowLogGbPerMonth"
    if name.startswith("/aws/rds/"):
        return usage.database_log_gb_per_month, "platform:cost.databaseLogGbPerMonth"
    return None, "no usage assumption for this log group"


def _keys_logs_data(doc: Mapping[str, Any], pricer: _Pricer, usage: CostConfig, nodes: float) -> None:
    for key in _of(doc, KMS_KEY):
        pricer.line(key["component"], f"KMS key {key['name']}", 1, "key-month", "kms.key")
    for lg in _of(doc, LOG_GROUP):
        inputs = _requested(lg)
        name = str(inputs.get("name") or lg["name"])
        gb, why = _log_ingest(name, usage, nodes)
        label = f"log group {name}"
        if gb is None:
            pricer.line(lg["component"], f"{label}: ingestion", 0, "GB", "logs.ingest", note=why).monthly_usd = None
            continue
        pricer.line(lg["component"], f"{label}: ingestion", gb, "GB", "logs.ingest", note=f"assumption {why}")
        retention = inputs.get("retentionInDays")
        if not retention:
            pricer.line(
                lg["component"],
                f"{label}: storage",
                0,
                "GB-month",
                "logs.storage",
                note="no retention: storage grows every month",
            ).monthly_usd = None
            continue
        stored = gb * usage.log_stored_fraction * float(retention) / DAYS_PER_MONTH
        pricer.line(
            lg["component"],
            f"{label}: storage",
            stored,
            "GB-month",
            "logs.storage",
            note=f"{retention} days kept: steady state once the retention is full; assumption "
            "platform:cost.logStoredFraction",
        )
    secrets = 0
    for db in _of(doc, RDS_INSTANCE):
        inputs = _requested(db)
        cls = str(inputs.get("instanceClass", "?"))
        multi = bool(inputs.get("multiAz"))
        az = "Multi-AZ" if multi else "Single-AZ"
        storage = float(inputs.get("allocatedStorage") or 0)
        pricer.line(db["component"], f"RDS {cls} PostgreSQL {az}", MONTH, "hour", P.rds_key(cls, multi))
        stype = str(inputs.get("storageType") or "gp2")
        key = P.rds_storage_key(multi) if stype == "gp3" else f"rds.{stype}.{'multi-az' if multi else 'single-az'}"
        pricer.line(
            db["component"],
            f"RDS storage {stype} {az}",
            storage,
            "GB-month",
            key,
            note="allocatedStorage (autoscaling up to maxAllocatedStorage is not priced)",
        )
        retention = float(inputs.get("backupRetentionPeriod") or 0)
        backup = storage * usage.database_backup_change_percent_per_day / 100 * retention
        pricer.line(
            db["component"],
            "RDS backups beyond the free allocation",
            backup,
            "GB-month",
            "rds.backup",
            note="assumption platform:cost.databaseBackupChangePercentPerDay × backupRetentionPeriod",
        )
        if inputs.get("manageMasterUserPassword"):
            secrets += 1
            _secret_lines(pricer, db["component"], f"secret of {db['name']} (managed by RDS)", usage)
    for s in _of(doc, SECRET):
        _secret_lines(pricer, s["component"], f"secret {s['name']}", usage)
    for q in _of(doc, SQS_QUEUE):
        pricer.line(
            q["component"],
            f"SQS queue {q['name']}: requests",
            usage.sqs_requests_per_month,
            "request",
            "sqs.request",
            note="assumption platform:cost.sqsRequestsPerMonth (free tier not deducted)",
        )
    for repo in _of(doc, ECR_REPOSITORY):
        name = _requested(repo).get("name", repo["name"])
        pricer.line(
            repo["component"],
            f"ECR repository {name}: storage",
            usage.ecr_gb_per_repository,
            "GB-month",
            "ecr.gb-month",
            note="assumption platform:cost.ecrGbPerRepository",
        )


def _secret_lines(pricer: _Pricer, component: str, label: str, usage: CostConfig) -> None:
    pricer.line(component, label, 1, "secret-month", "secrets.secret")
    pricer.line(
        component,
        f"{label}: API calls",
        usage.secret_api_calls_per_month,
        "request",
        "secrets.request",
        note="assumption platform:cost.secretApiCallsPerMonth",
    )


def _workload_load_balancers(
    doc: Mapping[str, Any], pricer: _Pricer, usage: CostConfig, est: Estimate, project_dir: Path | None
) -> None:
    from platformctl import workload_lbs

    if not _of(doc, GITOPS):
        return
    try:
        lbs = workload_lbs.load_balancers(pricer.environment, project_dir)
    except workload_lbs.RenderFailed as exc:
        est.notes.append(f"the reference workloads could not be rendered, their load balancers are not priced: {exc}")
        return
    if lbs is None:
        est.notes.append(f"no reference workloads for environment {pricer.environment} (no values file)")
        return
    for lb in lbs:
        prefix = "alb" if lb.kind == "application" else "nlb"
        what = f"{lb.kind} load balancer {lb.name} (reference workloads)"
        pricer.line("workloads", f"{what}: hours", MONTH, "hour", f"{prefix}.hour", note=lb.source)
        pricer.line(
            "workloads",
            f"{what}: capacity units",
            usage.alb_lcu_per_month * MONTH,
            "LCU-hour",
            f"{prefix}.lcu-hour",
            note="assumption platform:cost.albLcuPerMonth",
        )


# --------------------------------------------------------------------------------------------- rendering


def money(value: float | None) -> str:
    if value is None:
        return "not priced"
    return f"${value:,.2f}"


def _unit_price(i: LineItem) -> str:
    if i.unit_usd is None:
        return "—"
    digits = 2 if i.unit_usd >= 1 else 6
    return f"${i.unit_usd:.{digits}f}".rstrip("0").rstrip(".") + f"/{i.unit}"


def render_text(est: Estimate) -> str:
    rows = [("component", "item", "quantity", "unit price", "monthly")]
    for i in est.items:
        rows.append((i.component, i.item, f"{i.quantity:,.6g} {i.unit}", _unit_price(i), money(i.monthly_usd)))
    widths = [min(max(len(r[c]) for r in rows), 70) for c in range(5)]
    out = [
        f"Monthly estimate for stack {est.stack} ({est.environment}, {est.region}), USD, on-demand list prices "
        f"(price table compiled {est.prices_compiled}; support dates as of {est.on})",
        "",
    ]
    for n, r in enumerate(rows):
        cells = [
            r[0].ljust(widths[0]),
            r[1][:70].ljust(widths[1]),
            r[2].rjust(widths[2]),
            r[3].rjust(widths[3]),
            r[4].rjust(widths[4]),
        ]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append("")
    for comp, usd in est.by_component().items():
        out.append(f"{comp:<{widths[0]}}  {money(usd):>12}")
    low, high = est.range
    out += [
        "",
        f"TOTAL {money(est.total)} per month (node groups from minSize to maxSize: {money(low)} .. {money(high)})",
    ]
    if est.ceilings:
        out += ["", "Karpenter ceilings (not in the total):"]
        out += [
            f"  {c.component}: {c.item}: {money(c.monthly_usd)}" + (f"  ({c.note})" if c.note else "")
            for c in est.ceilings
        ]
    unpriced = est.unpriced
    if unpriced:
        out += ["", f"Not priced ({len(unpriced)}; not in the total, not zero):"]
        out += [f"  {i.component}: {i.item} [{i.price_key}]" + (f" ({i.note})" if i.note else "") for i in unpriced]
    out += [*(["", "Notes:"] if est.notes else []), *(f"  {n}" for n in est.notes)]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(est: Estimate, heading: str = "##") -> str:
    low, high = est.range
    out = [
        f"{heading} Monthly estimate: `{est.stack}` ({est.region}): **{money(est.total)}**",
        "",
        f"Node groups from minSize to maxSize: {money(low)} .. {money(high)}. On-demand list prices in USD from the "
        f"bundled price table (compiled {est.prices_compiled}); usage from `platform:cost`.",
        "",
        "| component | monthly |",
        "|---|---:|",
        *(f"| {c} | {money(v)} |" for c, v in est.by_component().items()),
        f"| **total** | **{money(est.total)}** |",
        "",
        "<details><summary>Line items</summary>",
        "",
        "| component | item | quantity | unit price | monthly |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {i.component} | {_md(i.item)} | {i.quantity:,.6g} {i.unit} | {_unit_price(i)} "
            f"| {money(i.monthly_usd)} |"
            for i in est.items
        ),
        "",
        "</details>",
    ]
    if est.ceilings:
        out += ["", "Karpenter ceilings (not in the total):", ""]
        out += [f"- {c.component}: {_md(c.item)}: **{money(c.monthly_usd)}** ({_md(c.note)})" for c in est.ceilings]
    unpriced = est.unpriced
    if unpriced:
        out += ["", f"**Not priced** ({len(unpriced)}, not in the total):", ""]
        out += [f"- {i.component}: {_md(i.item)} (`{i.price_key}`)" for i in unpriced]
    if est.notes:
        out += ["", *(f"> {n}" for n in est.notes)]
    return "\n".join(out) + "\n"


@dataclass
class Delta:
    stack: str
    base: Estimate | None  # None: the stack is new in this change
    head: Estimate

    @property
    def change(self) -> float:
        return self.head.total - (self.base.total if self.base else 0.0)

    def changed_items(self) -> list[tuple[str, str, float | None, float | None]]:
        base = {i.key: i.monthly_usd for i in (self.base.items if self.base else [])}
        head = {i.key: i.monthly_usd for i in self.head.items}
        out = []
        for key in sorted(base.keys() | head.keys()):
            a, b = base.get(key), head.get(key)
            if a != b and not (a is not None and b is not None and abs(a - b) < 0.005):
                out.append((key[0], key[1], a, b))
        return out


def _signed(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}${abs(value):,.2f}"


def render_delta_markdown(delta: Delta) -> str:
    head = delta.head
    base_total = money(delta.base.total) if delta.base else "— (new stack)"
    out = [
        f"### `{delta.stack}` ({head.region}): {money(head.total)} per month ({_signed(delta.change)})",
        "",
        "| | base branch | this change | delta |",
        "|---|---:|---:|---:|",
        f"| **total** | {base_total} | {money(head.total)} | **{_signed(delta.change)}** |",
    ]
    comps = sorted(set(head.by_component()) | set(delta.base.by_component() if delta.base else {}))
    for c in comps:
        a = (delta.base.by_component() if delta.base else {}).get(c, 0.0)
        b = head.by_component().get(c, 0.0)
        if abs(a - b) >= 0.005:
            out.append(f"| {c} | {money(a)} | {money(b)} | {_signed(b - a)} |")
    changed = delta.changed_items()
    if changed:
        out += [
            "",
            "<details><summary>Line items that changed</summary>",
            "",
            "| component | item | base branch | this change |",
            "|---|---|---:|---:|",
        ]
        out += [
            f"| {c} | {_md(i)} | {money(a) if a is not None or delta.base is None else 'not priced'} | {money(b)} |"
            for c, i, a, b in changed
        ]
        out += ["", "</details>"]
    unpriced = head.unpriced
    if unpriced:
        out += [
            "",
            f"Not priced in this change ({len(unpriced)}): "
            + ", ".join(f"{i.component}: {_md(i.item)}" for i in unpriced[:20])
            + (" …" if len(unpriced) > 20 else ""),
        ]
    out += ["", "<details><summary>Full estimate</summary>", "", render_markdown(head, heading="####"), "</details>"]
    return "\n".join(out) + "\n"


def usage_from_stack_file(path: Path) -> CostConfig:
    """The `platform:cost` assumptions of a stack file (only that section is read: the file may be another
    branch's, with keys this branch does not know). Raises ConfigError on a bad section."""
    from pydantic import ValidationError

    from components.config import ConfigError, read_stack_file
    from components.config.problems import Problem, join_path

    values = read_stack_file(path)
    raw = values.get("platform:cost") or {}
    try:
        return CostConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            [Problem(join_path("platform:cost", tuple(e["loc"])), e["msg"], e.get("input")) for e in exc.errors()],
            source=str(path),
        ) from None


def cost_rows(
    a: tuple[Mapping[str, Any], CostConfig], b: tuple[Mapping[str, Any], CostConfig], *, on: date | None = None
) -> list[tuple[str, str, str]]:
    """Monthly estimate per component of two environments, then the total and what is not priced (`diff-envs`)."""
    ea, eb = estimate(a[0], a[1], on=on), estimate(b[0], b[1], on=on)
    ca, cb = ea.by_component(), eb.by_component()
    rows = [(c, money(ca.get(c, 0.0)), money(cb.get(c, 0.0))) for c in sorted(ca.keys() | cb.keys())]
    rows.append(("**total**", f"**{money(ea.total)}**", f"**{money(eb.total)}**"))
    rows.append(("not priced (not in the total)", f"{len(ea.unpriced)} items", f"{len(eb.unpriced)} items"))
    return rows
