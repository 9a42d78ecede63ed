"""Real stacks through Pulumi's Automation API: the project directory as a local program.

Every operation selects (or, for preview/up, creates) the stack with
`pulumi.automation.create_or_select_stack(stack_name=..., work_dir=<repo root>)` - the same `Pulumi.yaml` and
`Pulumi.<stack>.yaml` the CLI uses - and streams the engine's events (`on_event`) into a
`platformctl.progress.StackProgress`. Several stacks run at once, one worker thread per stack.

Interrupts: the `pulumi` processes run in their own process group, so a Ctrl-C reaches platformctl only and is
forwarded exactly once (the CLI treats a second SIGINT as "terminate now"): the first Ctrl-C asks every running
operation to stop after the resource operations in flight, the second terminates them, after which
`stack.cancel()` releases the update lock a terminated update leaves behind. Every stack then says what state
it is in.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.errors import (
    EXIT_USAGE,
    PlatformError,
    classify,
    config_error,
    is_concurrent_update,
    locked,
    pulumi_missing,
    stack_not_found,
)
from platformctl.progress import MUTATING_OPERATIONS, Reporter, StackProgress

STACK_PART = re.compile(r"^(?!\.+$)[A-Za-z0-9_.-]+$")
# Backoff between attempts on a locked stack: base * 2^(attempt-1), capped. Overridable for tests/CI.
RETRY_BASE_SECONDS = float(os.environ.get("PLATFORMCTL_RETRY_BASE_SECONDS", "5"))
RETRY_MAX_SECONDS = 120.0
# Operations that create the stack when it does not exist yet (the others need an existing stack).
CREATING_OPERATIONS = {"preview", "up"}


# ------------------------------------------------------------------------------------------- stack names


@dataclass(frozen=True)
class StackRef:
    name: str  # as given: "dev" or "org/eks-platform/dev"; passed to the Automation API unchanged
    short: str  # "dev": the Pulumi.<short>.yaml file and the policy config
    production: bool = False
    environment: str = ""

    def __str__(self) -> str:
        return self.name


def project_name(project_dir: Path) -> str:
    import yaml

    doc = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    return str(doc.get("name", ""))


def local_stacks(project_dir: Path) -> list[str]:
    """Stacks that have a config file in the project (Pulumi.<stack>.yaml)."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def parse_stack(name: str, project_dir: Path) -> StackRef:
    """Accept `dev` or `org/eks-platform/dev` (also `org/dev`); the project part must be this project."""
    parts = name.split("/")
    if not 1 <= len(parts) <= 3 or not all(STACK_PART.match(p) for p in parts):
        raise PlatformError(
            f"error: {name!r} is not a stack name: use 'dev' or 'org/{project_name(project_dir)}/dev'",
            EXIT_USAGE,
            kind="usage",
        )
    if len(parts) == 3 and parts[1] != project_name(project_dir):
        raise PlatformError(
            f"error: stack {name!r} belongs to project {parts[1]!r}, not {project_name(project_dir)!r}",
            EXIT_USAGE,
            kind="usage",
        )
    return StackRef(name=name, short=parts[-1])


def resolve_stack(name: str, project_dir: Path, *, validate: bool = True) -> StackRef:
    """Parse the name and read the stack's config: its file must exist and (when `validate`) be valid."""
    from components.config import ConfigError, load_stack_config

    ref = parse_stack(name, project_dir)
    if not (project_dir / f"Pulumi.{ref.short}.yaml").is_file():
        raise stack_not_found(ref.name, local_stacks(project_dir))
    if not validate:
        return ref
    try:
        cfg = load_stack_config(ref.short, project_dir=project_dir)
    except ConfigError as exc:
        raise config_error(exc) from None
    return StackRef(ref.name, ref.short, production=cfg.production, environment=cfg.environment.name)


