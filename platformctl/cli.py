"""platformctl: plan, check and operate the eks-platform stacks.

Heavy imports (pulumi, pulumi_aws, rich) happen inside the commands, so `platformctl --help` stays fast.
"""

from __future__ import annotations

import gc
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from platformctl.exitcodes import EXIT_FAIL, EXIT_OK, EXIT_USAGE, help_line

app = typer.Typer(
    name="platformctl",
    help="Plan, check and operate the eks-platform stacks (dev, prod, ...).\n\n"
    "Offline (no cloud, no Pulumi CLI): plan, policy, diff-envs. "
    "Real stacks (the pulumi CLI, a backend login, AWS credentials): preview, up, upgrade, refresh, drift, "
    "destroy, outputs, kubeconfig, stacks. Live sources (AWS credentials, network): versions check. "
    "Examples:\n\n  platformctl plan dev\n\n  platformctl plan prod --json prod.json --graph prod.mmd\n\n"
    "  platformctl policy prod --format markdown\n\n  platformctl diff-envs dev prod\n\n"
    "  platformctl preview dev prod --policy\n\n  platformctl up prod --policy\n\n"
    "  platformctl upgrade prod --to 1.36 --dry-run\n\n"
    "  platformctl env new staging --from dev --region us-east-1\n\n" + help_line(),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("eks-platform")
        except PackageNotFoundError:  # run from a checkout that was never installed
            number = "unknown"
        typer.echo(f"platformctl {number}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Plan, check and operate the eks-platform stacks."""


StackArg = Annotated[str, typer.Argument(help="Stack name: 'dev', 'prod', or fully qualified 'org/eks-platform/dev'.")]
ConfigFileOpt = Annotated[
    Path | None,
    typer.Option("--config-file", help="Use this stack config file instead of Pulumi.<STACK>.yaml.", dir_okay=False),
]
BootstrapOpt = Annotated[
    bool,
    typer.Option(
        "--bootstrap",
        help="The bootstrap run: only the AWS part of the stack (no Kubernetes resource), for a first deploy from "
        "where the cluster's API cannot be reached; the deploy runner applies the rest.",
    ),
]


OptionalStackArg = Annotated[
    str | None,
    typer.Argument(
        help="Stack name: 'dev', 'prod', or fully qualified 'org/eks-platform/dev' (or --fleet NAME).",
        show_default=False,
    ),
]
FleetOpt = Annotated[
    str | None,
    typer.Option(
        "--fleet",
        help="Every stack of fleets/NAME.yaml instead of one stack (docs/fleets.md): offline in dependency order, "
        "real stacks wave by wave.",
        show_default=False,
    ),
]


def _stack_or_fleet(stack: str | None, fleet: str | None, *, exclusive: dict[str, bool] | None = None) -> None:
    """Exactly one of STACK and --fleet; options that only apply to one stack are refused with --fleet."""
    if (stack is None) == (fleet is None):
        raise fail("error: give a STACK or --fleet NAME (one of them)", EXIT_USAGE)
    if fleet is not None:
        given = [name for name, on in (exclusive or {}).items() if on]
        if given:
            raise fail(f"error: {', '.join(given)} applies to one stack, not with --fleet", EXIT_USAGE)


def _offline(fn):
    """Run an offline body (a plan, a fleet's): config problems (a stack file, a fleet file) exit 2, one line each;
    the program failing offline exits 1 with one line, never a traceback."""
    from components.config import ConfigError

    try:
        return fn()
    except ConfigError as exc:
        raise fail(exc.lines, EXIT_USAGE) from None
    except typer.Exit:
        raise
    except Exception as exc:
        if _debug():
            raise
        raise fail(
            f"error: the program failed offline: {type(exc).__name__}: {exc} (PLATFORMCTL_DEBUG=1 for a traceback)",
            EXIT_FAIL,
        ) from None


def _bootstrap_file(stack: str, config_file: Path | None, out_dir: Path) -> Path:
    """The stack file (or --config-file) with platform:bootstrap set, for this run only."""
    from components.config.stack import stack_file
    from platformctl.bootstrap import bootstrap_config
    from platformctl.errors import PlatformError
    from platformctl.paths import project_root

    source = config_file or stack_file(project_root(), stack)
    if not source.is_file():
        return source  # the usual "stack config file not found" follows
    try:
        return bootstrap_config(source, out_dir)
    except PlatformError as exc:
        raise fail(exc.lines, exc.code) from None


def fail(lines: list[str] | str, code: int) -> typer.Exit:
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(line, err=True)
    return typer.Exit(code)


def _debug() -> bool:
    return os.environ.get("PLATFORMCTL_DEBUG", "") not in ("", "0")


def load_plan(stack: str, config_file: Path | None):
    """Run the offline plan; config errors exit 2 with one line per problem, never a traceback."""
    from platformctl.engine import run_plan

    return _offline(lambda: run_plan(stack, config_file))


@app.command()
def plan(
    stack: OptionalStackArg = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the whole plan as JSON here ('-': stdout, nothing else there).")
    ] = None,
    graph: Annotated[
        Path | None, typer.Option("--graph", help="Write a Mermaid diagram of the components ('-': stdout).")
    ] = None,
    graph_depth: Annotated[
        int | None, typer.Option("--graph-depth", min=1, help="Only components this deep (1: top-level only).")
    ] = None,
    config_file: ConfigFileOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the one-line summary.")] = False,
    types: Annotated[bool, typer.Option("--types", help="Also count the resources per type.")] = False,
    bootstrap: BootstrapOpt = False,
    fleet: FleetOpt = None,
) -> None:
    """Run the stack's program offline under Pulumi's mocks and summarise what it would create.

    With --fleet: every stack of the fleet in dependency order (global, spokes, hub), each StackReference answered
    from the other stacks' offline outputs; the summary lists the stacks, the clusters per Region and the
    references, --graph draws the stacks and their references, --json holds every stack's plan.

    Examples: `platformctl plan dev`, `platformctl plan prod --json /tmp/prod.json --graph /tmp/prod.mmd`,
    `platformctl plan prod --bootstrap` (what `up --bootstrap` applies: the AWS part only),
    `platformctl plan --fleet prod --graph fleet.mmd`.
    """
    import tempfile
    import time

    if _is_stdout(json_path) and _is_stdout(graph):
        raise fail("error: --json - and --graph - both write to stdout; give one of them a file", EXIT_USAGE)
    _stack_or_fleet(
        stack,
        fleet,
        exclusive={
            "--bootstrap": bootstrap,
            "--config-file": config_file is not None,
            "--graph-depth": graph_depth is not None,
            "--types": types,
        },
    )
    if fleet is not None:
        from platformctl import fleet_cli

        _offline(lambda: fleet_cli.plan_command(fleet, json_path=json_path, graph=graph, quiet=quiet, write=_write))
        return
    assert stack is not None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="platformctl-bootstrap-") as tmp:
        if bootstrap:
            config_file = _bootstrap_file(stack, config_file, Path(tmp))
        result = load_plan(stack, config_file)
    elapsed = time.perf_counter() - started
    if json_path:
        _write(json_path, result.to_json())
    if graph:
        _write(graph, result.mermaid(graph_depth))
    from platformctl.reachability import unreachable_warning
    from platformctl.render import print_plan_summary

    # With JSON or Mermaid on stdout, the summary goes to stderr: stdout holds that document and nothing else.
    print_plan_summary(result, elapsed, quiet=quiet, stderr=_is_stdout(json_path) or _is_stdout(graph), types=types)
    warning = unreachable_warning(result)
    if warning:
        typer.echo(warning, err=True)


class PolicyFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"
    sarif = "sarif"


POLICY_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".json": "json", ".sarif": "sarif", ".txt": "table"}


@app.command()
def policy(
    stack: OptionalStackArg = None,
    fmt: Annotated[
        PolicyFormat | None,
        typer.Option("--format", "-f", help="Report format (default: from the --output suffix, else table)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here (default, or '-': stdout).")
    ] = None,
    config_file: ConfigFileOpt = None,
    allow_unexpanded: Annotated[
        bool,
        typer.Option(
            "--allow-unexpanded",
            help="Pass even when a remote component (Helm chart, pulumi-eks cluster) was not expanded (its "
            "resources were not analyzed; the report says so).",
        ),
    ] = False,
    fleet: FleetOpt = None,
) -> None:
    """Check the offline plan against every policy pack under policies/ (real packs, over gRPC).

    Remote components are expanded into the resources a real preview registers: Helm charts (`platformctl charts
    pull` first) and pulumi-eks clusters (platformctl/eks_model.py); one that could not be expanded fails the check
    unless --allow-unexpanded. Exit 1 on any mandatory violation.
    With --fleet: every stack of the fleet, planned once in dependency order; --output is then a directory that
    gets one report per stack (<stack>.md, .json, .sarif or .txt). Exit 1 if any stack fails.

    Examples: `platformctl policy prod`, `platformctl policy prod --format sarif --output policy.sarif`,
    `platformctl policy prod -o report.md` (the format from the suffix), `platformctl policy --fleet prod`.
    """
    from platformctl.policycheck import run_policy_check

    _stack_or_fleet(stack, fleet, exclusive={"--config-file": config_file is not None})
    if _is_stdout(output):
        output = None
    if fleet is not None:
        from platformctl import fleet_cli

        chosen = (fmt or PolicyFormat.table).value
        raise typer.Exit(
            _offline(
                lambda: fleet_cli.policy_command(fleet, fmt=chosen, output=output, allow_unexpanded=allow_unexpanded)
            )
        )
    assert stack is not None
    if fmt is None:
        fmt = PolicyFormat(_format_from_suffix(output, POLICY_SUFFIXES, "table"))
    raise typer.Exit(
        run_policy_check(
            stack, config_file=config_file, fmt=fmt.value, output=output, allow_unexpanded=allow_unexpanded
        )
    )


# ----------------------------------------------------------------------------------------------- addons

