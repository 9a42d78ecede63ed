"""Policy check reports: a terminal table, a Markdown PR comment, JSON, and SARIF 2.1.0 for code scanning.

Every renderer takes the same `PolicyReport`; all but the table are pure functions returning text, with
violations in a stable order (mandatory first, then by policy, resource and message).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from platformctl.analyzer import Diagnostic

REPORT_SCHEMA_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "platformctl-policy"
TOOL_URI = "https://github.com/example-org/eks-platform#policy-packs"
FORMATS = ("table", "markdown", "json", "sarif")
_LEVEL_ORDER = {"mandatory": 0, "advisory": 1}


@dataclass(frozen=True)
class PolicySummary:
    pack: str
    name: str
    description: str
    level: str  # effective enforcement level: advisory | mandatory | disabled
    stack: bool = False
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class PolicyReport:
    project: str
    stack: str
    environment: str
    production: bool
    stack_file: str  # the stack's config file, relative to the project (SARIF artifact)
    policy_config: str | None  # the policy config file used, relative to the project (None: pack defaults)
    resources: int
    packs: dict[str, str]  # pack name -> version
    policies: list[PolicySummary]
    diagnostics: list[Diagnostic]
    timings: dict[str, float] = field(default_factory=dict)
    # Remote components (Helm charts and releases, pulumi-eks clusters) whose resources are not in the plan, one line
    # each: not analyzed. They fail the check unless `allow_unexpanded` (--allow-unexpanded), which the report says.
    unexpanded: list[str] = field(default_factory=list)
    allow_unexpanded: bool = False
    rendered: int = 0  # resources registered by expanded remote components (included in `resources`)

    def __post_init__(self) -> None:
        self.diagnostics = sorted(
            self.diagnostics, key=lambda d: (_LEVEL_ORDER.get(d.level, 2), d.policy, d.urn, d.message)
        )

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "mandatory"]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level != "mandatory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory and (not self.unexpanded or self.allow_unexpanded)

    def unexpanded_note(self) -> str:
        if not self.unexpanded:
            return ""
        verdict = "allowed by --allow-unexpanded" if self.allow_unexpanded else "fails the check"
        return (
            f"{len(self.unexpanded)} remote component(s) (Helm charts, pulumi-eks clusters) not expanded, their "
            f"resources not analyzed ({verdict})"
        )

    def counts_by_policy(self) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {p.name: Counter() for p in self.policies}
        for d in self.diagnostics:
            out.setdefault(d.policy, Counter())[d.level] += 1
        return out

    def summary_line(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        note = self.unexpanded_note()
        return (
            f"policy check {verdict} for stack {self.stack}: {len(self.mandatory)} mandatory, "
            f"{len(self.advisory)} advisory violation(s) across {self.resources} resources "
            f"({self.rendered} registered by expanded remote components), {len(self.policies)} policies in "
            f"{len(self.packs)} packs" + (f"; {note}" if note else "")
        )


def _fix(d: Diagnostic, report: PolicyReport) -> str:
    """What to change: the config key (and its line in the stack file), or why there is none."""
    from platformctl.fixhints import hint

    where = f" ({report.stack_file} line {d.config_line})" if d.config_key and d.config_line else ""
    return hint(d.config_key, d.policy) + where


_CHART_CHILD = re.compile(r"\$kubernetes:helm\.sh/v\d:(?:Chart|Release)\$")


def _resource_label(d: Diagnostic) -> str:
    if d.resource_name:
        label = f"{d.resource_name} ({d.resource_type})" if d.resource_type else d.resource_name
        if d.parent and _CHART_CHILD.search(d.urn):
            label += f" in {d.parent.rsplit('::', 1)[-1]}"
        return label
    return d.urn or "(stack)"


# ----------------------------------------------------------------------------------------------- json


def render_json(report: PolicyReport) -> str:
    by_policy = report.counts_by_policy()
    doc = {
        "schemaVersion": REPORT_SCHEMA_VERSION,
        "project": report.project,
        "stack": report.stack,
        "environment": report.environment,
        "production": report.production,
        "passed": report.passed,
        "policyConfig": report.policy_config,
        "unexpanded": report.unexpanded,
        "allowUnexpanded": report.allow_unexpanded,
        "summary": {
            "resources": report.resources,
            "rendered": report.rendered,
            "mandatory": len(report.mandatory),
            "advisory": len(report.advisory),
            "byPolicy": {name: dict(sorted(c.items())) for name, c in sorted(by_policy.items()) if c},
        },
        "packs": [
            {
                "name": pack,
                "version": version,
                "policies": [
                    {
                        "name": p.name,
                        "description": p.description,
                        "enforcementLevel": p.level,
                        "type": "stack" if p.stack else "resource",
                        "config": p.config,
                    }
                    for p in report.policies
                    if p.pack == pack
                ],
            }
            for pack, version in sorted(report.packs.items())
        ],
        "violations": [d.to_dict() for d in report.diagnostics],
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


# ----------------------------------------------------------------------------------------------- markdown


def _md(text: str) -> str:
    """Inline text safe in a Markdown list item (no raw HTML, no accidental tables)."""
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: PolicyReport) -> str:
    icon = "✅" if report.passed else "❌"
    out = [
        f"## {icon} Policy check: `{report.stack}` {'passed' if report.passed else 'failed'}",
        "",
        f"**{len(report.mandatory)}** mandatory · **{len(report.advisory)}** advisory violation(s) · "
        f"{report.resources} resources · {len(report.policies)} policies in {len(report.packs)} packs"
        + (f" · config `{report.policy_config}`" if report.policy_config else ""),
        "",
        "| Policy | Pack | Level | Violations |",
        "|---|---|---|---:|",
    ]
    if report.unexpanded:
        out[3:3] = [f"**{report.unexpanded_note()}:**", "", *(f"- {_md(line)}" for line in report.unexpanded), ""]
    counts = report.counts_by_policy()
    for p in sorted(report.policies, key=lambda p: (-sum(counts.get(p.name, {}).values()), p.pack, p.name)):
        n = sum(counts.get(p.name, Counter()).values())
        out.append(f"| `{p.name}` | {p.pack} | {p.level} | {n if n else '–'} |")
    for title, diags in (("Mandatory violations", report.mandatory), ("Advisory violations", report.advisory)):
        if not diags:
            continue
        out += ["", f"### {title} ({len(diags)})"]
        policy_of = {p.name: p for p in report.policies}
        for policy in sorted({d.policy for d in diags}, key=lambda n: [d.policy for d in diags].index(n)):
            group = [d for d in diags if d.policy == policy]
            spec = policy_of.get(policy)
            out += ["", f"#### `{policy}` ({len(group)})"]
            if spec is not None:
                out.append(f"_{_md(spec.description)}_")
            out.append("")
            for d in group:
                out.append(f"- **{_md(_resource_label(d))}**: {_md(d.message)} → {_md(_fix(d, report))}")
    if report.passed and not report.advisory:
        out += ["", "No violations."]
    out += ["", f"<sub>{TOOL_NAME} · stack file `{report.stack_file}`</sub>", ""]
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------- sarif


def _sarif_level(level: str) -> str:
    return {"mandatory": "error", "advisory": "warning"}.get(level, "none")


def render_sarif(report: PolicyReport) -> str:
    rules = []
    index: dict[str, int] = {}
    for p in report.policies:
        if p.name in index:
            continue
        index[p.name] = len(rules)
        rules.append(
            {
                "id": p.name,
                "name": p.name,
                "shortDescription": {"text": p.description},
                "fullDescription": {"text": f"{p.description} (policy pack {p.pack})"},
                "defaultConfiguration": {"level": _sarif_level(p.level), "enabled": p.level != "disabled"},
                "properties": {"pack": p.pack, "type": "stack" if p.stack else "resource", "config": p.config},
            }
        )
    results = []
    for d in report.diagnostics:
        if d.policy not in index:  # a policy the packs did not declare: still report it
            index[d.policy] = len(rules)
            rules.append({"id": d.policy, "name": d.policy, "shortDescription": {"text": d.description or d.policy}})
        fingerprint = hashlib.sha256(f"{d.policy}\0{d.urn}\0{d.message}".encode()).hexdigest()
        results.append(
            {
                "ruleId": d.policy,
                "ruleIndex": index[d.policy],
                "level": _sarif_level(d.level),
                "message": {"text": f"{_resource_label(d)}: {d.message} ({_fix(d, report)})"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": report.stack_file, "uriBaseId": "%SRCROOT%"},
                            # The line of the config key to change (else of its section, else the file's start).
                            "region": {"startLine": d.config_line or 1},
                        },
                        "logicalLocations": [
                            {
                                "fullyQualifiedName": d.urn,
                                "name": d.resource_name or d.urn,
                                "kind": "resource",
                            }
                        ],
                    }
                ],
                "partialFingerprints": {"platformctlPolicy/v1": fingerprint},
                "properties": {
                    "pack": d.pack,
                    "enforcementLevel": d.level,
                    "resourceType": d.resource_type,
                    "configKey": d.config_key,
                },
            }
        )
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "informationUri": TOOL_URI,
                        "semanticVersion": "0.1.0",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"{TOOL_NAME}/{report.stack}/"},
                "artifacts": [{"location": {"uri": report.stack_file, "uriBaseId": "%SRCROOT%"}}],
                "results": results,
                "properties": {
                    "stack": report.stack,
                    "project": report.project,
                    "passed": report.passed,
                    "unexpanded": report.unexpanded,
                },
            }
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


# ----------------------------------------------------------------------------------------------- table


def render_table(report: PolicyReport, *, color: bool = True, width: int | None = None) -> str:
    """The terminal view (rich): a summary per policy, then every violation, mandatory first."""
    from rich.console import Console
    from rich.text import Text

    from platformctl.tables import print_rows

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width or 160, highlight=False)
    counts = report.counts_by_policy()
    rows = []
    for p in report.policies:
        c = counts.get(p.name, Counter())
        rows.append(
            (
                p.pack,
                p.name,
                p.level,
                Text(str(c["mandatory"]), style="bold red") if c["mandatory"] else "0",
                Text(str(c["advisory"]), style="yellow") if c["advisory"] else "0",
            )
        )
    print_rows(
        console,
        f"Policies for stack {report.stack}",
        ("Pack", "Policy", "Level", "Mandatory", "Advisory"),
        rows,
        justify={3: "right", 4: "right"},
    )
    if report.diagnostics:
        _print_violations(console, report)
    for line in report.unexpanded:
        console.print(Text(f"not analyzed: {line}", style="yellow" if report.allow_unexpanded else "bold red"))
    verdict = Text(report.summary_line(), style="bold green" if report.passed else "bold red")
    console.print(verdict)
    return buf.getvalue()


# The message column wraps (prose); below this width it would be too narrow to read, and the table turns into
# one block per violation.
MIN_MESSAGE_WIDTH = 30


def _print_violations(console, report: PolicyReport) -> None:
    """Every violation, mandatory first. Level, policy, resource and config key are never wrapped or cut: a table
    when they fit beside a readable message column, else one block per violation."""
    from rich.table import Table
    from rich.text import Text

    rows = [
        (
            d.level,
            d.policy,
            _resource_label(d),
            d.message,
            _fix(d, report),
            "bold red" if d.level == "mandatory" else "yellow",
        )
        for d in report.diagnostics
    ]
    fixed = [max(len(h), *(len(r[i]) for r in rows)) for i, h in ((0, "Level"), (1, "Policy"), (2, "Resource"))]
    fix_width = max(len("Fix"), *(len(r[4]) for r in rows))
    if sum(fixed) + fix_width + MIN_MESSAGE_WIDTH + 4 * 3 + 2 <= console.width:
        table = Table(title="Violations", title_justify="left", show_lines=True, expand=True)
        table.add_column("Level", no_wrap=True)
        table.add_column("Policy", no_wrap=True)
        table.add_column("Resource", no_wrap=True)
        table.add_column("What is wrong", ratio=1)
        table.add_column("Fix", no_wrap=True)
        for level, policy, resource, message, fix, style in rows:
            table.add_row(Text(level, style=style), policy, resource, message, fix)
        console.print(table)
        return
    console.print(Text("Violations", style="italic"))
    for level, policy, resource, message, fix, style in rows:
        console.print(Text(level, style=style) + Text(f" {policy}: ") + Text(resource, style="bold"), soft_wrap=True)
        console.print(Text(f"  {message}"), soft_wrap=True)
        console.print(Text(f"  fix: {fix}"), soft_wrap=True)


def render(report: PolicyReport, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "sarif":
        return render_sarif(report)
    if fmt == "table":
        return render_table(report, color=color)
    raise ValueError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
