"""`--fleet NAME` of plan, policy, preview, up, refresh and drift (cli.py passes the option here; docs/fleets.md).

Offline, every stack of the fleet is planned once in dependency order (platformctl.fleet) and checked by the policy
packs. Against real stacks, the fleet's stacks are run wave by wave in rollout order - the global stack, the hub,
then the spoke waves - and the run stops at the first wave that fails (or whose health gate fails), saying which
stacks were applied. A spoke that has never been deployed goes before the hub, because the hub registers spokes
from their outputs (StackReference); `preview` skips the hub while such a spoke is not deployed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from platformctl.exitcodes import EXIT_FAIL, EXIT_OK, EXIT_USAGE

# ------------------------------------------------------------------------------------------- offline


def _load(name: str):
    from platformctl.fleet import plan_fleet
    from platformctl.paths import project_root

    return plan_fleet(project_root(), name, progress=lambda s: typer.echo(f"planning {s}", err=True))


def plan_command(name: str, *, json_path: Path | None, graph: Path | None, quiet: bool, write: Callable) -> None:
    """`platformctl plan --fleet NAME`."""
    from rich.console import Console

    from platformctl.tables import print_rows

    started = time.perf_counter()
    result = _load(name)
    elapsed = time.perf_counter() - started
    if json_path:
        write(json_path, result.to_json())
    if graph:
        write(graph, result.mermaid())
    to_stderr = str(json_path) == "-" or str(graph) == "-"
    console = Console(highlight=False, stderr=to_stderr)
    summary = result.summary()
    if not quiet:
        print_rows(
            console,
            f"Fleet {name}: stacks in dependency order",
            ("stack", "role", "wave", "region", "account", "VPC", "resources", "reads"),
            [
                (
                    r["stack"],
                    r["role"],
                    r["wave"],
                    r["region"],
                    r["account"],
                    r["vpcCidr"] or "-",
                    str(r["resources"]),
                    ", ".join(r["references"]) or "-",
                )
                for r in summary["stacks"]
            ],
            justify={6: "right"},
        )
        console.print()
        print_rows(
            console,
            "Clusters per Region",
            ("region", "clusters"),
            [(region, ", ".join(stacks)) for region, stacks in summary["clustersPerRegion"].items()],
        )
        console.print()
        console.print("Rollout: " + " -> ".join(f"{w['wave']} ({', '.join(w['stacks'])})" for w in summary["rollout"]))
        for stack, charts in result.unexpanded().items():
            console.print(f"[yellow]{stack}: {len(charts)} chart(s) not expanded: {', '.join(charts)}[/]")
    console.print(
        f"[bold]fleet {name}[/]: {len(result.plans)} stacks planned, {len(summary['references'])} StackReferences "
        f"resolved, {summary['resources']} resources [dim]({elapsed:.1f}s offline)[/]"
    )


def policy_command(name: str, *, fmt: str, output: Path | None, allow_unexpanded: bool) -> int:
    """`platformctl policy --fleet NAME`: each stack's report (to stdout, or `<output dir>/<stack>.<ext>`)."""
    from components.config.fleet import GLOBAL_DIR
    from platformctl.paths import project_root
    from platformctl.policycheck import run_policy_check

    project = project_root()
    result = _load(name)
    extensions = {"table": "txt", "markdown": "md", "json": "json", "sarif": "sarif"}
    codes = {}
    for stack, plan in result.plans.items():
        typer.echo(f"== policy {stack} ({result.role(stack)})", err=True)
        stack_path = (
            project / GLOBAL_DIR / f"Pulumi.{stack}.yaml" if stack == result.fleet.global_stack else None
        )  # the global stack's file is under global/
        codes[stack] = run_policy_check(
            stack,
            fmt=fmt,
            output=output / f"{stack}.{extensions[fmt]}" if output is not None else None,
            project_dir=project,
            allow_unexpanded=allow_unexpanded,
            plan=plan,
            stack_path=stack_path,
        )
    failed = [s for s, c in codes.items() if c != EXIT_OK]
    typer.echo(
        f"fleet {name}: {len(codes) - len(failed)} of {len(codes)} stacks pass"
        + (f"; failing: {', '.join(failed)}" if failed else ""),
        err=True,
    )
    return max(codes.values(), default=EXIT_OK)


# ------------------------------------------------------------------------------------------- real stacks