addons_app = typer.Typer(
    help="Offline checks that the add-ons work as deployed (their charts expanded: `platformctl charts pull`).",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(addons_app, name="addons")


@addons_app.command("check")
def addons_check(
    stack: StackArg,
    config_file: ConfigFileOpt = None,
    all_addons: Annotated[
        bool, typer.Option("--all-addons", help="Turn every catalog add-on on first (in a copy of the stack file).")
    ] = False,
    write_config: Annotated[
        Path | None,
        typer.Option(
            "--write-config", help="With --all-addons: keep that stack file here (for `policy --config-file`)."
        ),
    ] = None,
    allow_unexpanded: Annotated[
        bool, typer.Option("--allow-unexpanded", help="Pass even when a chart was not expanded (and so not checked).")
    ] = False,
) -> None:
    """Whether every Helm-installed add-on works as deployed, on the expanded plan: its pods pass its namespace's
    Pod Security admission, its NetworkPolicies open every port its Services route to, its IAM role's service account
    is the one its pods run as, and every image it runs is allowed by each stack's image-pinned policy.

    Exit 1 on a finding (or a chart that was not expanded, unless --allow-unexpanded). Examples:
    `platformctl addons check prod`, `platformctl addons check prod --all-addons --write-config /tmp/all.yaml`.
    """
    import tempfile

    from components.config.stack import stack_file as default_stack_file
    from platformctl import addon_checks
    from platformctl.paths import project_root

    if write_config is not None and not all_addons:
        raise fail("error: --write-config writes the stack file --all-addons makes: add --all-addons", EXIT_USAGE)
    project = project_root()
    with tempfile.TemporaryDirectory(prefix="platformctl-addons-") as tmp:
        notes: list[str] = []
        if all_addons:
            source = Path(config_file) if config_file else default_stack_file(project, stack)
            if not source.is_file():
                raise fail(f"error: {source}: stack config file not found", EXIT_USAGE)
            target = write_config or Path(tmp) / source.name
            notes = addon_checks.every_addon_stack_file(source, target)
            config_file = target
        result = load_plan(stack, config_file)
    findings = addon_checks.check_plan(
        result,
        chart_roles=addon_checks.chart_roles(result.config),
        image_configs=addon_checks.image_configs(project),
    )
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    for e in result.unexpanded:
        typer.echo(f"not checked: {e.line()}", err=True)
    for f in findings:
        typer.echo(f.line())
    checked = [e for e in result.expansions if e.status == "expanded"]
    verdict = "passed" if not findings and (allow_unexpanded or not result.unexpanded) else "FAILED"
    typer.echo(
        f"add-on check {verdict} for stack {result.stack}: {len(findings)} finding(s) in {len(checked)} expanded "
        f"chart(s); {len(result.unexpanded)} not expanded",
        err=True,
    )
    raise typer.Exit(EXIT_OK if verdict == "passed" else EXIT_FAIL)


# ----------------------------------------------------------------------------------------------- charts

charts_app = typer.Typer(
    help="The verified Helm chart cache: every chart pinned in components/versions.py (version and sha256).\n\n"
    "Examples:\n\n  platformctl charts pull\n\n  platformctl charts pull --mirror /srv/charts\n\n"
    "  platformctl charts lock --mirror https://artifactory.example.com/helm\n\n  platformctl charts list",
    no_args_is_help=True,
)
app.add_typer(charts_app, name="charts")
MirrorOpt = Annotated[
    str | None,
    typer.Option(
        "--mirror",
        help="A directory of <chart>-<version>.tgz archives, or the URL of one Helm repository serving every chart "
        "(default: $EKS_PLATFORM_CHART_MIRROR, else each chart's own repository).",
    ),
]
ChartKeysArg = Annotated[list[str] | None, typer.Argument(help="Chart keys (default: every pinned chart).")]


def _chart_run(keys: list[str] | None, operation: str, mirror: str | None) -> None:
    from components.paths import project_root
    from platformctl import charts

    project = project_root()
    try:
        selected = charts.select(keys)
    except ValueError as exc:
        raise fail(f"error: {exc}", EXIT_USAGE) from None
    cache = charts.default_cache(project)
    source = charts.mirror_from_env(mirror)

    def show(o) -> None:
        mark = {"failed": "FAILED", "cached": "cached", "pulled": "pulled", "locked": "locked", "unchanged": "locked"}
        line = f"{mark.get(o.status, o.status):>7}  {o.pin.label}"
        if o.status == "failed":
            typer.echo(f"{line}: {o.detail}", err=True)
        else:
            typer.echo(f"{line}  {o.digest}" + (f"  ({o.detail})" if o.detail and o.status != "cached" else ""))

    if operation == "lock":
        outcomes = charts.lock(
            selected, mirror=source, cache=cache, versions_file=project / charts.VERSIONS_FILE, progress=show
        )
    else:
        outcomes = charts.pull(selected, mirror=source, cache=cache, progress=show)
    failed = [o for o in outcomes if not o.ok]
    typer.echo(
        f"{len(outcomes) - len(failed)} of {len(outcomes)} charts {'locked' if operation == 'lock' else 'in'} "
        f"the cache {cache}" + (f"; {len(failed)} failed" if failed else ""),
        err=bool(failed),
    )
    raise typer.Exit(EXIT_FAIL if failed else EXIT_OK)


@charts_app.command("pull")
def charts_pull(keys: ChartKeysArg = None, mirror: MirrorOpt = None) -> None:
    """Fetch every pinned chart into the verified cache; an archive whose sha256 differs from its pin is refused."""
    _chart_run(keys, "pull", mirror)


@charts_app.command("lock")
def charts_lock(keys: ChartKeysArg = None, mirror: MirrorOpt = None) -> None:
    """After a version bump: fetch each pinned version, check it, and write its digest into components/versions.py."""
    _chart_run(keys, "lock", mirror)


@charts_app.command("list")
def charts_list() -> None:
    """Every pinned chart and whether its verified archive is in the cache (no network). Exit 1 if one is not."""
    from components.paths import project_root
    from platformctl import charts

    cache = charts.default_cache(project_root())
    outcomes = charts.cache_status(charts.select(None), cache)
    for o in outcomes:
        typer.echo(f"{o.status:>7}  {o.pin.key:<30} {o.pin.version:<10} {o.pin.reference}  {o.detail}".rstrip())
    raise typer.Exit(EXIT_OK if all(o.status == "cached" for o in outcomes) else EXIT_FAIL)


def _is_stdout(path: Path | None) -> bool:
    return path is not None and str(path) == "-"


def _format_from_suffix(output: Path | None, suffixes: dict[str, str], default: str) -> str:
    """The format an --output file's suffix names, `default` without a file; exit 2 when the suffix says nothing."""
    if output is None:
        return default
    found = suffixes.get(output.suffix.lower())
    if found is None:
        known = ", ".join(f"{k} ({v})" for k, v in suffixes.items())
        raise fail(f"error: cannot tell the format of {output} from its suffix ({known}): add --format", EXIT_USAGE)
    return found


# ----------------------------------------------------------------------------------------------- diff-envs


@app.command("diff-envs")
def diff_envs(
    stack_a: Annotated[str, typer.Argument(help="First stack, e.g. dev.")],
    stack_b: Annotated[str, typer.Argument(help="Second stack, e.g. prod.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the Markdown here.")] = None,
) -> None:
    """Offline: what differs between two environments, as Markdown (both stacks planned under Pulumi's mocks).

    Key settings (AZs, NAT gateways, endpoints, API endpoint access, deletion protection, node pools, replicas,
    protected resources), resource settings and counts that differ, and differing config keys.

    Example: `platformctl diff-envs dev prod -o env-diff.md`.
    """
    from components.config import ConfigError
    from platformctl.diffenvs import diff_envs as render_diff

    try:
        text = render_diff(stack_a, stack_b)
    except ConfigError as exc:
        raise fail(exc.lines, EXIT_USAGE) from None
    except Exception as exc:
        if _debug():
            raise
        raise fail(f"error: the program failed offline: {type(exc).__name__}: {exc}", EXIT_FAIL) from None
    if output and not _is_stdout(output):
        _write(output, text)
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text, nl=False)


# ----------------------------------------------------------------------------------------------- cost, prices
# `platformctl cost` and `platformctl prices` live in platformctl/cost_cli.py.
from platformctl import cost_cli  # noqa: E402

cost_cli.register(app)

# ----------------------------------------------------------------------------------------------- upgrade
# `platformctl upgrade` lives in platformctl/upgrade_cli.py (the offline half in platformctl/upgrade.py).
from platformctl import upgrade_cli  # noqa: E402

upgrade_cli.register(app)


# ----------------------------------------------------------------------------------------------- env

