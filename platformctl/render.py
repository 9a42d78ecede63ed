"""Terminal rendering of plans (rich)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platformctl.plan import Plan


def print_plan_summary(plan: Plan, elapsed: float, quiet: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    summary = plan.summary()
    n = summary["resources"]
    cfg = plan.config
    head = (
        f"[bold]{plan.project}[/] stack [bold]{plan.stack}[/] ({cfg.environment.name}"
        f"{', production' if cfg.production else ''}, {cfg.region}): "
        f"{n} resources in {len(summary['byComponent'])} components, {len(summary['protected'])} protected "
        f"[dim]({elapsed:.2f}s offline, {n / elapsed if elapsed else 0:.0f} resources/s)[/]"
    )
    if quiet:
        console.print(head)
        return
    components = Table(title="Resources per component", title_justify="left", show_edge=False)
    components.add_column("component")
    components.add_column("resources", justify="right")
    components.add_column("protected", justify="right")
    protected = Counter(plan.by_urn[u].component for u in summary["protected"])
    for comp, count in summary["byComponent"].items():
        components.add_row(comp, str(count), str(protected.get(comp, 0) or ""))
    types = Table(title="Resources per type", title_justify="left", show_edge=False)
    types.add_column("type")
    types.add_column("count", justify="right")
    for typ, count in sorted(summary["byType"].items(), key=lambda kv: (-kv[1], kv[0])):
        types.add_row(typ, str(count))
    console.print(components)
    console.print()
    console.print(types)
    console.print()
    console.print(head)


def print_environments(rows, diff: dict) -> None:
    """`platformctl env list`: one row per stack, then every config key whose value differs between stacks."""
    import json

    from rich.console import Console

    from platformctl.tables import print_rows

    console = Console(highlight=False)
    headers = ("stack", "production", "account", "region", "VPC", "AZs", "Kubernetes", "domain", "status")
    table = []
    for r in rows:
        s = r.summary()
        if not s["valid"]:
            table.append((r.stack, "", "", "", "", "", "", "", f"invalid: {len(r.problems)} problem(s)"))
            continue
        status = f"{len(s['warnings'])} warning(s)" if s["warnings"] else "valid"
        table.append(
            (
                r.stack,
                "yes" if s["production"] else "no",
                s["account"],
                s["region"],
                s["vpcCidr"],
                str(s["azCount"]),
                s["kubernetes"],
                s["domain"] or "-",
                status,
            )
        )
    print_rows(console, "Environments", headers, table)
    for r in rows:
        for line in [*r.problems, *(r.summary().get("warnings") or [])]:
            console.print(f"{r.stack}: {line}", markup=False, soft_wrap=True)
    if not diff:
        console.print("No config key differs between the stacks.")
        return
    stacks = [r.stack for r in rows]
    cells = [
        (key, *("-" if values[st] is None else json.dumps(values[st], default=str).strip('"') for st in stacks))
        for key, values in diff.items()
    ]
    console.print()
    print_rows(console, "What differs", ("config key", *stacks), cells)
