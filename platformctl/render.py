"""Terminal rendering of plans (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.chart_cache import UNVERIFIED_WARNING

if TYPE_CHECKING:
    from platformctl.plan import Plan


def print_plan_summary(
    plan: Plan, elapsed: float, quiet: bool = False, stderr: bool = False, types: bool = False
) -> None:
    from rich.console import Console

    from platformctl.tables import print_rows

    console = Console(highlight=False, stderr=stderr)
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
        _print_warnings(console, warnings)
        return
    from rich.text import Text

    from platformctl.summary import component_summaries

    console.print("[bold]Components[/] (what matters in each, and the resources it declares)")
    for c in component_summaries(plan):
        counts = f"{c.resources} resource{'s' if c.resources != 1 else ''}"
        counts += f", {c.rendered} rendered from Helm charts" if c.rendered else ""
        counts += f", {c.protected} protected" if c.protected else ""
        console.print(Text("  ") + Text(c.name, style="bold") + Text(f"  {counts}", style="dim"))
        for line in c.settings:
            console.print(Text(f"      {line}"), soft_wrap=True)
    console.print()
    if types:
        print_rows(
            console,
            "Resources per type",
            ("type", "count"),
            [(typ, str(count)) for typ, count in sorted(summary["byType"].items(), key=lambda kv: (-kv[1], kv[0]))],
            justify={1: "right"},
        )
        console.print()
    if plan.expansions:
        console.print("[bold]Remote components (Helm charts, pulumi-eks)[/]")
        for e in sorted(plan.expansions, key=lambda e: (e.status == "expanded", e.name)):
            style = "" if e.status == "expanded" else ("yellow" if e.status == "not-expanded" else "bold red")
            line = e.line()
            console.print(f"  [{style}]{line}[/]" if style else f"  {line}", soft_wrap=True, markup=bool(style))
        console.print()
    _print_warnings(console, warnings)
    console.print(head)


def _print_warnings(console, warnings: list[str]) -> None:
    """Warnings verbatim: a config value in one (`["Z0..."]`) is text, never rich markup."""
    from rich.text import Text

    for w in warnings:
        console.print(Text("warning: ", style="yellow") + Text(w), soft_wrap=True)


def print_environments(rows, diff: dict) -> None:
    """`platformctl env list`: one row per stack, then every config key whose value differs between stacks."""
    import json

    from rich.console import Console

    from platformctl.tables import print_rows

    console = Console(highlight=False)
    headers = ("stack", "production", "account", "region", "VPC", "AZs", "Kubernetes", "domain", "GitOps", "status")
    table = []
    for r in rows:
        s = r.summary()
        if not s["valid"]:
            table.append((r.stack, "", "", "", "", "", "", "", "", f"invalid: {len(r.problems)} problem(s)"))
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
                ", ".join(s["gitops"]) or "-",
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