env_app = typer.Typer(
    help="Environments are stacks: scaffold a new one from an existing one, list them and what differs.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(env_app, name="env")


@env_app.command("new")
def env_new(
    name: Annotated[str, typer.Argument(help="The new environment (= stack) name, e.g. staging.")],
    source: Annotated[str, typer.Option("--from", help="The stack to copy, e.g. dev.", show_default=False)],
    region: Annotated[str | None, typer.Option("--region", help="AWS Region (default: the source's).")] = None,
    azs: Annotated[int | None, typer.Option("--azs", help="Availability Zones (default: the source's).")] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="AWS account ID, 12 digits (default: the source's, marked).")
    ] = None,
    production: Annotated[bool, typer.Option("--production", help="A production environment.")] = False,
) -> None:
    """Scaffold an environment: Pulumi.NAME.yaml, its policy config and its platform/ values, validated first.

    Derived from the name: the environment name, secrets path and domain; chosen: a VPC CIDR no other stack
    uses; from the options: Region (its real AZs), AZ count, account. What cannot be derived is copied and marked
    `# copied from SOURCE, change me` (plan warns until changed). Nothing is written unless it all validates.

    Example: `platformctl env new staging --from dev --region us-east-1 --azs 2 --account 210987654321`.
    """
    from components.config import ConfigError
    from platformctl.envs import EnvError, new_environment, write
    from platformctl.paths import project_root

    project = project_root()
    try:
        env = new_environment(project, name, source, region=region, azs=azs, account=account, production=production)
        written = write(env)
    except EnvError as exc:
        raise fail(exc.lines, EXIT_USAGE) from None
    except ConfigError as exc:
        raise fail(
            [f"error: Pulumi.{name}.yaml would not validate; nothing was written:", *exc.lines], EXIT_USAGE
        ) from None
    typer.echo(f"created environment {name} from {source}:")
    for path in written:
        typer.echo(f"  {path.relative_to(project)}")
    typer.echo("derived:")
    for line in env.derived:
        typer.echo(f"  {line}")
    if env.copied:
        typer.echo(f"copied from {source}, change me:")
        for key in env.copied:
            typer.echo(f"  {key}")
    typer.echo(f"next: platformctl plan {name} && platformctl policy {name}, then `pulumi stack init {name}`")


@env_app.command("list")
def env_list(
    json_mode: Annotated[bool, typer.Option("--json", help="One JSON document instead of tables.")] = False,
) -> None:
    """Every stack (from its Pulumi.<stack>.yaml): account, Region, network, version, and the config keys that
    differ between stacks. Offline.

    Example: `platformctl env list`.
    """
    import json

    from platformctl.envs import differences, list_environments
    from platformctl.paths import project_root

    rows = list_environments(project_root())
    diff = differences(rows)
    if json_mode:
        doc = {"stacks": [r.summary() for r in rows], "differences": diff}
        typer.echo(json.dumps(doc, indent=2, sort_keys=True, default=str))
        return
    from platformctl.render import print_environments

    print_environments(rows, diff)


# ----------------------------------------------------------------------------------------------- real stacks

StacksArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="One or more stacks: 'dev', 'prod' or 'org/eks-platform/dev' (or --fleet NAME).",
        metavar="STACK",
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Machine-readable output: one JSON object per line (events, then results).")
]
ParallelOpt = Annotated[
    int | None, typer.Option("--parallel", "-p", min=1, help="Stacks run at once (default: all of them).")
]
RetryOpt = Annotated[
    int, typer.Option("--retry", min=0, help="Retry a locked stack (concurrent update) N times, with backoff.")
]
PolicyOpt = Annotated[
    bool,
    typer.Option("--policy", help="Run every policy pack under policies/ with the stack's policies/config file."),
]


def _stacks_or_fleet(stacks: list[str] | None, fleet: str | None, exclusive: dict[str, bool]) -> list[str]:
    if fleet is None and not stacks:
        raise fail("error: give one or more STACKs, or --fleet NAME", EXIT_USAGE)
    _stack_or_fleet(" ".join(stacks or []) or None, fleet, exclusive=exclusive)
    return list(stacks or [])


def _fleet_rollout(operation: str, fleet: str, **options) -> None:
    """preview/up/refresh/drift --fleet: wave by wave (platformctl.fleet_cli)."""
    from components.config import ConfigError
    from platformctl import fleet_cli

    def run(session, refs, op, fn, json_mode, console):
        return _run(session, refs, op, fn, json_mode=json_mode, parallel=None, console=console)

    def body() -> None:
        try:
            code = fleet_cli.rollout_command(
                operation, fleet, interactive=_interactive(), run=run, report=_report, consoles=_consoles, **options
            )
        except ConfigError as exc:
            raise fail(exc.lines, EXIT_USAGE) from None
        raise typer.Exit(code)

    _guarded(body)


class RunFormat(StrEnum):
    text = "text"
    markdown = "markdown"


def _interactive() -> bool:
    return sys.stdin.isatty()


def _consoles(json_mode: bool, to_stdout: bool):
    """(stderr console for progress, console for the final summary)."""
    from rich.console import Console

    err = Console(stderr=True, highlight=False)
    return err, (Console(highlight=False) if to_stdout and not json_mode else err)


def _guarded(fn):
    """Run a command body: PlatformError -> its lines on stderr and its exit code; no tracebacks. SIGTERM and
    SIGHUP end it like Ctrl-C (exit 128 + the signal); no pulumi process outlives it."""
    from platformctl.automation import Terminated, handle_termination, tracked_command_class
    from platformctl.errors import EXIT_INTERRUPTED, PlatformError

    try:
        with handle_termination():
            return fn()
    except PlatformError as exc:
        raise fail(exc.lines, exc.code) from None
    except KeyboardInterrupt:
        raise fail("interrupted", EXIT_INTERRUPTED) from None
    except Terminated as exc:
        raise fail(f"{exc.name}: stopped before any stack operation was running", 128 + exc.signum) from None
    except typer.Exit:
        raise
    except Exception as exc:
        if _debug():
            raise
        from platformctl.errors import classify

        err = classify(exc, stack="-", operation="platformctl")
        raise fail([f"{err.message} (PLATFORMCTL_DEBUG=1 for a traceback)", *err.details], err.code) from None
    finally:
        if tracked_command_class.cache_info().currsize:  # pulumi was used: none of its processes may outlive us
            tracked_command_class().registry.kill_all()