def production_flag(ref: StackRef, project_dir: Path) -> bool:
    """Whether the stack's config marks it production; an unreadable config counts as production (safe side)."""
    from components.config.stack import read_stack_file

    try:
        values = read_stack_file(project_dir / f"Pulumi.{ref.short}.yaml")
    except Exception:
        return True
    env = values.get("platform:environment")
    return bool(env.get("production", True)) if isinstance(env, Mapping) else True


# ------------------------------------------------------------------------------------------- policy packs


def policy_options(project_dir: Path, ref: StackRef) -> tuple[list[str], list[str]]:
    """`--policy`: every pack under policies/ and the stack's policy config for each (Pulumi wants one config
    per pack, in order; the combined `policies/config/<stack>.json` serves every pack)."""
    from platformctl.policycheck import policy_config_path
    from policies.rules.config import PolicyConfigError, load_config_file

    packs = sorted(str(p.parent) for p in (project_dir / "policies").glob("*/PulumiPolicy.yaml"))
    if not packs:
        raise PlatformError(
            f"error: --policy: no policy packs (policies/*/PulumiPolicy.yaml) in {project_dir}", EXIT_USAGE
        )
    config = policy_config_path(project_dir, ref.short, ref.environment or None)
    if config is None:
        return packs, []
    try:
        load_config_file(config)
    except PolicyConfigError as exc:
        lines = exc.lines
        raise PlatformError(lines[0], EXIT_USAGE, lines[1:], kind="policy-config") from None
    return packs, [str(config)] * len(packs)


# ------------------------------------------------------------------------------------------- the CLI runner


