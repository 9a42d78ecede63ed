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