def _confirm(question: str) -> bool:
    """A yes/no prompt on the terminal; end of input (Ctrl-D, a closed stdin) or Ctrl-C at it means no."""
    from platformctl.errors import PlatformError

    try:
        return typer.confirm(question, default=False, err=True)
    except typer.Abort:
        typer.echo("", err=True)
        raise PlatformError("aborted: no answer; nothing was changed", EXIT_FAIL, kind="aborted") from None


def _prepare(stacks: list[str], retry: int, *, validate: bool = True, policy: bool = False):
    """Resolve and check the stacks offline first (names, config files, policy config), then find pulumi."""
    from platformctl.automation import Session, policy_options, resolve_stack
    from platformctl.errors import PlatformError
    from platformctl.paths import project_root

    project = project_root()
    refs = [resolve_stack(s, project, validate=validate) for s in stacks]
    shorts = [r.short for r in refs]
    dupes = sorted({s for s in shorts if shorts.count(s) > 1})
    if dupes:
        raise PlatformError(f"error: stack {', '.join(dupes)} given more than once", EXIT_USAGE, kind="usage")
    if policy:
        for ref in refs:
            policy_options(project, ref)
    from platformctl.bootstrap import refuse_flags_in_stack_files

    refuse_flags_in_stack_files(refs, project)
    _check_accounts(refs, project)
    session = Session(project, retry=retry)
    session.command()
    return project, session, refs


def _check_accounts(refs, project: Path) -> None:
    """Before any `pulumi` command: the AWS caller must be in each stack's account (platformctl.identity). A missing
    CLI is reported first (it needs no network)."""
    import shutil

    from platformctl.errors import pulumi_missing
    from platformctl.identity import check_stacks

    if not refs:
        return
    if shutil.which("pulumi") is None:
        raise pulumi_missing()
    check_stacks(refs, project)


def _run(session, refs, operation: str, fn, *, json_mode: bool, parallel, console, total_hints=None):
    from platformctl.automation import run_stacks
    from platformctl.progress import make_reporter

    with make_reporter(json_mode, console) as reporter:
        return run_stacks(session, refs, operation, fn, reporter, parallel=parallel, total_hints=total_hints)


def _report(progresses, *, json_mode: bool, summary_console, drift: bool = False) -> int:
    """Summary table, interrupted stacks' state, errors (one clear line each, then details); the exit code."""
    from platformctl.errors import EXIT_INTERRUPTED, worst
    from platformctl.progress import render_summary

    if not json_mode:
        render_summary(progresses, summary_console)
    for p in progresses:
        if p.state_note:
            typer.echo(p.state_note, err=True)
        if p.error is not None:  # also with --json: stdout stays JSON, the reason is on stderr
            for line in p.error.lines:
                typer.echo(line, err=True)
    cancelled = [p for p in progresses if p.status == "cancelled"]
    if cancelled:  # 130 after Ctrl-C, 128 + the signal after SIGTERM/SIGHUP
        return max(128 + getattr(p, "stopped_by", EXIT_INTERRUPTED - 128) for p in cancelled)
    code = worst(p.error.code for p in progresses if p.error is not None)
    if code == EXIT_OK and drift and any(p.drifted for p in progresses):
        if not json_mode:
            for p in progresses:
                for c in p.drifted:
                    typer.echo(f"drift in {p.stack}: {c.op} {c.urn}" + (f" ({', '.join(c.diffs)})" if c.diffs else ""))
        return EXIT_FAIL
    return code


