"""Fleets offline: every stack of a fleet planned in dependency order, StackReferences answered from the other
stacks' offline plans, and the fleet's summary and graph (docs/fleets.md).

`OfflineReferences` is what the engine asks when the program reads a `pulumi.StackReference`: the referenced stack
is planned offline (once per run) *before* the program that reads it runs, in the order the fleet's data gives
(components/config/fleet.py: global, spokes, hub), and its outputs are handed over as the real engine hands over a
deployed stack's: secret outputs listed as secret (and masked), what the plan shows as unknown left unknown.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.config import ConfigError
from components.config.fleet import (
    CLUSTER_PROJECT,
    GLOBAL,
    GLOBAL_DIR,
    GLOBAL_PROJECT,
    HUB,
    SPOKE,
    Fleet,
    FleetMembers,
    check_fleet,
    fleet_of,
    load_fleet,
)
from platformctl.engine import SECRET_PLACEHOLDER, UnresolvedReference


class OfflineReferences:
    """StackReference name (<organization>/<project>/<stack>) -> the outputs of that stack's offline plan.

    `prepare(stack)` plans what `stack` reads, first (run_plan calls it before running the program); the engine then
    only looks plans up. Plans are kept per instance, so each stack is planned once however many stacks read it."""

    def __init__(self, repository: Path, plans: dict[tuple[str, str], Any] | None = None):
        self.repository = repository
        self.plans: dict[tuple[str, str], Any] = plans if plans is not None else {}
        self.failed: dict[tuple[str, str], str] = {}  # stacks that could not be planned, and why
        self._planning: set[tuple[str, str]] = set()

    def project_dir(self, project: str) -> Path | None:
        return {CLUSTER_PROJECT: self.repository, GLOBAL_PROJECT: self.repository / GLOBAL_DIR}.get(project)

    def prepare(self, project: str, stack: str) -> None:
        """Plan every stack `stack` reads (and what those read), unless planned already."""
        if project != CLUSTER_PROJECT:
            return  # the global program reads no other stack
        found = fleet_of(self.repository, stack)
        if found is None:
            return
        fleet, _ = found
        for other in fleet.references_of(stack):
            key = (fleet.project_of(other), other)
            if key in self.failed:
                continue
            try:
                self.plan(*key)
            except UnresolvedReference as exc:  # reported by the engine when the program reads it
                self.failed[key] = str(exc)

    def plan(self, project: str, stack: str) -> Any:
        key = (project, stack)
        if key in self.plans:
            return self.plans[key]
        directory = self.project_dir(project)
        if directory is None:
            raise UnresolvedReference(f"project {project} is not a program of this repository")
        path = directory / f"Pulumi.{stack}.yaml"
        if not path.is_file():
            where = path.relative_to(self.repository).as_posix()
            raise UnresolvedReference(f"no stack file {where} to plan it from")
        if key in self._planning:
            raise UnresolvedReference(f"{project}/{stack} reads itself through other stacks (a reference cycle)")
        from platformctl.engine import run_plan

        self._planning.add(key)
        try:
            self.plans[key] = run_plan(stack, project_dir=directory, references=self)
        except ConfigError as exc:
            raise UnresolvedReference(f"{stack} does not plan offline: {'; '.join(exc.lines[:3])}") from None
        finally:
            self._planning.discard(key)
        return self.plans[key]

    def __call__(self, name: str) -> tuple[dict[str, Any], list[str]]:
        parts = name.split("/")
        if len(parts) != 3:
            raise UnresolvedReference("not a fully qualified stack name <organization>/<project>/<stack>")
        _, project, stack = parts
        key = (project, stack)
        if key in self.failed:
            raise UnresolvedReference(self.failed[key])
        if key not in self.plans:
            if self.project_dir(project) is None:
                raise UnresolvedReference(f"project {project} is not a program of this repository")
            raise UnresolvedReference(f"{stack} was not planned before the stack that reads it (not in its fleet?)")
        outputs = self.plans[key].outputs
        return outputs, sorted(k for k, v in outputs.items() if v == SECRET_PLACEHOLDER)


# ------------------------------------------------------------------------------------------- the fleet's plan


@dataclass
class FleetPlan:
    fleet: Fleet
    members: FleetMembers
    plans: dict[str, Any] = field(default_factory=dict)  # stack -> Plan, in dependency order

    def role(self, stack: str) -> str:
        return str(self.fleet.role_of(stack))

    def config_of(self, stack: str) -> Any:
        if stack == self.fleet.global_stack:
            return self.members.global_config
        return self.members.hub if stack == self.fleet.hub else self.members.spokes[stack]

    def references(self) -> list[tuple[str, str]]:
        """(reading stack, read stack) for every StackReference the programs read."""
        out = []
        for stack, plan in self.plans.items():
            for name in sorted(plan.references):
                out.append((stack, name.rsplit("/", 1)[-1]))
        return out

    def unexpanded(self) -> dict[str, list[str]]:
        return {s: [e.name for e in p.unexpanded] for s, p in self.plans.items() if p.unexpanded}

    def summary(self) -> dict[str, Any]:
        rows = []
        for stack, plan in self.plans.items():
            cfg = self.config_of(stack)
            rows.append(
                {
                    "stack": stack,
                    "role": self.role(stack),
                    "wave": self.fleet.wave_of(stack),
                    "region": cfg.region,
                    "account": cfg.account,
                    "vpcCidr": getattr(getattr(cfg, "network", None), "vpc_cidr", None),
                    "resources": len(plan.resources),
                    "references": sorted(n.rsplit("/", 1)[-1] for n in plan.references),
                }
            )
        clusters: dict[str, list[str]] = {}
        for row in rows:
            if row["role"] != GLOBAL:
                clusters.setdefault(row["region"], []).append(row["stack"])
        return {
            "fleet": self.fleet.name,
            "organization": self.fleet.organization,
            "apiAccess": self.fleet.api_access,
            "order": list(self.plans),
            "rollout": [{"wave": w, "stacks": s} for w, s in self.fleet.rollout_waves()],
            "stacks": rows,
            "clustersPerRegion": dict(sorted(clusters.items())),
            "references": [{"from": a, "to": b} for a, b in self.references()],
            "resources": sum(r["resources"] for r in rows),
        }

    def document(self) -> dict[str, Any]:
        return {**self.summary(), "plans": {s: p.document() for s, p in self.plans.items()}}

    def to_json(self) -> str:
        return json.dumps(self.document(), indent=2, sort_keys=True, default=str) + "\n"

    def mermaid(self) -> str:
        """The fleet's stacks grouped by Region, and an arrow for each StackReference (reader --> read)."""
        ids = {s: f"s{i}" for i, s in enumerate(self.plans)}
        lines = ["flowchart LR"]
        by_region: dict[str, list[str]] = {}
        for stack in self.plans:
            by_region.setdefault(self.config_of(stack).region, []).append(stack)
        for i, (region, stacks) in enumerate(sorted(by_region.items())):
            lines.append(f'  subgraph r{i}["{region}"]')
            for stack in stacks:
                role = self.role(stack)
                counts = Counter(r.type.rsplit(":", 1)[-1] for r in self.plans[stack].resources)
                detail = f"{len(self.plans[stack].resources)} resources"
                if role == SPOKE:
                    detail += f"<br/>wave {self.fleet.wave_of(stack)}"
                elif role == HUB:
                    detail += f"<br/>{counts.get('Secret', 0)} Secrets"
                lines.append(f'    {ids[stack]}["<b>{stack}</b><br/><i>{role}</i><br/>{detail}"]')
            lines.append("  end")
        for reader, read in self.references():
            if read in ids:
                lines.append(f"  {ids[reader]} -->|StackReference| {ids[read]}")
        return "\n".join(lines) + "\n"


def plan_fleet(
    project_dir: Path, name: str, progress: Any = None, references: OfflineReferences | None = None
) -> FleetPlan:
    """Validate the fleet and plan each of its stacks once, in dependency order. Raises ConfigError.

    `references`: plans made already (their cache is reused and filled)."""
    from platformctl.engine import run_plan

    fleet = load_fleet(project_dir, name)
    members = check_fleet(project_dir, fleet)
    references = references or OfflineReferences(project_dir)
    result = FleetPlan(fleet=fleet, members=members)
    for stack in fleet.dependency_order:  # what a stack reads is planned before it
        project = fleet.project_of(stack)
        plan = references.plans.get((project, stack))
        if plan is None:
            if progress is not None:
                progress(stack)
            plan = run_plan(stack, project_dir=references.project_dir(project), references=references)
        references.plans[(project, stack)] = result.plans[stack] = plan
    return result
