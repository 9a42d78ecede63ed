"""`platformctl cost` and `platformctl prices`: the commands over platformctl/cost.py and platformctl/prices.py."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class CostFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


def _cli():
    from platformctl import cli

    return cli


def _date(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _cli().fail(f"error: --on {value!r} is not a date like 2026-12-01", _cli().EXIT_USAGE) from None


def _table(path: Path | None):
    from platformctl import prices

    try:
        return prices.load_table(path)
    except prices.PriceTableError as exc:
        raise _cli().fail(f"error: {exc}", _cli().EXIT_USAGE) from None


def cost(
    stack: Annotated[str, typer.Argument(help="Stack name: 'dev', 'prod', or fully qualified 'org/eks-platform/dev'.")],
    fmt: Annotated[CostFormat, typer.Option("--format", "-f", help="Report format.")] = CostFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config-file", dir_okay=False, help="Use this stack config file instead of Pulumi.<STACK>.yaml."
        ),
    ] = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            exists=True,
            dir_okay=False,
            help="Price this plan JSON (`platformctl plan --json`) instead of "
            "planning the stack now; its platform:cost assumptions come from the stack config file.",
        ),
    ] = None,
    base_plan: Annotated[
        Path | None,
        typer.Option(
            "--base-plan",
            dir_okay=False,
            help="The base branch's plan JSON: report the change against it (a missing file means no base: a new "
            "stack, or a base branch that could not be planned).",
        ),
    ] = None,
    base_config: Annotated[
        Path | None,
        typer.Option(
            "--base-config",
            dir_okay=False,
            help="The base branch's stack file, for its platform:cost assumptions (default: this branch's).",
        ),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Price the EKS support state as of this date (default: today).")
    ] = None,
    prices_file: Annotated[
        Path | None, typer.Option("--prices", dir_okay=False, help="A price table instead of the bundled one.")
    ] = None,
) -> None:
    """Offline: what the stack costs per month, per component and line item, from its offline plan.

    On-demand list prices from the bundled, dated price table (`platformctl prices show`); usage-driven items from
    the stack's `platform:cost` assumptions. Items whose price is not in the table are listed as not priced (exit 0).
    Examples: `platformctl cost prod`, `platformctl cost dev --format markdown`,
    `platformctl cost prod --base-plan base-prod.json --base-config ../base/Pulumi.prod.yaml --format markdown`.
    """
    from components.config import ConfigError
    from components.config.stack import short_stack_name, stack_file
    from platformctl import cost as C
    from platformctl.paths import project_root

    cli = _cli()
    when = _date(on)
    table = _table(prices_file)
    path = config_file or stack_file(project_root(), stack)
    try:
        usage = C.usage_from_stack_file(path)
        if plan_file:
            doc = _read_plan(plan_file)
        else:
            doc = cli.load_plan(stack, config_file).document()
        # No base stack file: a stack new in this change (then there is no base plan either).
        base_usage = C.usage_from_stack_file(base_config) if base_config and base_config.is_file() else usage
    except ConfigError as exc:
        raise cli.fail(exc.lines, cli.EXIT_USAGE) from None
    head = C.estimate(doc, usage, table, on=when)
    if base_plan is None:
        text = {
            CostFormat.table: C.render_text,
            CostFormat.markdown: C.render_markdown,
            CostFormat.json: lambda e: json.dumps(e.to_json(), indent=2, sort_keys=True) + "\n",
        }[fmt](head)
    else:
        base = None
        if base_plan.is_file():
            project = base_config.resolve().parent if base_config else None
            base = C.estimate(_read_plan(base_plan), base_usage, table, on=when, project_dir=project)
        delta = C.Delta(short_stack_name(stack), base, head)
        if fmt is CostFormat.json:
            text = json.dumps(
                {
                    "stack": delta.stack,
                    "base": base.to_json() if base else None,
                    "head": head.to_json(),
                    "monthlyDelta": round(delta.change, 2),
                },
                indent=2,
                sort_keys=True,
            )
            text += "\n"
        elif fmt is CostFormat.markdown:
            text = C.render_delta_markdown(delta)
        else:
            was = C.money(base.total) if base else "no base plan"
            text = C.render_text(head) + f"\nBase branch: {was}; change: {C._signed(delta.change)} per month\n"
    if output:
        cli._write(output, text)
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text, nl=False)


def _read_plan(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise _cli().fail(f"error: {path}: not a plan JSON: {exc}", _cli().EXIT_USAGE) from None
    if not isinstance(doc, dict) or "resources" not in doc:
        raise _cli().fail(f"error: {path}: not a plan JSON (no 'resources')", _cli().EXIT_USAGE)
    return doc


prices_app = typer.Typer(
    help="The price table `platformctl cost` uses: bundled in platformctl/data/prices.json, every price with its "
    "source and date.\n\nExamples:\n\n  platformctl prices show eu-west-1\n\n  platformctl prices refresh\n\n"
    "  platformctl prices refresh --region eu-west-1 --instance-type m7g.large --output /tmp/prices.json",
    no_args_is_help=True,
)


@prices_app.command("show")
def prices_show(
    region: Annotated[str | None, typer.Argument(help="Only this region (default: every region).")] = None,
    prices_file: Annotated[Path | None, typer.Option("--prices", dir_okay=False, help="Another price table.")] = None,
) -> None:
    """Every price in the table: region, key, USD per unit, and where it was read. No network."""
    table = _table(prices_file)
    regions = [region] if region else table.regions
    for r in regions:
        if not table.has_region(r):
            typer.echo(f"{r}: not in the price table (it has {', '.join(table.regions)})")
            continue
        for key in table.keys(r):
            p = table.price(r, key)
            typer.echo(f"{r:<12} {key:<32} {p.usd:>12.6g} USD/{p.per:<14} {p.source}")  # type: ignore[union-attr]
    typer.echo(f"compiled {table.compiled}; sources:")
    for name in sorted(table.doc.get("sources", {})):
        src = table.source(name)
        typer.echo(f"  {name} ({src.get('date')}): {src.get('where')}")


def _stack_needs(project: Path) -> tuple[set[str], set[str], set[tuple[str, bool]]]:
    """Regions, instance types and RDS classes of every valid stack file of the project."""
    from components.config import ConfigError, load_stack_config

    regions: set[str] = set()
    types: set[str] = set()
    rds: set[tuple[str, bool]] = set()
    for path in sorted(project.glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        try:
            cfg = load_stack_config(stack, path, project)
        except ConfigError:
            typer.echo(f"skipped {path.name}: invalid config (platformctl plan {stack} says why)", err=True)
            continue
        regions.add(cfg.region)
        types |= {t for pool in cfg.node_pools for t in pool.instance_types}
        db = cfg.data.database
        if db is not None:
            rds |= {(db.instance_class, False), (db.instance_class, True)}
    return regions, types, rds


@prices_app.command("refresh")
def prices_refresh(
    regions: Annotated[
        list[str] | None, typer.Option("--region", help="Regions (default: the table's and every stack's).")
    ] = None,
    instance_types: Annotated[
        list[str] | None,
        typer.Option("--instance-type", help="More instance types (always: the table's and every stack's)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: the bundled table).")
    ] = None,
    pricing_region: Annotated[
        str, typer.Option("--pricing-region", help="The Price List API endpoint: " + ", ".join(PRICING_ENDPOINTS) + ".")
    ] = "us-east-1",
) -> None:
    """Rebuild the price table from the AWS Price List Query API (needs AWS credentials allowed pricing:GetProducts).

    Every key is read for every region; a key the API does not answer unambiguously is left out and listed. Exit 5
    without credentials, 1 when the API refuses.
    """
    from components.paths import project_root
    from platformctl import prices

    cli = _cli()
    if pricing_region not in PRICING_ENDPOINTS:
        raise cli.fail(
            f"error: --pricing-region {pricing_region!r}: the Price List API answers only in "
            f"{', '.join(PRICING_ENDPOINTS)}",
            cli.EXIT_USAGE,
        )
    project = project_root()
    table = prices.load_table()
    stack_regions, stack_types, rds = _stack_needs(project)
    wanted_regions = regions or sorted(set(table.regions) | stack_regions)
    types = {t.name for t in table.instance_types()} | stack_types | set(instance_types or [])
    queries = prices.queries_for(types, rds)
    try:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        client = prices.pricing_client(pricing_region)
        result = prices.refresh(client, wanted_regions, queries, base=table.doc, progress=typer.echo)
    except NoCredentialsError:
        raise cli.fail("error: no AWS credentials (the Price List API needs pricing:GetProducts)", 5) from None
    except (ClientError, BotoCoreError) as exc:
        raise cli.fail(f"error: the Price List API refused: {exc}", cli.EXIT_FAIL) from None
    problems = prices.validate_table(result.doc)
    if problems:
        raise cli.fail([f"error: {p}" for p in problems], cli.EXIT_FAIL)
    target = output or prices.TABLE_FILE
    cli._write(target, prices.dump(result.doc))
    typer.echo(f"wrote {target}: {len(wanted_regions)} region(s); {len(result.missing)} key(s) not priced", err=True)


# The regions that serve the Price List Query API (AWS Price List API docs: "Using the AWS Price List Query API").
PRICING_ENDPOINTS = ("us-east-1", "eu-central-1", "ap-south-1")


def register(app: typer.Typer) -> None:
    app.command("cost")(cost)
    app.add_typer(prices_app, name="prices")