@app.command()
def preview(
    stacks: StacksArg = None,
    policy_: PolicyOpt = False,
    json_mode: JsonOpt = False,
    parallel: ParallelOpt = None,
    fmt: Annotated[
        RunFormat | None,
        typer.Option(
            "--format", "-f", help="markdown: a PR comment (changes + policy report); default: from --output's suffix."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the Markdown report here (a .md file).")
    ] = None,
    retry: RetryOpt = 0,
    bootstrap: BootstrapOpt = False,
    fleet: FleetOpt = None,
) -> None:
    """Preview the changes to one or more real stacks (Automation API, one worker per stack).

    Creates the stack in the backend if it does not exist yet. With --policy every pack under policies/ runs
    with the stack's policy config; a mandatory violation exits 1 and is listed. --format markdown renders the
    change summary and the policy report (as `platformctl policy --format markdown`), also when the preview fails.

    Examples: `platformctl preview dev`, `platformctl preview dev prod --policy`,
    `platformctl preview prod --policy --format markdown -o preview.md`, `platformctl preview dev --json`,
    `platformctl preview --fleet prod` (wave by wave; the hub once every spoke is deployed).
    """
    stacks = _stacks_or_fleet(
        stacks,
        fleet,
        {
            "--bootstrap": bootstrap,
            "--format/--output": fmt is not None or output is not None,
            "--parallel": parallel is not None,
        },
    )
    if fleet is not None:
        _fleet_rollout("preview", fleet, policy=policy_, json_mode=json_mode, retry=retry)
        return

    if fmt is None:
        fmt = RunFormat(_format_from_suffix(output, {".md": "markdown", ".markdown": "markdown"}, "text"))
    if fmt is RunFormat.text and output is not None:
        raise fail("error: --output writes the Markdown report: add --format markdown (or name a .md file)", EXIT_USAGE)

    def body() -> None:
        import tempfile

        from platformctl.automation import op_preview
        from platformctl.errors import PlatformError
        from platformctl.progress import render_markdown

        markdown_to_stdout = fmt is RunFormat.markdown and output is None
        if json_mode and markdown_to_stdout:
            raise PlatformError(
                "error: --json and --format markdown both write to stdout; add --output FILE for the Markdown",
                EXIT_USAGE,
                kind="usage",
            )
        project, session, refs = _prepare(stacks, retry, policy=policy_)
        err, summary = _consoles(json_mode, to_stdout=not markdown_to_stdout)
        with tempfile.TemporaryDirectory(prefix="platformctl-bootstrap-") as tmp:
            progresses = _run(
                session,
                refs,
                "preview",
                op_preview(policy_, project, bootstrap_dir=Path(tmp) if bootstrap else None),
                json_mode=json_mode,
                parallel=parallel,
                console=err,
            )
        if fmt is RunFormat.markdown:
            text = render_markdown(progresses, project, policy_attached=policy_)
            if output is not None:
                _write(output, text)
                typer.echo(f"wrote {output}", err=True)
            else:
                typer.echo(text, nl=False)
        elif not json_mode:
            # The text preview names every resource it would change, as `up` does before asking.
            from platformctl.progress import approval_lines, print_approval

            for ref, p in zip(refs, progresses, strict=True):
                if p.status == "succeeded":
                    lines = approval_lines(p.changes, ref.environment or ref.short)
                    print_approval(summary, f"Changes to {p.stack} ({p.changed}):", lines)
        raise typer.Exit(_report(progresses, json_mode=json_mode, summary_console=summary))

    _guarded(body)


@app.command()
def up(
    stacks: StacksArg = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (production stacks ask otherwise).")] = False,
    policy_: PolicyOpt = False,
    json_mode: JsonOpt = False,
    parallel: ParallelOpt = None,
    retry: RetryOpt = 0,
    message: Annotated[str | None, typer.Option("--message", "-m", help="Message for the update history.")] = None,
    bootstrap: BootstrapOpt = False,
    fleet: FleetOpt = None,
    gate_timeout: Annotated[
        float,
        typer.Option(
            "--gate-timeout",
            min=0,
            help="--fleet: seconds each spoke wave's health gate waits for the hub's Argo CD applications of the spoke "
            "to be Healthy and Synced (0: no health gates).",
        ),
    ] = 900,
) -> None:
    """Deploy one or more stacks (Automation API `up`, one worker per stack).

    A production stack (platform:environment.production) without --yes first shows its preview and asks; without
    a terminal it refuses. Ctrl-C stops after the resource operations in flight (twice: terminates) and says what
    state each stack is in. --bootstrap applies only the AWS part (the first deploy of a stack whose cluster CI
    cannot reach yet); it refuses a stack that already has Kubernetes resources.

    Examples: `platformctl up dev --yes`, `platformctl up prod --policy` (preview, then asks),
    `platformctl up dev prod --yes --policy --retry 3`, `platformctl up prod --bootstrap --yes`,
    `platformctl up --fleet prod --yes` (global, the hub, then the spoke waves; stops at the first failing wave or
    health gate and says which stacks were applied).
    """
    stacks = _stacks_or_fleet(stacks, fleet, {"--bootstrap": bootstrap, "--parallel": parallel is not None})
    if fleet is not None:
        _fleet_rollout(
            "up",
            fleet,
            yes=yes,
            policy=policy_,
            json_mode=json_mode,
            retry=retry,
            message=message,
            gate_timeout=gate_timeout,
        )
        return

    def body() -> None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="platformctl-bootstrap-") as tmp:
            run_up(Path(tmp))

    def run_up(tmp: Path) -> None:
        from platformctl.automation import op_preview, op_up
        from platformctl.errors import PlatformError

        project, session, refs = _prepare(stacks, retry, policy=policy_)
        bootstrap_dir = tmp if bootstrap else None
        err, summary = _consoles(json_mode, to_stdout=True)
        production = [r for r in refs if r.production]
        hints: dict[str, int] = {}
        if production and not yes:
            names = ", ".join(r.name for r in production)
            if not _interactive() or json_mode:
                raise PlatformError(
                    f"error: {names}: production stack(s) need --yes when not run interactively "
                    "(interactively, `up` shows the preview and asks)",
                    EXIT_USAGE,
                    kind="confirm",
                )
            previews = _run(
                session,
                production,
                "preview",
                op_preview(policy_, project, bootstrap_dir=bootstrap_dir),
                json_mode=False,
                parallel=parallel,
                console=err,
            )
            code = _report(previews, json_mode=False, summary_console=summary)
            if code != EXIT_OK:
                raise typer.Exit(code)
            hints = {p.stack: p.total for p in previews}
            from platformctl.progress import approval_lines, print_approval

            for ref, p in zip(production, previews, strict=True):
                print_approval(
                    err, f"Changes to {p.stack} ({p.changed}):", approval_lines(p.changes, ref.environment or ref.short)
                )
            if not _confirm(f"Apply these changes to {names}?"):
                raise PlatformError("aborted: nothing was changed", EXIT_FAIL, kind="aborted")
        progresses = _run(
            session,
            refs,
            "up",
            op_up(policy_, project, message, bootstrap_dir=bootstrap_dir),
            json_mode=json_mode,
            parallel=parallel,
            console=err,
            total_hints=hints,
        )
        raise typer.Exit(_report(progresses, json_mode=json_mode, summary_console=summary))

    _guarded(body)


@app.command()
def refresh(
    stacks: StacksArg = None,
    json_mode: JsonOpt = False,
    parallel: ParallelOpt = None,
    retry: RetryOpt = 0,
    fleet: FleetOpt = None,
) -> None:
    """Refresh one or more stacks' state from the cloud (writes the state, not the cloud).

    Examples: `platformctl refresh dev`, `platformctl refresh dev prod --json`, `platformctl refresh --fleet prod`.
    """
    stacks = _stacks_or_fleet(stacks, fleet, {"--parallel": parallel is not None})
    if fleet is not None:
        _fleet_rollout("refresh", fleet, json_mode=json_mode, retry=retry)
        return

    def body() -> None:
        from platformctl.automation import op_refresh

        _, session, refs = _prepare(stacks, retry)
        err, summary = _consoles(json_mode, to_stdout=True)
        progresses = _run(session, refs, "refresh", op_refresh, json_mode=json_mode, parallel=parallel, console=err)
        raise typer.Exit(_report(progresses, json_mode=json_mode, summary_console=summary))

    _guarded(body)


