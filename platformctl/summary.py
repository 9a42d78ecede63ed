"""What matters in a plan, per component: its key settings (from the validated stack config the program ran with,
and the add-on versions the program exported) and how many resources it declares, rendered chart objects and the
cluster's children included. Pure: `platformctl plan` prints it; tests read it."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# An object a Helm chart (or release) renders: its URN's type chain runs through the chart.
_CHART_CHILD = re.compile(r"\$kubernetes:helm\.sh/v\d:(?:Chart|Release)\$")


@dataclass
class ComponentSummary:
    name: str  # the top-level component's resource name, e.g. "prod-cluster"
    resources: int = 0
    rendered: int = 0  # of which: objects rendered from Helm charts
    protected: int = 0
    settings: list[str] = field(default_factory=list)


def component_summaries(plan: Any) -> list[ComponentSummary]:
    """One entry per top-level component, in plan order, with the settings that matter for it."""
    counts: Counter[str] = Counter()
    rendered: Counter[str] = Counter()
    protected: Counter[str] = Counter()
    for r in plan.resources:
        counts[r.component] += 1
        if _CHART_CHILD.search(r.urn):
            rendered[r.component] += 1
        if r.options.get("protect"):
            protected[r.component] += 1
    env = plan.config.environment.name
    settings = _settings(plan)
    out = []
    for name in sorted(counts):
        role = name.removeprefix(f"{env}-")
        out.append(
            ComponentSummary(
                name=name,
                resources=counts[name],
                rendered=rendered[name],
                protected=protected[name],
                settings=settings.get(role, []),
            )
        )
    return out


def _settings(plan: Any) -> dict[str, list[str]]:
    cfg = plan.config
    net, cl = cfg.network, cfg.cluster
    nat = "one NAT gateway" if net.nat_gateways == "single" else "a NAT gateway per AZ"
    endpoint = (
        f"public to {', '.join(cl.endpoint.public_access_cidrs) or 'everyone'} and private"
        if cl.endpoint.public_access
        else "private only"
    )
    out: dict[str, list[str]] = {
        "network": [
            f"VPC {net.vpc_cidr}, {net.az_count} AZs, {nat}",
            f"interface endpoints: {', '.join(net.interface_endpoints) or 'none'}",
        ],
        "cluster": [
            f"Kubernetes {cl.version} ({cl.upgrade_policy.lower()} support), API endpoint {endpoint}",
            f"deletion protection {'on' if cl.deletion_protection else 'off'}, "
            f"control-plane logs {cl.log_retention_days} days",
        ],
        "nodes": [
            f"{p.name}: {', '.join(p.instance_types)}"
            + (" (spot)" if p.capacity_type == "SPOT" else "")
            + f", min/desired/max {p.min_size}/{p.desired_size}/{p.max_size}"
            for p in cfg.node_pools
        ],
    }
    if cfg.karpenter.enabled:
        out["karpenter"] = [f"AMI {cfg.karpenter.ami_selector_alias}"] + [
            f"{p.name}: {'/'.join(p.capacity_types)}, limits cpu {p.limits.cpu}, memory {p.limits.memory}"
            for p in cfg.karpenter.node_pools
        ]
    from components.addons.catalog import CATALOG

    addons = plan.outputs.get("addons") if isinstance(plan.outputs.get("addons"), dict) else {}
    for role, before in (("network-addons", True), ("addons", False)):
        installed = [
            f"{name} {info.get('version')} ({'EKS add-on' if info.get('kind') == 'eks' else 'Helm'})"
            for name, info in addons.items()
            if isinstance(info, dict) and name in CATALOG and CATALOG[name].before_nodes == before
        ]
        if installed:
            out[role] = installed
    if cfg.gitops.enabled:
        out["gitops"] = [
            f"Argo CD{' HA' if cfg.gitops.ha else ''}, {cfg.gitops.repo_url} at {cfg.gitops.revision}"
            + (f"; Argo CD installs {', '.join(cfg.gitops.addons)}" if cfg.gitops.addons else "")
        ]
    db = cfg.data.database
    if db is not None:
        kind = "Aurora PostgreSQL" if db.aurora else "RDS PostgreSQL"
        out["database"] = [
            f"{kind} {db.engine_version}, {db.instance_class}{', Multi-AZ' if db.multi_az else ''}, "
            f"{db.allocated_storage} GiB, backups {db.backup_retention_days} days"
        ]
    if cfg.data.registries is not None:
        out["registry"] = [f"ECR: {', '.join(cfg.data.registries.apps)}"]
    runner = getattr(cfg, "deploy_runner", None)
    if runner is not None and getattr(runner, "enabled", False):
        out["deploy-runner"] = [f"CodeBuild runner for {runner.github_repository} in the private subnets"]
    return out
