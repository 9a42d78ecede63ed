"""platformctl: plan, check and operate the eks-platform stacks.

Heavy imports (pulumi, pulumi_aws, rich) happen inside the commands, so `platformctl --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="platformctl",
    help="Plan, check and operate the eks-platform stacks (dev, prod, ...).\n\n"
    "Offline (no cloud, no Pulumi CLI): plan, policy, diff-envs. "
    "Examples:\n\n  platformctl plan dev\n\n  platformctl plan prod --json prod.json --graph prod.mmd\n\n"
    "  platformctl policy prod --format markdown",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

StackArg = Annotated[str, typer.Argument(help="Stack name: 'dev', 'prod', or fully qualified 'org/eks-platform/dev'.")]
ConfigFileOpt = Annotated[
    Path | None,
    typer.Option("--config-file", help="Use this stack config file instead of Pulumi.<STACK>.yaml.", dir_okay=False),
]


def fail(lines: list[str] | str, code: int) -> typer.Exit:
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(line, err=True)
    return typer.Exit(code)


def _debug() -> bool:
    return os.environ.get("PLATFORMCTL_DEBUG", "") not in ("", "0")


def load_plan(stack: str, config_file: Path | None):
    """Run the offline plan; config errors exit 2 with one line per problem, never a traceback."""
    from platformctl.config import ConfigError
    from platformctl.engine import run_plan

    try:
        return run_plan(stack, config_file)
    except ConfigError as exc:
        raise fail(exc.lines, EXIT_USAGE) from None
    except Exception as exc:
        if _debug():
            raise
        raise fail(
            f"error: the program failed offline: {type(exc).__name__}: {exc} (PLATFORMCTL_DEBUG=1 for a traceback)",
            EXIT_FAIL,
        ) from None


@app.command()
def plan(
    stack: StackArg,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the whole plan as JSON here.")] = None,
    graph: Annotated[Path | None, typer.Option("--graph", help="Write a Mermaid diagram of the components.")] = None,
    config_file: ConfigFileOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the one-line summary.")] = False,
) -> None:
    """Run the stack's program offline under Pulumi's mocks and summarise what it would create.

    Examples: `platformctl plan dev`, `platformctl plan prod --json /tmp/prod.json --graph /tmp/prod.mmd`.
    """
    import time

    started = time.perf_counter()
    result = load_plan(stack, config_file)
    elapsed = time.perf_counter() - started
    if json_path:
        _write(json_path, result.to_json())
    if graph:
        _write(graph, result.mermaid())
    from platformctl.render import print_plan_summary

    print_plan_summary(result, elapsed, quiet=quiet)


class PolicyFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"
    sarif = "sarif"


@app.command()
def policy(
    stack: StackArg,
    fmt: Annotated[PolicyFormat, typer.Option("--format", "-f", help="Report format.")] = PolicyFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here (default: stdout).")
    ] = None,
    config_file: ConfigFileOpt = None,
) -> None:
    """Check the offline plan against every policy pack under policies/ (real packs, over gRPC).

    Exit 1 on any mandatory violation. Examples: `platformctl policy prod`,
    `platformctl policy prod --format sarif --output policy.sarif`.
    """
    from platformctl.policycheck import run_policy_check

    raise typer.Exit(run_policy_check(stack, config_file=config_file, fmt=fmt.value, output=output))


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as exc:
        raise fail(f"error: cannot write {path}: {exc.strerror}", EXIT_USAGE) from None


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