@app.command()
def drift(
    stacks: StacksArg = None,
    json_mode: JsonOpt = False,
    parallel: ParallelOpt = None,
    retry: RetryOpt = 0,
    fleet: FleetOpt = None,
) -> None:
    """What changed outside Pulumi: a refresh preview (nothing is written). Exit 1 if anything drifted.

    Examples: `platformctl drift prod`, `platformctl drift dev prod --json` (nightly in CI),
    `platformctl drift --fleet prod`.
    """
    stacks = _stacks_or_fleet(stacks, fleet, {"--parallel": parallel is not None})
    if fleet is not None:
        _fleet_rollout("drift", fleet, json_mode=json_mode, retry=retry)
        return

    def body() -> None:
        from platformctl.automation import op_drift

        _, session, refs = _prepare(stacks, retry)
        err, summary = _consoles(json_mode, to_stdout=True)
        progresses = _run(session, refs, "drift", op_drift, json_mode=json_mode, parallel=parallel, console=err)
        raise typer.Exit(_report(progresses, json_mode=json_mode, summary_console=summary, drift=True))

    _guarded(body)


@app.command()
def destroy(
    stack: StackArg,
    confirm: Annotated[
        str | None, typer.Option("--confirm", help="Production stacks: the stack name, typed exactly.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Non-production stacks: do not ask.")] = False,
    unprotect: Annotated[
        bool, typer.Option("--unprotect", help="Remove Pulumi's `protect` from every resource first.")
    ] = False,
    json_mode: JsonOpt = False,
    retry: RetryOpt = 0,
) -> None:
    """Delete every resource of ONE stack (history and config are kept).

    A production stack needs --confirm <stack-name> typed exactly, and is refused while it has protected
    resources unless --unprotect is given too. Resources with cloud-side deletion protection (EKS cluster, RDS)
    are refused: turn it off in the stack config and `up` first.

    Examples: `platformctl destroy dev --yes`, `platformctl destroy prod --confirm prod --unprotect`.
    """

    def body() -> None:
        from platformctl.automation import Session, op_destroy, production_flag, protected_resources, resolve_stack
        from platformctl.errors import PlatformError, classify
        from platformctl.paths import project_root

        project = project_root()
        ref = resolve_stack(stack, project, validate=False)
        production = production_flag(ref, project)
        ask = False
        if production:
            if confirm not in (ref.short, ref.name):
                got = f" (got {confirm!r})" if confirm is not None else ""
                raise PlatformError(
                    f"error: {ref.name} is a production stack: destroying it needs --confirm {ref.short}, "
                    f"the stack name typed exactly{got}",
                    EXIT_USAGE,
                    kind="confirm",
                )
        elif not yes:
            if not _interactive() or json_mode:
                raise PlatformError(
                    f"error: destroy deletes every resource of {ref.name}: pass --yes", EXIT_USAGE, kind="confirm"
                )
            ask = True
        _check_accounts([ref], project)
        session = Session(project, retry=retry)
        session.command()
        every: list[str] = []
        try:
            protected, deletion_protected = protected_resources(session.stack(ref, create=False), every)
        except PlatformError:
            raise
        except Exception as exc:
            raise classify(
                exc, stack=ref.name, operation="destroy", existing_stacks=session.existing_stacks()
            ) from None
        if protected and not unprotect:
            raise PlatformError(
                f"error: stack {ref.name} has {len(protected)} protected resource(s); destroy refuses while they "
                "exist (add --unprotect to remove the protection first)",
                EXIT_FAIL,
                [f"  {u}" for u in protected[:20]]
                + ([f"  … and {len(protected) - 20} more"] if len(protected) > 20 else []),
                kind="protected",
            )
        if deletion_protected:
            raise PlatformError(
                f"error: {len(deletion_protected)} resource(s) of {ref.name} have cloud-side deletion protection on, "
                f"AWS would refuse to delete them: turn it off in Pulumi.{ref.short}.yaml "
                "(e.g. platform:cluster.deletionProtection: false), run `platformctl up`, then destroy",
                EXIT_FAIL,
                [f"  {u}" for u in deletion_protected[:20]],
                kind="deletion-protection",
            )
        if not json_mode:
            from rich.console import Console

            from platformctl.progress import Change, approval_lines, print_approval

            print_approval(
                Console(stderr=True, highlight=False),
                f"Resources {ref.name} would delete ({len(every)}):",
                approval_lines([Change("delete", u) for u in every], ref.short),
            )
        if ask and not _confirm(f"Delete every resource of stack {ref.name}?"):
            raise PlatformError("aborted: nothing was changed", EXIT_FAIL, kind="aborted")
        err, summary = _consoles(json_mode, to_stdout=True)
        progresses = _run(
            session, [ref], "destroy", op_destroy(unprotect), json_mode=json_mode, parallel=1, console=err
        )
        raise typer.Exit(_report(progresses, json_mode=json_mode, summary_console=summary))

    _guarded(body)


def _outputs(stack: str, retry: int = 0) -> tuple[object, dict]:
    from platformctl.automation import parse_stack, read_outputs
    from platformctl.errors import PlatformError, classify
    from platformctl.paths import project_root

    ref = parse_stack(stack, project_root())  # a bad name is a usage error, before pulumi is looked for
    _, session, _ = _prepare([], retry)
    try:
        return ref, read_outputs(session, ref)
    except PlatformError:
        raise
    except Exception as exc:
        raise classify(exc, stack=ref.name, operation="outputs", existing_stacks=session.existing_stacks()) from None


@app.command()
def outputs(
    stack: StackArg,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Print secret values in plain text.")] = False,
    json_mode: Annotated[bool, typer.Option("--json", help="One JSON object: output name -> value.")] = False,
) -> None:
    """The stack's outputs (clusterName, vpcId, ...); secrets shown as [secret] unless --show-secrets.

    Examples: `platformctl outputs dev`, `platformctl outputs prod --json | jq -r .clusterName`.
    """

    def body() -> None:
        import json

        _, values = _outputs(stack)
        shown = {k: (v if (show_secrets or not secret) else "[secret]") for k, (v, secret) in sorted(values.items())}
        if json_mode:
            typer.echo(json.dumps(shown, indent=2, sort_keys=True, default=str))
            return
        from rich.console import Console
        from rich.text import Text

        from platformctl.tables import print_rows

        rows = []
        for k, v in shown.items():
            text = v if isinstance(v, str) else json.dumps(v, default=str)
            rows.append((Text(k + (" (secret)" if values[k][1] else "")), Text(text)))
        print_rows(Console(highlight=False), None, ("output", "value"), rows)

    _guarded(body)