class _ProcessRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()

    def add(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self.running.add(proc)

    def remove(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self.running.discard(proc)

    def signal_all(self, sig: int) -> int:
        with self._lock:
            procs = list(self.running)
        for proc in procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
        return len(procs)


@functools.cache
def tracked_command_class() -> type:
    """A PulumiCommand whose processes run in their own process group and are registered for interrupts.

    Same contract as `pulumi.automation.PulumiCommand.run` (non-interactive, streamed stdout/stderr, a
    CommandError subclass on failure); only the process handling differs.
    """
    from pulumi.automation import PulumiCommand
    from pulumi.automation._cmd import CommandResult, _fixup_path
    from pulumi.automation.errors import create_command_error

    class TrackedPulumiCommand(PulumiCommand):
        registry = _ProcessRegistry()

        def run(self, args, cwd, additional_env, on_output=None, on_error=None):  # type: ignore[override]
            sep = args.index("--") if "--" in args else len(args)
            if "--non-interactive" not in args[:sep]:
                args.insert(0, "--non-interactive")
            env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
            if os.path.isabs(self.command):
                env = _fixup_path(env, os.path.dirname(self.command))
            chunks: dict[str, list[str]] = {"out": [], "err": []}

            def consume(stream, callback, key):
                for line in iter(stream.readline, ""):
                    stripped = line.rstrip()
                    if callback:
                        callback(stripped)
                    chunks[key].append(stripped)
                stream.close()

            proc = subprocess.Popen(
                [self.command, *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
                env=env,
                encoding="utf-8",
                process_group=0,  # Ctrl-C goes to platformctl, which forwards it once
            )
            self.registry.add(proc)
            try:
                readers = [
                    threading.Thread(target=consume, args=(proc.stdout, on_output, "out"), daemon=True),
                    threading.Thread(target=consume, args=(proc.stderr, on_error, "err"), daemon=True),
                ]
                for t in readers:
                    t.start()
                for t in readers:
                    t.join()
                code = proc.wait()
            finally:
                self.registry.remove(proc)
            result = CommandResult(stdout="\n".join(chunks["out"]), stderr="\n".join(chunks["err"]), code=code)
            if code != 0:
                raise create_command_error(result)
            return result

    return TrackedPulumiCommand


class Session:
    """One platformctl invocation against real stacks: the pulumi CLI (checked once), workspaces, interrupts."""

    def __init__(self, project_dir: Path, *, retry: int = 0, env: Mapping[str, str] | None = None):
        self.project_dir = project_dir
        self.retry = max(0, retry)
        self.env = {"PULUMI_SKIP_UPDATE_CHECK": "true", **(env or {})}
        self.cancel = threading.Event()
        self.interrupts = 0
        self._command: Any = None
        self._command_lock = threading.Lock()
        self._stacks: dict[str, Any] = {}

    # -------------------------------------------------------------- pulumi CLI and workspaces

    def command(self) -> Any:
        with self._command_lock:
            if self._command is None:
                if shutil.which("pulumi") is None:
                    raise pulumi_missing()
                try:
                    self._command = tracked_command_class()()
                except FileNotFoundError:
                    raise pulumi_missing() from None
                except Exception as exc:
                    raise classify(exc, stack="-", operation="pulumi version") from None
            return self._command

    def workspace_options(self) -> Any:
        from pulumi.automation import LocalWorkspaceOptions

        return LocalWorkspaceOptions(pulumi_command=self.command(), env_vars=dict(self.env))

    def stack(self, ref: StackRef, *, create: bool) -> Any:
        from pulumi.automation import create_or_select_stack, select_stack

        select = create_or_select_stack if create else select_stack
        stack = select(stack_name=ref.name, work_dir=str(self.project_dir), opts=self.workspace_options())
        self._stacks[ref.name] = stack
        return stack

    def workspace(self) -> Any:
        from pulumi.automation import LocalWorkspace

        opts = self.workspace_options()
        opts.work_dir = str(self.project_dir)
        return LocalWorkspace(**opts.__dict__)

    def existing_stacks(self) -> list[str]:
        """The backend's stacks of this project; the local config files when the backend cannot be asked."""
        try:
            return sorted(s.name for s in self.workspace().list_stacks())
        except Exception:
            return local_stacks(self.project_dir)

    # -------------------------------------------------------------- interrupts

    def interrupt(self) -> str:
        """Ctrl-C number n: 1 asks pulumi to stop after in-flight operations, 2 terminates it, 3+ kills it."""
        self.interrupts += 1
        self.cancel.set()
        registry = tracked_command_class().registry
        if self.interrupts == 1:
            n = registry.signal_all(signal.SIGINT)
            return (
                f"interrupt: asking {n} running pulumi operation(s) to stop after the resource operations in flight "
                "(Ctrl-C again to terminate them now)"
            )
        if self.interrupts == 2:
            registry.signal_all(signal.SIGINT)
            return "interrupt: terminating the running pulumi operation(s) now (Ctrl-C again to kill them)"
        registry.signal_all(signal.SIGKILL)
        return "interrupt: killed the running pulumi operation(s)"


# ------------------------------------------------------------------------------------------- operations

Operation = Callable[[Any, StackProgress, StackRef], None]


def run_stacks(
    session: Session,
    refs: Sequence[StackRef],
    operation: str,
    fn: Operation,
    reporter: Reporter,
    *,
    parallel: int | None = None,
    total_hints: Mapping[str, int] | None = None,
) -> list[StackProgress]:
    """Run `fn(stack, progress, ref)` for every stack, one worker per stack (at most `parallel` at once).

    Failures never raise: each StackProgress ends succeeded, failed (with a PlatformError) or cancelled.
    """
    progresses = [
        reporter.track(StackProgress(r.name, r.short, operation, total_hint=(total_hints or {}).get(r.name)))
        for r in refs
    ]
    workers = max(1, min(parallel or len(refs), len(refs)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stack") as pool:
        futures: list[Future] = [
            pool.submit(_run_one, session, ref, p, operation, fn, reporter)
            for ref, p in zip(refs, progresses, strict=True)
        ]
        pending = set(futures)
        while pending:
            try:
                _, pending = wait(pending, timeout=0.2)
            except KeyboardInterrupt:
                reporter.note(None, session.interrupt())
    for ref, p in zip(refs, progresses, strict=True):
        if p.status == "cancelled":
            _settle_interrupted(session, ref, p)
        reporter.finished(p)
    return progresses


def _run_one(
    session: Session, ref: StackRef, p: StackProgress, operation: str, fn: Operation, reporter: Reporter
) -> None:
    while True:
        if session.cancel.is_set():
            p.finish("cancelled")
            return
        p.begin_attempt()
        try:
            stack = session.stack(ref, create=operation in CREATING_OPERATIONS)
            fn(stack, p, ref)
        except Exception as exc:
            if session.cancel.is_set():
                p.finish("cancelled")
                return
            if is_concurrent_update(exc) and p.attempts <= session.retry:
                delay = min(RETRY_BASE_SECONDS * 2 ** (p.attempts - 1), RETRY_MAX_SECONDS)
                reporter.note(p, f"stack is locked by another update; retry {p.attempts}/{session.retry} in {delay:g}s")
                if session.cancel.wait(delay):
                    p.finish("cancelled")
                    return
                continue
            p.finish("failed", _error_for(session, ref, p, operation, exc))
            return
        if p.mandatory:
            p.finish("failed", policy_error(p))
        else:
            p.finish("succeeded")
        return


def _error_for(session: Session, ref: StackRef, p: StackProgress, operation: str, exc: Exception) -> PlatformError:
    if p.mandatory:  # a mandatory violation fails the engine run: say so, with the violations
        return policy_error(p)
    from pulumi.automation import errors as auto_errors

    existing = session.existing_stacks() if isinstance(exc, auto_errors.StackNotFoundError) else None
    diagnostics = [m for severity, _, m in p.diagnostics if severity == "error"]
    if is_concurrent_update(exc):
        return locked(ref.name, p.attempts)
    return classify(
        exc, stack=ref.name, operation=operation, diagnostics=diagnostics, existing_stacks=existing, attempts=p.attempts
    )


def policy_error(p: StackProgress) -> PlatformError:
    return PlatformError(
        f"error: stack {p.stack}: {len(p.mandatory)} mandatory policy violation(s)",
        1,
        [f"  {v.line()}" for v in p.mandatory],
        kind="policy",
    )


def _settle_interrupted(session: Session, ref: StackRef, p: StackProgress) -> None:
    """After Ctrl-C: release a lock a terminated update left, and record what state the stack is in."""
    if p.operation not in MUTATING_OPERATIONS:
        p.state_note = f"{p.operation} of {ref.name} cancelled; it changes nothing, the stack is as it was"
        return
    done = p.changed
    if session.interrupts >= 2:
        released = "released its update lock (pulumi cancel)"
        stack = session._stacks.get(ref.name)
        if stack is not None:
            try:
                stack.cancel()
            except Exception:
                released = "found no update lock to release"
        p.state_note = (
            f"{p.operation} of {ref.name} was terminated: {done} resource change(s) were recorded; operations in "
            f"flight may have finished in AWS without being recorded. platformctl {released}. "
            f"Run `platformctl refresh {ref.name}` to reconcile the state, then `platformctl preview {ref.name}`."
        )
    else:
        p.state_note = (
            f"{p.operation} of {ref.name} was cancelled after the operations in flight finished: {done} resource "
            f"change(s) were applied and recorded, the state is consistent and unlocked. "
            f"Run `platformctl preview {ref.name}` to see what is left."
        )


# Each operation: the Automation API call with the progress as on_event. Raises what the SDK raises.


def op_preview(
    policy: bool, project_dir: Path, parallel_resources: int | None = None, bootstrap_dir: Path | None = None
) -> Operation:
    """`bootstrap_dir`: a bootstrap run (platformctl.bootstrap) with the stack file's copy written there."""

    def run(stack: Any, p: StackProgress, ref: StackRef) -> None:
        packs, configs = policy_options(project_dir, ref) if policy else ([], [])
        stack.preview(
            on_event=p.handle,
            policy_packs=packs or None,
            policy_pack_configs=configs or None,
            parallel=parallel_resources,
            **_bootstrap_args(project_dir, ref, bootstrap_dir),
        )

    return run


def op_up(policy: bool, project_dir: Path, message: str | None = None, bootstrap_dir: Path | None = None) -> Operation:
    """`bootstrap_dir` as for op_preview; a bootstrap run refuses a stack that already has Kubernetes resources."""

    def run(stack: Any, p: StackProgress, ref: StackRef) -> None:
        packs, configs = policy_options(project_dir, ref) if policy else ([], [])
        if bootstrap_dir is not None:
            from platformctl.bootstrap import refuse_if_kubernetes

            refuse_if_kubernetes(stack, ref.name)
        stack.up(
            on_event=p.handle,
            policy_packs=packs or None,
            policy_pack_configs=configs or None,
            message=message,
            show_secrets=False,
            **_bootstrap_args(project_dir, ref, bootstrap_dir),
        )

    return run


def _bootstrap_args(project_dir: Path, ref: StackRef, bootstrap_dir: Path | None) -> dict[str, str]:
    """`config_file=` the stack file's bootstrap copy, made once the stack is selected (selecting a new stack may
    write its secrets settings into the file), or nothing."""
    if bootstrap_dir is None:
        return {}
    from platformctl.bootstrap import bootstrap_config

    return {"config_file": str(bootstrap_config(project_dir / f"Pulumi.{ref.short}.yaml", bootstrap_dir / ref.short))}


def op_refresh(stack: Any, p: StackProgress, ref: StackRef) -> None:
    stack.refresh(on_event=p.handle, show_secrets=False)


def op_drift(stack: Any, p: StackProgress, ref: StackRef) -> None:
    """A refresh preview: what changed outside Pulumi (nothing is written)."""
    stack.preview_refresh(on_event=p.handle, show_secrets=False)


def op_destroy(unprotect: bool) -> Operation:
    def run(stack: Any, p: StackProgress, ref: StackRef) -> None:
        if unprotect:
            workspace = stack.workspace
            workspace.cli_api.state_unprotect(
                all=True, stack=stack.name, cwd=workspace.work_dir, additional_env=dict(workspace.env_vars)
            )
        stack.destroy(on_event=p.handle, show_secrets=False)

    return run


# ------------------------------------------------------------------------------------------- reads


def protected_resources(stack: Any, every: list[str] | None = None) -> tuple[list[str], list[str]]:
    """(URNs protected in Pulumi's state, URNs with cloud-side deletion protection on) of a deployed stack; `every`,
    when given, receives the URN of every resource a destroy would delete (all but the stack and providers)."""
    deployment = stack.export_stack().deployment or {}
    protected, deletion_protected = [], []
    for r in deployment.get("resources", []) or []:
        if every is not None and not str(r.get("type", "")).startswith(("pulumi:pulumi:Stack", "pulumi:providers:")):
            every.append(r.get("urn", ""))
        if r.get("protect"):
            protected.append(r.get("urn", ""))
        outputs = r.get("outputs") or {}
        if outputs.get("deletionProtection") is True:
            deletion_protected.append(r.get("urn", ""))
    return protected, deletion_protected


def read_outputs(session: Session, ref: StackRef) -> dict[str, tuple[Any, bool]]:
    """The stack's outputs: name -> (plaintext value, is secret). `stack.outputs()` runs `pulumi stack output
    --json` twice (masked and `--show-secrets`) to know which values are secret."""
    stack = session.stack(ref, create=False)
    return {k: (v.value, bool(v.secret)) for k, v in stack.outputs().items()}


def kubeconfig_text(value: Any) -> str:
    """A kubeconfig output (an object, or a JSON/YAML string) as YAML text kubectl reads."""
    import yaml

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value if value.endswith("\n") else value + "\n"
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False)


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600), also when it already existed with wider permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
