"""`platformctl upgrade STACK --to X.Y [--dry-run] [--resume]`: the command, and the staged apply through the Automation
API (platformctl/upgrade.py is the offline half: stages, the stack file, plans, pre-flight).

Live, per step (a stage; stage 4 once per managed node group):
1. write the step's edit into `Pulumi.<stack>.yaml`;
2. preview it through the Automation API (progress as for `preview`) and stop when the preview changes anything
   outside the step (`upgrade.in_scope`): nothing of that step is applied;
3. show every resource it changes (and, for a production stack without --yes, ask);
4. `up` it (progress as for `up`), with the step in the update's message;
5. commit the stack file (`git commit --only Pulumi.<stack>.yaml`), so git shows each completed step.
On a failure (preview, scope, refusal, update, commit) the stack file goes back to the last completed step (what git
says), the steps done and the step that failed are listed, and the exact command to resume is printed; `--resume`
continues at the failed step (the stack file says which steps are done).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Annotated, Any

import typer

from platformctl.exitcodes import EXIT_FAIL, EXIT_OK, EXIT_USAGE


def register(app: typer.Typer) -> None:
    app.command("upgrade")(upgrade)


def upgrade(
    stack: Annotated[str, typer.Argument(help="Stack name: 'dev', 'prod', or 'org/eks-platform/prod'.")],
    to: Annotated[
        str | None,
        typer.Option("--to", help="The Kubernetes minor to upgrade to: exactly one above the stack's, e.g. 1.36."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Offline: the pre-flight and each stage's plan diff; nothing is changed."),
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the upgrade the stack file shows in progress, at its next stage.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before each stage (production stacks ask).")
    ] = False,
    policy_: Annotated[
        bool, typer.Option("--policy", help="Run every policy pack with each stage's preview and up.")
    ] = False,
    no_commit: Annotated[
        bool, typer.Option("--no-commit", help="Do not commit the stack file after each stage (commit it yourself).")
    ] = False,
    retry: Annotated[
        int, typer.Option("--retry", min=0, help="Retry a locked stack (concurrent update) N times, with backoff.")
    ] = 0,
) -> None:
    """Upgrade a stack's Kubernetes minor as five stages, each previewed, shown, applied and committed on its own:
    (1) control plane, (2) EKS managed add-ons, (3) Helm charts and in-cluster pins, (4) managed node groups one at a
    time, (5) Karpenter nodes through drift.

    First an offline pre-flight (exit 1 with one line per blocker): the target is one minor above and supported by
    EKS, every add-on, chart and pin has a version for it, every object of the stack, its charts and platform/ is served
    by it, disruption budgets allow a drain, node groups can roll, Karpenter NodePools have budgets; with AWS
    credentials, EKS Upgrade Insights. On a failure it stops, says what completed and prints the `--resume` command.

    Examples: `platformctl upgrade prod --to 1.36 --dry-run`, `platformctl upgrade dev --to 1.36 --yes`,
    `platformctl upgrade prod --to 1.36 --resume`.
    """
    from platformctl.cli import _guarded

    _guarded(lambda: _body(stack, to, dry_run, resume, yes, policy_, no_commit, retry))


def _echo(line: str = "", err: bool = False) -> None:
    typer.echo(line, err=err)


def _body(
    stack: str, to: str | None, dry_run: bool, resume: bool, yes: bool, policy: bool, no_commit: bool, retry: int
):
    from components.config import ConfigError
    from components.config.stack import validate_file
    from platformctl import upgrade as u
    from platformctl.automation import parse_stack
    from platformctl.cli import fail
    from platformctl.paths import project_root

    project = project_root()
    ref = parse_stack(stack, project)
    path = project / f"Pulumi.{ref.short}.yaml"
    try:  # a missing file is a config error (exit 2), as for `platformctl plan`
        cfg, _ = validate_file(path, ref.short, project)
    except ConfigError as exc:
        raise fail(exc.lines, EXIT_USAGE) from None
    try:
        up = u.plan_upgrade(cfg, ref.short, to, resume=resume)
    except u.UsageError as exc:
        raise fail(exc.lines, EXIT_USAGE) from None
    up.name = ref.name
    if not up.remaining:
        _echo(f"{ref.name} runs Kubernetes {up.target} in every layer: nothing to upgrade")
        raise typer.Exit(EXIT_OK)
    if up.in_progress and not (resume or dry_run):
        nxt = up.remaining[0]
        raise fail(
            f"error: an upgrade of {ref.name} to {up.target} is in progress ({len(up.done)} step(s) done, next: "
            f"{nxt.label}): continue it with `{up.resume_command()}`",
            EXIT_USAGE,
        )
    text = path.read_text()
    try:
        if dry_run:
            result = u.dry_run(cfg, text, up, project)
            for line in u.render_dry_run(result):
                _echo(line)
            raise typer.Exit(EXIT_OK if result.preflight.ok else EXIT_FAIL)
        _live(ref, cfg, up, text, path, project, yes=yes, policy=policy, commit=not no_commit, retry=retry)
    except u.UsageError as exc:
        raise fail(exc.lines, EXIT_USAGE) from None


# ------------------------------------------------------------------------------------------------ live


def _git(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(project), *args], capture_output=True, text=True, check=False)


def _commit_check(project: Path, path: Path) -> str | None:
    """None when each stage can be committed (a git work tree, the stack file unchanged); else why not (one line)."""
    inside = _git(project, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return (
            f"error: {project} is not a git work tree: each stage is committed on its own (run from a clone, or pass "
            "--no-commit and commit the stack file yourself)"
        )
    status = _git(project, "status", "--porcelain", "--", path.name)
    if status.stdout.strip():
        return (
            f"error: {path.name} has uncommitted changes: commit or stash them first (each stage's commit must hold "
            "that stage's edit only)"
        )
    return None


def _op(kind: str, message: str, policy: bool, project: Path):
    from platformctl.automation import policy_options

    def run(stack: Any, p: Any, ref: Any) -> None:
        packs, configs = policy_options(project, ref) if policy else ([], [])
        kwargs = {
            "on_event": p.handle,
            "policy_packs": packs or None,
            "policy_pack_configs": configs or None,
            "message": message,
        }
        if kind == "preview":
            stack.preview(**kwargs)
        else:
            stack.up(show_secrets=False, **kwargs)

    return run


def _live(ref, cfg, up, text: str, path: Path, project: Path, *, yes: bool, policy: bool, commit: bool, retry: int):
    from rich.console import Console

    from platformctl import upgrade as u
    from platformctl.cli import _confirm, _interactive, _prepare, _report, _run, fail
    from platformctl.errors import EXIT_INTERRUPTED, PlatformError
    from platformctl.progress import NO_CHANGE_OPS, approval_lines, print_approval

    if cfg.production and not yes and not _interactive():
        raise fail(
            f"error: {ref.name} is a production stack: `upgrade` needs --yes when not run interactively "
            "(interactively it shows each stage's preview and asks)",
            EXIT_USAGE,
        )
    if commit:
        problem = _commit_check(project, path)
        if problem:
            raise fail(problem, EXIT_USAGE)
    steps = u.step_texts(text, up, cfg)  # every edit is made and read back before anything runs
    _echo(f"upgrade {ref.name}: Kubernetes {up.source} -> {up.target}; pre-flight (offline)...")
    report = u.live_preflight(cfg, up, text, project)
    for line in report.lines():
        _echo(line)
    if not report.ok:
        raise fail(f"error: the pre-flight of {ref.name} -> {up.target} found blockers; nothing was changed", EXIT_FAIL)
    _, session, refs = _prepare([ref.name], retry, policy=policy)
    ref = refs[0]
    err = Console(stderr=True, highlight=False)
    last_good = text
    environment = cfg.environment.name

    def stop(step, why: list[str], code: int) -> None:
        path.write_text(last_good)
        for line in why:
            _echo(line, err=True)
        done = [s.label for s in up.done]
        _echo(f"completed: {', '.join(done) if done else 'no stage'}", err=True)
        _echo(
            f"stopped at {step.label}; {path.name} is back at the last completed stage (what git shows). "
            f"Resume with: {up.resume_command()}",
            err=True,
        )
        raise typer.Exit(code)

    def run(step, kind: str, message: str, hints: dict[str, int] | None = None):
        """One preview or update of the stack, with progress; a failure stops the upgrade."""
        op = _op(kind, message, policy, project)
        progresses = _run(session, [ref], kind, op, json_mode=False, parallel=1, console=err, total_hints=hints)
        code = _report(progresses, json_mode=False, summary_console=err)
        p = progresses[0]
        if code != EXIT_OK or p.status != "succeeded":
            why = (
                f"error: the preview of {step.label} failed: nothing of it was applied"
                if kind == "preview"
                else f"error: {step.label} failed while applying (some changes may be in place)"
            )
            stop(step, [why], code or (EXIT_INTERRUPTED if p.status == "cancelled" else EXIT_FAIL))
        return p

    total = len(steps)
    unapplied = False  # the stack file holds a step that is not applied (yet): any exit puts it back
    try:
        for number, (step, new_text) in enumerate(steps, 1):
            _echo("")
            _echo(f"[{number}/{total}] {step.label}: {u.stage_edit(step, up)}")
            path.write_text(new_text)
            unapplied = True
            message = f"platformctl upgrade {ref.short} {up.source} -> {up.target}: {step.key} ({step.title})"
            p = run(step, "preview", message)
            outside = [c for c in p.changes if c.op not in NO_CHANGE_OPS and not u.in_scope(step, c.urn)]
            if outside:
                stop(
                    step,
                    [
                        f"error: the preview of {step.label} changes {len(outside)} resource(s) outside that stage, "
                        "so it is not applied (pending changes of the stack, or a chart rendering differently on the "
                        "new control plane):",
                        *[f"  {c.op} {c.urn}" for c in outside[:20]],
                        f"inspect them with `platformctl preview {ref.name}` and apply them with `platformctl up "
                        f"{ref.name}` (the stack file is back at the last completed stage), then resume",
                    ],
                    EXIT_FAIL,
                )
            print_approval(
                err, f"{step.label} changes {ref.name} ({p.changed}):", approval_lines(p.changes, environment)
            )
            if cfg.production and not yes:
                try:
                    approved = _confirm(f"Apply {step.label} to {ref.name}?")
                except PlatformError:  # no answer (end of input)
                    approved = False
                if not approved:
                    stop(step, ["aborted: this stage was not applied"], EXIT_FAIL)
            run(step, "up", message, {ref.name: p.total})
            unapplied = False
            if commit:
                result = _git(
                    project,
                    "commit",
                    "--quiet",
                    "--only",
                    "-m",
                    f"upgrade {ref.short} to Kubernetes {up.target}: {step.label}",
                    "--",
                    path.name,
                )
                if result.returncode != 0:  # applied: the file keeps this step's edit, git does not have it yet
                    why = ((result.stderr or result.stdout).strip().splitlines() or ["git failed"])[-1]
                    _echo(f"error: {step.label} was applied but committing {path.name} failed: {why}", err=True)
                    _echo(
                        f"{path.name} shows it applied: commit it yourself, then resume with: {up.resume_command()}",
                        err=True,
                    )
                    raise typer.Exit(EXIT_FAIL)
            last_good = new_text
            up.done.append(step)
            up.remaining.remove(step)
            _echo(f"done: {step.label}" + (" (committed)" if commit else ""))
    except BaseException:  # SIGTERM/SIGHUP, Ctrl-C at a prompt, an unexpected error: never leave a step's edit behind
        if unapplied:
            path.write_text(last_good)
        raise
    _echo("")
    _echo(f"upgrade complete: {ref.name} runs Kubernetes {up.target} in every layer")