@app.command()
def kubeconfig(
    stack: StackArg,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write it (default: kubeconfig-<stack>.yaml; - for stdout)."),
    ] = None,
) -> None:
    """Write the cluster's kubeconfig from the stack's `kubeconfig` output (a secret), with mode 0600.

    Examples: `platformctl kubeconfig dev` then `export KUBECONFIG=$PWD/kubeconfig-dev.yaml`,
    `platformctl kubeconfig prod -o ~/.kube/eks-prod.yaml`.
    """

    def body() -> None:
        from platformctl.automation import kubeconfig_text, write_private
        from platformctl.errors import PlatformError

        ref, values = _outputs(stack)
        if "kubeconfig" not in values:
            raise PlatformError(
                f"error: stack {ref.name} has no `kubeconfig` output (is its cluster deployed? outputs: "
                f"{', '.join(sorted(values)) or 'none'})",
                EXIT_FAIL,
                kind="no-kubeconfig",
            )
        text = kubeconfig_text(values["kubeconfig"][0])
        if str(output) == "-":
            typer.echo(text, nl=False)
            return
        path = output or Path(f"kubeconfig-{ref.short}.yaml")
        try:
            write_private(path.expanduser(), text)
        except OSError as exc:
            import errno

            reason = exc.strerror
            if exc.errno == errno.ELOOP:  # O_NOFOLLOW: never write the credentials through a symlink
                reason = "it is a symbolic link; platformctl does not follow it (give the link's target path)"
            raise PlatformError(f"error: cannot write {path}: {reason}", EXIT_USAGE) from None
        cluster = values.get("clusterName", (None, False))[0]
        typer.echo(
            f"wrote the kubeconfig of {'cluster ' + str(cluster) if cluster else 'stack ' + ref.name} to {path} "
            f"(mode 0600); use it with: export KUBECONFIG={path.expanduser().resolve()}",
            err=True,
        )

    _guarded(body)


@app.command()
def stacks(
    json_mode: Annotated[bool, typer.Option("--json", help="A JSON list instead of a table.")] = False,
) -> None:
    """The project's stacks in the backend and their last update (and stack config files not deployed yet).

    Example: `platformctl stacks`.
    """

    def body() -> None:
        import json

        from platformctl.automation import local_stacks
        from platformctl.errors import classify

        project, session, _ = _prepare([], 0)
        try:
            summaries = session.workspace().list_stacks()
        except Exception as exc:
            raise classify(exc, stack="-", operation="stack ls") from None
        local = set(local_stacks(project))
        rows = []
        for s in summaries:
            short = s.name.rsplit("/", 1)[-1]
            rows.append(
                {
                    "name": s.name,
                    "current": bool(s.current),
                    "lastUpdate": s.last_update.isoformat() if s.last_update else None,
                    "updateInProgress": bool(s.update_in_progress),
                    "resources": s.resource_count,
                    "url": s.url,
                    "configFile": f"Pulumi.{short}.yaml" if short in local else None,
                }
            )
        deployed = {r["name"].rsplit("/", 1)[-1] for r in rows}
        for short in sorted(local - deployed):
            rows.append(
                {
                    "name": short,
                    "current": False,
                    "lastUpdate": None,
                    "updateInProgress": False,
                    "resources": None,
                    "url": None,
                    "configFile": f"Pulumi.{short}.yaml",
                }
            )
        if json_mode:
            typer.echo(json.dumps(rows, indent=2))
            return
        from rich.console import Console

        from platformctl.tables import print_rows

        table = []
        for r in rows:
            last = r["lastUpdate"] or ("not created yet" if r["resources"] is None and not r["url"] else "never")
            if r["updateInProgress"]:
                last += " (update in progress)"
            cells = (
                r["name"] + (" *" if r["current"] else ""),
                last,
                "" if r["resources"] is None else str(r["resources"]),
                r["configFile"] or "-",
                r["url"] or "",
            )
            table.append(cells)
        print_rows(Console(highlight=False), None, ("stack", "last update", "resources", "config file", "url"), table)

    _guarded(body)


versions_app = typer.Typer(
    help="Check every pinned version against its live source (EKS, chart repositories, RDS, SSM, registries).",
    no_args_is_help=True,
)
app.add_typer(versions_app, name="versions")


@versions_app.command("check")
def versions_check(
    stack: Annotated[
        str | None, typer.Argument(help="Check this stack's Kubernetes minor, AMI alias and database (default: all).")
    ] = None,
    json_mode: Annotated[bool, typer.Option("--json", help="JSON rows instead of a table.")] = False,
) -> None:
    """Every pin in components/versions.py (and the stack's AMI alias and database version) against the live source:
    EKS DescribeAddonVersions, the chart repository index or OCI tags (and archive digest), RDS engine versions, the
    SSM parameter Karpenter resolves the AMI alias with, the image registries.

    A table: pinned, newest, exists, compatible. Exit 1 when a pin is missing or incompatible, 2 when it cannot check
    (no AWS credentials or no network; one line says what it needs). Example: `platformctl versions check prod`.
    """
    from platformctl.paths import project_root
    from platformctl.versions_check import run

    def err(line: str) -> None:
        typer.echo(line, err=True)

    raise typer.Exit(run(stack, project_root(), json_out=json_mode, echo=typer.echo, err=err))


def _write(path: Path, text: str) -> None:
    """Write a document to a file, or to stdout for `-`."""
    if _is_stdout(path):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as exc:
        raise fail(f"error: cannot write {path}: {exc.strerror}", EXIT_USAGE) from None


# Offline commands hold no child processes or threads once they return; after an offline plan, tearing down
# the interpreter's module graph (pulumi, pulumi_aws, pulumi_kubernetes) costs more than half a second.
FAST_EXIT_COMMANDS = frozenset({"plan", "policy", "diff-envs"})


def main() -> None:
    command = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
    fast = command in FAST_EXIT_COMMANDS and os.environ.get("PLATFORMCTL_NO_FAST_EXIT") is None
    if fast:
        # A short-lived offline run: importing the provider SDKs creates tens of thousands of objects, and the
        # cyclic collector's passes over them cost ~20% of a plan; memory stays within a few MB without it.
        gc.disable()
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit as exc:
        if fast:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if not isinstance(exc.code, int | None):
                print(exc.code, file=sys.stderr)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        raise


if __name__ == "__main__":
    main()