@dataclass
class Rollout:
    """What a fleet run did, wave by wave."""

    waves: list[tuple[str, list[str]]]
    progresses: list[Any] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)  # stacks whose operation succeeded
    failed_wave: str | None = None
    failed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # stack -> why it did not run
    gates: list[Any] = field(default_factory=list)

    def not_started(self) -> list[str]:
        done = set(self.applied) | set(self.failed) | set(self.skipped)
        return [s for _, stacks in self.waves for s in stacks if s not in done]

    def lines(self, name: str, operation: str) -> list[str]:
        verb = {"up": "applied", "preview": "previewed", "refresh": "refreshed", "drift": "checked"}[operation]
        out = [f"fleet {name}: {verb}: {', '.join(self.applied) or 'none'}"]
        if self.failed_wave is not None:
            out.insert(0, f"fleet {name}: wave {self.failed_wave} failed ({', '.join(self.failed)}); stopped")
        for stack, why in self.skipped.items():
            out.append(f"fleet {name}: {stack} skipped: {why}")
        rest = self.not_started()
        if rest:
            out.append(f"fleet {name}: not started: {', '.join(rest)}")
        return out


def fleet_refs(project: Path, fleet: Any, members: Any) -> dict[str, Any]:
    """StackRef per fleet stack: fully qualified names (the ones StackReferences read), the global stack's folder."""
    from components.config.fleet import GLOBAL_DIR
    from platformctl.automation import StackRef

    refs = {}
    for stack in fleet.dependency_order:
        if stack == fleet.global_stack:
            cfg = members.global_config
            work_dir: Path | None = project / GLOBAL_DIR
        else:
            cfg = members.hub if stack == fleet.hub else members.spokes[stack]
            work_dir = None
        refs[stack] = StackRef(
            name=fleet.reference(stack),
            short=stack,
            production=cfg.production,
            environment=cfg.environment.name,
            work_dir=work_dir,
        )
    return refs


def check_accounts(refs: dict[str, Any], fleet: Any, members: Any, project: Path) -> None:
    """The caller must be in each stack's account before anything runs (platformctl.identity)."""
    from platformctl import identity

    cluster = [r for s, r in refs.items() if s != fleet.global_stack]
    identity.check_stacks(cluster, project)
    g = members.global_config
    identity.check(identity.Target(refs[fleet.global_stack].name, g.account, g.region, g.aws_settings))


def deployed_spokes(session: Any, fleet: Any, refs: dict[str, Any]) -> set[str]:
    """Spokes whose registration (`argocdCluster` output) the hub can read: deployed at least once."""
    from platformctl.automation import read_outputs

    out = set()
    for spoke in fleet.spokes:
        try:
            if "argocdCluster" in read_outputs(session, refs[spoke]):
                out.add(spoke)
        except Exception:  # no such stack yet (or not readable): treated as not deployed
            continue
    return out


def rollout_waves(fleet: Any, deployed: set[str]) -> list[tuple[str, list[str]]]:
    """The fleet's waves; spokes never deployed go before the hub (in their waves' order), as `<wave>-new`."""
    waves = fleet.rollout_waves()
    new = [(f"{w}-new", [s for s in stacks if s not in deployed]) for w, stacks in waves[2:]]
    old = [(w, [s for s in stacks if s in deployed]) for w, stacks in waves[2:]]
    return [waves[0], *[w for w in new if w[1]], waves[1], *[w for w in old if w[1]]]


