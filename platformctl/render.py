"""Terminal rendering of plans (rich)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from components.chart_cache import UNVERIFIED_WARNING

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
        f"{', production' if cfg.production else ''}, account {cfg.account}, {cfg.region}): "
        f"{n} resources in {len(summary['byComponent'])} components, {len(summary['protected'])} protected "
        f"[dim]({elapsed:.2f}s offline, {n / elapsed if elapsed else 0:.0f} resources/s)[/]"
    )
    unverified = UNVERIFIED_WARNING
    warnings = [w for w in plan.warnings if unverified not in w]  # the chart lines below say it
    if quiet:
        console.print(head)
        for e in plan.unexpanded:
            console.print(f"[yellow]{e.line()}[/]", soft_wrap=True)
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
    if plan.expansions:
        console.print("[bold]Remote components (Helm charts, pulumi-eks)[/]")
        for e in sorted(plan.expansions, key=lambda e: (e.status == "expanded", e.name)):
            style = "" if e.status == "expanded" else ("yellow" if e.status == "not-expanded" else "bold red")
            line = e.line()
            console.print(f"  [{style}]{line}[/]" if style else f"  {line}", soft_wrap=True, markup=bool(style))
        console.print()
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}", soft_wrap=True)
    console.print(head)
