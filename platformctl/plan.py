"""The offline plan: resources recorded by the engine, as a stable JSON document, a summary and a diagram.

The JSON document is a public, versioned format (`SCHEMA_VERSION`; schema in `plan.schema.json`
beside this file): keys sorted, resources sorted by URN, secrets masked.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components.config import StackConfig

# 2: remote components' requested inputs (`remoteInputs`), rendered chart objects (`virtual` for a Release's),
# `expansions` and `warnings`.
SCHEMA_VERSION = 2
SCHEMA_FILE = Path(__file__).with_name("plan.schema.json")

# How a plan shows a value the engine knows only at deploy time, and the engine's own sentinel for it (what a
# program reads back, and what analyzers receive).
UNKNOWN_PLACEHOLDER = "[unknown]"
ENGINE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def engine_value(value: Any) -> Any:
    """A plan value as the engine hands it over (a StackReference's outputs, an analyzer's properties): unknowns as
    the engine's sentinel."""
    if value == UNKNOWN_PLACEHOLDER:
        return ENGINE_UNKNOWN
    if isinstance(value, Mapping):
        return {k: engine_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [engine_value(v) for v in value]
    return value


@dataclass
class PlanResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    options: dict[str, Any]
    remote: bool = False
    tags_all: dict[str, str] | None = None
    component: str = ""
    # A remote component (Chart v4, eks:index:Cluster) is registered by its provider with no inputs, which is what
    # an analyzer sees (`inputs`); what the program asked for is kept here.
    remote_inputs: dict[str, Any] | None = None
    # An object rendered from a helm.sh/v3:Release: Helm installs it in the cluster; it is never a Pulumi resource.
    virtual: bool = False

    @property
    def is_component(self) -> bool:
        return not self.custom

    @property
    def requested(self) -> dict[str, Any]:
        """What the program declared: a remote component's requested inputs, else the inputs."""
        return self.remote_inputs if self.remote_inputs is not None else self.inputs

    @property
    def properties(self) -> dict[str, Any]:
        """What a policy sees: the inputs, plus tagsAll where the AWS provider computes it."""
        if self.tags_all is None:
            return self.inputs
        return {**self.inputs, "tagsAll": self.tags_all}

    def to_json(self) -> dict[str, Any]:
        doc = {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "remote": self.remote,
            "parent": self.parent,
            "component": self.component,
            "provider": self.provider,
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
            "inputs": self.inputs,
            "options": self.options,
        }
        if self.tags_all is not None:
            doc["tagsAll"] = self.tags_all
        if self.remote_inputs is not None:
            doc["remoteInputs"] = self.remote_inputs
        if self.virtual:
            doc["virtual"] = True
        return doc


@dataclass
class Plan:
    project: str
    stack: str
    config: StackConfig
    resources: list[PlanResource]
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[str] = field(default_factory=list)
    # What became of each remote component (platformctl.expand.Expansion: Helm charts and releases, pulumi-eks
    # clusters), and the engine's warnings.
    expansions: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # StackReferences the program read (fully qualified stack name -> the output names that stack offered).
    references: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.resources.sort(key=lambda r: r.urn)
        # Registration order varies between runs (outputs resolve concurrently): keep documents stable.
        self.expansions.sort(key=lambda e: e.urn)
        self.warnings = sorted(set(self.warnings))
        by_urn = {r.urn: r for r in self.resources}
        for r in self.resources:
            top = r
            while top.parent and top.parent in by_urn:
                top = by_urn[top.parent]
            r.component = top.name

    @cached_property
    def by_urn(self) -> dict[str, PlanResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> list[PlanResource]:
        return [r for r in self.resources if r.type == type_token]

    def children(self, urn: str) -> list[PlanResource]:
        return [r for r in self.resources if r.parent == urn]

    @property
    def unexpanded(self) -> list[Any]:
        """Remote components (charts, releases, pulumi-eks clusters) whose resources are not in the plan: not
        expanded, or failed."""
        return [e for e in self.expansions if e.status != "expanded"]

    def summary(self) -> dict[str, Any]:
        return {
            "resources": len(self.resources),
            "byType": dict(sorted(Counter(r.type for r in self.resources).items())),
            "byComponent": dict(sorted(Counter(r.component for r in self.resources).items())),
            "protected": sorted(r.urn for r in self.resources if r.options.get("protect")),
            "rendered": sum(e.objects for e in self.expansions),
            "unexpanded": [e.name for e in self.unexpanded],
        }

    def document(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "project": self.project,
            "stack": self.stack,
            "environment": self.config.environment.name,
            "production": self.config.production,
            "account": self.config.account,
            "region": self.config.region,
            "summary": self.summary(),
            "outputs": self.outputs,
            "invokes": self.invokes,
            "expansions": [e.to_json() for e in self.expansions],
            "warnings": self.warnings,
            "references": self.references,
            "resources": [r.to_json() for r in self.resources],
        }

    def to_json(self) -> str:
        return json.dumps(self.document(), indent=2, sort_keys=True, default=str) + "\n"

    # ------------------------------------------------------------------ diagram

    def _depth(self, r: PlanResource) -> int:
        depth, cur = 1, r
        while cur.parent and cur.parent in self.by_urn:
            depth += 1
            cur = self.by_urn[cur.parent]
        return depth

    def mermaid(self, depth: int | None = None) -> str:
        """Components (ComponentResources) and their dependencies, grouped by top-level component.

        Custom resources are folded into their component as counts per type, so a plan of a few
        hundred resources stays a readable diagram of a few dozen boxes. `depth=1` shows only the
        top-level components (the architecture diagram in README.md, docs/architecture.md).
        """
        comps = [r for r in self.resources if r.is_component and (depth is None or self._depth(r) <= depth)]
        comp_urns = {r.urn for r in comps}
        ids = {urn: f"c{i}" for i, urn in enumerate(sorted(comp_urns))}

        def owner(r: PlanResource) -> str | None:
            """Nearest enclosing component URN of a resource (itself if it is one)."""
            cur: PlanResource | None = r
            while cur is not None:
                if cur.urn in comp_urns:
                    return cur.urn
                cur = self.by_urn.get(cur.parent) if cur.parent else None
            return None

        counts: dict[str, Counter] = defaultdict(Counter)
        for r in self.resources:
            if r.is_component:
                continue
            o = owner(r)
            if o:
                counts[o][r.type.rsplit(":", 1)[-1]] += 1
        edges: set[tuple[str, str]] = set()
        for r in self.resources:
            src = owner(r)
            for dep in r.dependencies + [d for ds in r.property_dependencies.values() for d in ds]:
                dep_res = self.by_urn.get(dep)
                dst = owner(dep_res) if dep_res else None
                if src and dst and src != dst and not self._is_ancestor(dst, src) and not self._is_ancestor(src, dst):
                    edges.add((src, dst))

        lines = ["flowchart LR"]
        tops = [r for r in comps if not r.parent or r.parent not in comp_urns]

        def label(r: PlanResource) -> str:
            c = counts.get(r.urn, Counter())
            detail = "<br/>".join(f"{n} × {t}" for t, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:6])
            more = len(c) - 6
            if more > 0:
                detail += f"<br/>+{more} more types"
            kind = r.type.rsplit(":", 1)[-1]
            text = f"<b>{r.name}</b><br/><i>{kind}</i>" + (f"<br/>{detail}" if detail else "")
            return text.replace('"', "'")

        def emit(r: PlanResource, depth: int) -> None:
            kids = [k for k in comps if k.parent == r.urn]
            pad = "  " * depth
            if kids:
                lines.append(f'{pad}subgraph {ids[r.urn]}g["{r.name}"]')
                lines.append(f'{pad}  {ids[r.urn]}["{label(r)}"]')
                for k in kids:
                    emit(k, depth + 1)
                lines.append(f"{pad}end")
            else:
                lines.append(f'{pad}{ids[r.urn]}["{label(r)}"]')

        for t in tops:
            emit(t, 1)
        for src, dst in sorted(edges):
            lines.append(f"  {ids[src]} --> {ids[dst]}")
        return "\n".join(lines) + "\n"

    def _is_ancestor(self, maybe_ancestor: str, urn: str) -> bool:
        cur = self.by_urn.get(urn)
        while cur is not None and cur.parent:
            if cur.parent == maybe_ancestor:
                return True
            cur = self.by_urn.get(cur.parent)
        return False