def rollout_command(
    operation: str,
    name: str,
    *,
    yes: bool = False,
    policy: bool = False,
    json_mode: bool = False,
    retry: int = 0,
    message: str | None = None,
    gate_timeout: float = 0,
    interactive: bool = False,
    run: Callable[..., list[Any]],
    report: Callable[..., int],
    consoles: Callable[..., Any],
) -> int:
    """preview/up/refresh/drift of every stack of the fleet, wave by wave; returns the exit code."""
    from components.config.fleet import HUB, check_fleet, load_fleet
    from platformctl.automation import Session, op_drift, op_preview, op_refresh, op_up, policy_options
    from platformctl.bootstrap import refuse_flags_in_stack_files
    from platformctl.errors import PlatformError, pulumi_missing
    from platformctl.paths import project_root

    project = project_root()
    fleet = load_fleet(project, name)
    members = check_fleet(project, fleet)
    refs = fleet_refs(project, fleet, members)
    if policy:
        for ref in refs.values():
            policy_options(project, ref)
    refuse_flags_in_stack_files([r for s, r in refs.items() if s != fleet.global_stack], project)
    production = [s for s, r in refs.items() if r.production]
    ask = operation == "up" and bool(production) and not yes
    if ask and (not interactive or json_mode):
        raise PlatformError(
            f"error: fleet {name} has production stacks ({', '.join(production)}): `up --fleet` needs --yes when not "
            "run interactively (interactively, it shows each wave's preview and asks)",
            EXIT_USAGE,
            kind="confirm",
        )
    import shutil

    if shutil.which("pulumi") is None:
        raise pulumi_missing()
    check_accounts(refs, fleet, members, project)
    session = Session(project, retry=retry)
    session.command()
    err, summary_console = consoles(json_mode, to_stdout=True)

    deployed = deployed_spokes(session, fleet, refs) if operation in ("up", "preview") else set(fleet.spokes)
    waves = rollout_waves(fleet, deployed)
    result = Rollout(waves=waves)
    if not json_mode:
        err.print(f"fleet {name}: " + " -> ".join(f"{w} ({', '.join(s)})" for w, s in waves), soft_wrap=True)
    fns = {"preview": op_preview(policy, project), "refresh": op_refresh, "drift": op_drift}
    hub_done = False
    gate_pending: list[str] = []
    for wave, stacks in waves:
        if operation == "preview" and wave == HUB and set(fleet.spokes) - deployed:
            missing = sorted(set(fleet.spokes) - deployed)
            for stack in stacks:
                result.skipped[stack] = (
                    f"it registers the spokes from their outputs, and {', '.join(missing)} is not deployed yet"
                )
            continue
        wave_refs = [refs[s] for s in stacks]
        if operation == "up":
            previews = run(session, wave_refs, "preview", op_preview(policy, project), json_mode, err)
            result.progresses.extend(previews)
            if any(p.status != "succeeded" for p in previews):
                result.failed_wave, result.failed = wave, [p.short for p in previews if p.status != "succeeded"]
                break
            if ask:
                from platformctl.progress import approval_lines, print_approval

                for ref, p in zip(wave_refs, previews, strict=True):
                    print_approval(err, f"Changes to {p.stack} ({p.changed}):", approval_lines(p.changes, ref.short))
                if not typer.confirm(f"Apply wave {wave} ({', '.join(stacks)})?", default=False, err=True):
                    result.failed_wave, result.failed = wave, []
                    result.skipped.update(dict.fromkeys(stacks, "not confirmed"))
                    break
            progresses = run(session, wave_refs, "up", op_up(policy, project, message), json_mode, err)
        else:
            progresses = run(session, wave_refs, operation, fns[operation], json_mode, err)
        result.progresses.extend(progresses)
        result.applied += [p.short for p in progresses if p.status == "succeeded"]
        if any(p.status != "succeeded" for p in progresses):
            result.failed_wave, result.failed = wave, [p.short for p in progresses if p.status != "succeeded"]
            break
        if operation != "up" or gate_timeout <= 0:
            continue
        if wave == HUB:
            hub_done = True
        elif stacks != [fleet.global_stack]:
            gate_pending += stacks
        if hub_done and gate_pending:
            gates = _gates(session, fleet, members, refs, gate_pending, gate_timeout)
            gate_pending = []
            result.gates += gates
            for g in gates:
                err.print(g.line(), soft_wrap=True, markup=False)
            if any(g.status == "failed" for g in gates):
                result.failed_wave, result.failed = wave, [g.stack for g in gates if g.status == "failed"]
                break
    code = report(result.progresses, json_mode=json_mode, summary_console=summary_console, drift=operation == "drift")
    for line in result.lines(name, operation):
        typer.echo(line, err=True)
    if json_mode:  # the last line of stdout: the fleet's result
        typer.echo(summary_json(name, result))
    if result.failed_wave is not None and code == EXIT_OK:
        code = EXIT_FAIL
    return code


def _gates(session: Any, fleet: Any, members: Any, refs: dict[str, Any], spokes: list[str], timeout: float) -> list:
    from platformctl.automation import read_outputs
    from platformctl.fleet_gates import GateResult, Unreachable, hub_api, wait_healthy

    try:
        outputs = {k: v for k, (v, _) in read_outputs(session, refs[fleet.hub]).items()}
        api = hub_api(outputs, members.hub.region)
    except Unreachable as exc:
        return [GateResult(s, "skipped", str(exc)) for s in spokes]
    except Exception as exc:
        return [GateResult(s, "skipped", f"cannot read the hub's outputs: {exc}") for s in spokes]
    return [wait_healthy(s, members.spokes[s].environment.name, api, timeout=timeout) for s in spokes]


def summary_json(name: str, result: Rollout) -> str:
    return json.dumps(
        {
            "fleet": name,
            "waves": [{"wave": w, "stacks": s} for w, s in result.waves],
            "applied": result.applied,
            "failedWave": result.failed_wave,
            "failed": result.failed,
            "skipped": result.skipped,
            "notStarted": result.not_started(),
            "gates": [g.__dict__ for g in result.gates],
        }
    )
