"""Real stacks through Pulumi's Automation API: the project directory as a local program.

Every operation selects (or, for preview/up, creates) the stack with
`pulumi.automation.create_or_select_stack(stack_name=..., work_dir=<repo root>)` - the same `Pulumi.yaml` and
`Pulumi.<stack>.yaml` the CLI uses - and streams the engine's events (`on_event`) into a
`platformctl.progress.StackProgress`. Several stacks run at once, one worker thread per stack.

Interrupts: the `pulumi` processes run in their own process group, so a Ctrl-C reaches platformctl only and is
forwarded exactly once (the CLI treats a second SIGINT as "terminate now"): the first Ctrl-C asks every running
operation to stop after the resource operations in flight, the second terminates them, after which
`stack.cancel()` releases the update lock a terminated update leaves behind. SIGTERM and SIGHUP (CI cancellation,
`timeout`, `kill`, a closed terminal) are a first Ctrl-C with a deadline: if pulumi has not stopped after
STOP_GRACE_SECONDS it is terminated, then killed, and platformctl says that the lock may remain and how to clear
it. Every stack then says what state it is in; no pulumi process outlives platformctl.

Faults: every pulumi call has a timeout (QUICK_TIMEOUT_SECONDS, OPERATION_TIMEOUT_SECONDS for preview/up/...);
a pulumi that crashes (a Go panic, a signal) or is older than MIN_PULUMI_VERSION is one line naming it.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.errors import (
    EXIT_NO_PULUMI,
    EXIT_USAGE,
    INSTALL_HINT,
    PlatformError,
    PulumiCrashed,
    PulumiTimedOut,
    classify,
    config_error,
    is_concurrent_update,
    lock_hint,
    locked,
    pulumi_missing,
    stack_not_found,
)
from platformctl.progress import MUTATING_OPERATIONS, Reporter, StackProgress

STACK_PART = re.compile(r"^(?!\.+$)[A-Za-z0-9_.-]+$")
# The oldest pulumi CLI platformctl drives. The Automation API of the locked SDK (pulumi 3.272) streams engine
# events over gRPC only from a CLI newer than 3.205.0 (pulumi/automation/_stack.py: `use_grpc = ver >
# VersionInfo(3, 205, 0)`; the CLI side shipped in 3.206.0, pulumi CHANGELOG "[auto/python] Get event log over
# gRPC", #20833). With an older CLI it tails a text file instead (`_watch_logs`), where one malformed event line
# kills the reader thread: a traceback, then every later event is lost and `up` reports "no changes" after real
# creates. 3.206.0 also reads NaN and Infinity in resource state (#20843).
MIN_PULUMI_VERSION = "3.206.0"
# Every pulumi call has a deadline (seconds); operations that change or plan a stack get the long one.
QUICK_TIMEOUT_SECONDS = float(os.environ.get("PLATFORMCTL_PULUMI_TIMEOUT", "300"))
OPERATION_TIMEOUT_SECONDS = float(os.environ.get("PLATFORMCTL_OPERATION_TIMEOUT", str(6 * 3600)))
LONG_COMMANDS = {"preview", "up", "update", "refresh", "destroy", "import", "watch"}
# SIGTERM/SIGHUP or a timeout: pulumi gets this long to stop after its resource operations in flight, then a
# second SIGINT (its "terminate now"), then SIGKILL after KILL_AFTER_SECONDS.
STOP_GRACE_SECONDS = float(os.environ.get("PLATFORMCTL_STOP_GRACE", "25"))
KILL_AFTER_SECONDS = float(os.environ.get("PLATFORMCTL_KILL_AFTER", "5"))
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
    # The program's directory when it is not the project's (a fleet's global stack: global/).
    work_dir: Path | None = None

    def __str__(self) -> str:
        return self.name


def project_name(project_dir: Path) -> str:
    from components.config import safe_yaml

    path = project_dir / "Pulumi.yaml"
    try:
        doc = safe_yaml.load(safe_yaml.decode(path.read_bytes(), str(path)), str(path)) or {}
    except (OSError, safe_yaml.YamlProblem):
        return ""
    return str(doc.get("name", "")) if isinstance(doc, Mapping) else ""


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
    """Whether the stack's config marks it production; a `platform:environment` section that does not say so
    plainly counts as production (safe side). A file that cannot be read as YAML at all (a duplicated key, an
    alias bomb, a syntax error) raises its config error: a file that may say two things decides nothing."""
    from components.config import ConfigError
    from components.config.stack import read_stack_file

    try:
        values = read_stack_file(project_dir / f"Pulumi.{ref.short}.yaml")
    except ConfigError as exc:
        raise config_error(exc) from None
    env = values.get("platform:environment")
    return env.get("production", True) is not False if isinstance(env, Mapping) else True


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


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived (raised in the main thread by the handler `handle_termination` installs).

    A BaseException but not a KeyboardInterrupt: click's prompts turn KeyboardInterrupt into "Aborted!", and a
    termination must not be mistaken for a user's "no"."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


@contextlib.contextmanager
def handle_termination():
    """SIGTERM and SIGHUP raise Terminated in the main thread while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        raise Terminated(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def signals_as_events():
    """While the block runs (main thread only): SIGINT, SIGTERM and SIGHUP are recorded, not raised, in the deque
    it yields, in arrival order. A signal raised as an exception lands wherever the main thread happens to be - also
    between the checks of a loop that would have handled it, where it escapes, and the executor's exit then waits
    forever on a pulumi that was never asked to stop. Recorded, it is handled by the loop, at its next turn."""
    arrived: collections.deque[int] = collections.deque()
    if threading.current_thread() is not threading.main_thread():
        yield arrived
        return
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda signum, _frame: arrived.append(signum)) for sig in signals}
    try:
        yield arrived
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class _ProcessRegistry:
    """The pulumi processes platformctl is running (each the leader of its own process group)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.forced: set[int] = set()  # pids that had to be terminated or killed
        self.expired: set[int] = set()  # pids stopped because their call timed out

    def add(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self.running.add(proc)

    def remove(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self.running.discard(proc)

    def snapshot(self) -> list[subprocess.Popen]:
        with self._lock:
            return list(self.running)

    def signal_all(self, sig: int) -> int:
        procs = self.snapshot()
        for proc in procs:
            self._signal(proc, sig)
        return len(procs)

    def _signal(self, proc: subprocess.Popen, sig: int) -> None:
        if sig != signal.SIGINT:
            self.forced.add(proc.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    def stop(self, procs: list[subprocess.Popen], grace: float, *, already_asked: bool = False) -> None:
        """Ask `procs` to stop (SIGINT: pulumi finishes its resource operations in flight, saves the state and
        releases the lock); after `grace` seconds terminate them (a second SIGINT), after KILL_AFTER_SECONDS more
        kill their process groups. Returns when they are all gone."""
        if not already_asked:
            for proc in procs:
                self._signal(proc, signal.SIGINT)
        for deadline, sig in ((grace, signal.SIGINT), (KILL_AFTER_SECONDS, signal.SIGKILL)):
            end = time.monotonic() + deadline
            for proc in procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=max(0.0, end - time.monotonic()))
            alive = [p for p in procs if p.poll() is None]
            if not alive:
                return
            for proc in alive:
                self.forced.add(proc.pid)
                self._signal(proc, sig)
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=KILL_AFTER_SECONDS)

    def expire(self, proc: subprocess.Popen) -> None:
        """A call ran past its timeout: stop it as SIGTERM would."""
        self.expired.add(proc.pid)
        self.stop([proc], STOP_GRACE_SECONDS)

    def kill(self, proc: subprocess.Popen) -> None:
        self._signal(proc, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=KILL_AFTER_SECONDS)

    def kill_all(self) -> None:
        """platformctl is leaving: no pulumi process may outlive it."""
        for proc in self.snapshot():
            self.kill(proc)


def _command_word(args: Sequence[str]) -> str:
    return next((a for a in args if not a.startswith("-")), "")


_PANIC = re.compile(r"^(panic: .*|fatal error: .*|SIG[A-Z]+: .*)$", re.MULTILINE)


def crash_reason(code: int, stderr: str) -> str | None:
    """Why a pulumi process died, if it crashed: the panic line, or the signal that killed it; None for an
    ordinary error exit (pulumi reports those itself)."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    match = _PANIC.search(stderr or "")
    return match.group(1).strip()[:200] if match else None


def check_cli(command: str = "pulumi") -> Any:
    """`pulumi version`, with a timeout, before anything else runs: the CLI's version, or a PlatformError naming
    the problem (missing, crashing, hanging, not a version, older than MIN_PULUMI_VERSION)."""
    from semver import VersionInfo

    env = {**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    try:
        proc = subprocess.Popen(
            [command, "version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, process_group=0
        )
    except FileNotFoundError:
        raise pulumi_missing() from None
    registry = tracked_command_class().registry
    registry.add(proc)
    try:
        out, err = proc.communicate(timeout=min(QUICK_TIMEOUT_SECONDS, 60.0))
    except subprocess.TimeoutExpired:
        registry.kill(proc)
        raise PlatformError(
            f"error: `{command} version` did not answer within {min(QUICK_TIMEOUT_SECONDS, 60.0):g}s: the pulumi "
            f"CLI is not usable; {INSTALL_HINT}",
            EXIT_NO_PULUMI,
            kind="pulumi-broken",
        ) from None
    except BaseException:  # SIGTERM, Ctrl-C: nothing to save in a version check
        registry.kill(proc)
        raise
    finally:
        registry.remove(proc)
    text, errors_text = out.decode(errors="replace").strip(), err.decode(errors="replace")
    if proc.returncode != 0:
        reason = crash_reason(proc.returncode, errors_text) or (
            _first_line(errors_text) or f"exit code {proc.returncode}"
        )
        raise PlatformError(
            f"error: `{command} version` failed ({reason}): the pulumi CLI is broken; {INSTALL_HINT}",
            EXIT_NO_PULUMI,
            kind="pulumi-broken",
        )
    try:
        version = VersionInfo.parse(text.removeprefix("v").splitlines()[0] if text else "")
    except (ValueError, IndexError):
        raise PlatformError(
            f"error: `{command} version` printed {text[:80]!r}, not a version: is `{command}` the Pulumi CLI?",
            EXIT_NO_PULUMI,
            kind="pulumi-broken",
        ) from None
    minimum = VersionInfo.parse(MIN_PULUMI_VERSION)
    if version.major != minimum.major or version < minimum:
        raise PlatformError(
            f"error: unsupported pulumi CLI {version}: platformctl needs {MIN_PULUMI_VERSION} or newer "
            f"{minimum.major}.x (older CLIs deliver engine events through a file and lose them); {INSTALL_HINT}",
            EXIT_NO_PULUMI,
            kind="pulumi-old",
        )
    return version


def _first_line(text: str) -> str:
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


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

        def __init__(self) -> None:  # the SDK's version check, with a timeout and platformctl's minimum
            self.command = "pulumi"
            self.version = check_cli(self.command)

        def run(self, args, cwd, additional_env, on_output=None, on_error=None):  # type: ignore[override]
            sep = args.index("--") if "--" in args else len(args)
            if "--non-interactive" not in args[:sep]:
                args.insert(0, "--non-interactive")
            env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
            if os.path.isabs(self.command):
                env = _fixup_path(env, os.path.dirname(self.command))
            chunks: dict[str, list[str]] = {"out": [], "err": []}
            word = _command_word(args)
            timeout = OPERATION_TIMEOUT_SECONDS if word in LONG_COMMANDS else QUICK_TIMEOUT_SECONDS

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
                errors="replace",
                process_group=0,  # Ctrl-C goes to platformctl, which forwards it once
            )
            self.registry.add(proc)
            watchdog = threading.Timer(timeout, self.registry.expire, (proc,))
            watchdog.daemon = True
            watchdog.start()
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
            except BaseException:  # interrupted while waiting in the main thread: never leave pulumi behind
                self.registry.stop([proc], STOP_GRACE_SECONDS if _command_word(args) in LONG_COMMANDS else 0)
                raise
            finally:
                watchdog.cancel()
                self.registry.remove(proc)
            result = CommandResult(stdout="\n".join(chunks["out"]), stderr="\n".join(chunks["err"]), code=code)
            if proc.pid in self.registry.expired:
                raise PulumiTimedOut(word, timeout)
            if code != 0:
                reason = crash_reason(code, result.stderr)
                if reason and proc.pid not in self.registry.forced:
                    raise PulumiCrashed(word, reason, result.stderr)
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
        self.signal: int | None = None  # SIGTERM/SIGHUP that stopped this session
        self._command: Any = None
        self._command_lock = threading.Lock()
        self._stacks: dict[str, Any] = {}

    # -------------------------------------------------------------- pulumi CLI and workspaces

    def command(self) -> Any:
        """The pulumi CLI, checked once (version, with a timeout) before any operation."""
        with self._command_lock:
            if self._command is None:
                if shutil.which("pulumi") is None:
                    raise pulumi_missing()
                self._command = tracked_command_class()()
            return self._command

    def workspace_options(self) -> Any:
        from pulumi.automation import LocalWorkspaceOptions

        return LocalWorkspaceOptions(pulumi_command=self.command(), env_vars=dict(self.env))

    def stack(self, ref: StackRef, *, create: bool) -> Any:
        from pulumi.automation import create_or_select_stack, select_stack

        select = create_or_select_stack if create else select_stack
        stack = select(
            stack_name=ref.name, work_dir=str(ref.work_dir or self.project_dir), opts=self.workspace_options()
        )
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
            for proc in registry.snapshot():
                registry.forced.add(proc.pid)
            registry.signal_all(signal.SIGINT)
            return "interrupt: terminating the running pulumi operation(s) now (Ctrl-C again to kill them)"
        registry.signal_all(signal.SIGKILL)
        return "interrupt: killed the running pulumi operation(s)"

    def terminate(self, signum: int) -> str:
        """SIGTERM/SIGHUP: a first Ctrl-C with a deadline (STOP_GRACE_SECONDS), then terminate, then kill; a second
        signal skips the wait."""
        name = signal.Signals(signum).name
        registry = tracked_command_class().registry
        procs = registry.snapshot()
        if self.signal is not None:  # again: no more waiting
            for proc in procs:
                registry.forced.add(proc.pid)
            registry.signal_all(signal.SIGKILL)
            return f"{name} again: killed the running pulumi operation(s)"
        self.signal = signum
        self.interrupts = max(self.interrupts, 1)
        self.cancel.set()
        for proc in procs:
            registry._signal(proc, signal.SIGINT)
        threading.Thread(
            target=registry.stop, args=(procs, STOP_GRACE_SECONDS), kwargs={"already_asked": True}, daemon=True
        ).start()
        return (
            f"{name}: asking {len(procs)} running pulumi operation(s) to stop after the resource operations in flight; "
            f"they are terminated if still running in {STOP_GRACE_SECONDS:g}s"
        )


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
        with signals_as_events() as arrived:
            while pending:
                _, pending = wait(pending, timeout=0.2)
                while arrived:
                    signum = arrived.popleft()
                    if signum == signal.SIGINT:
                        reporter.note(None, session.interrupt())
                    else:
                        reporter.note(None, session.terminate(signum))
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
    """After Ctrl-C, SIGTERM or SIGHUP: release a lock a terminated update left (Ctrl-C twice, at a terminal), or
    say how to; record what state the stack is in."""
    p.stopped_by = session.signal or signal.SIGINT  # type: ignore[attr-defined]  # the exit code: 128 + signal
    if p.operation not in MUTATING_OPERATIONS:
        p.state_note = f"{p.operation} of {ref.name} cancelled; it changes nothing, the stack is as it was"
        return
    done = p.changed
    registry = tracked_command_class().registry
    forced = session.interrupts >= 2 or bool(registry.forced)
    if not forced:
        p.state_note = (
            f"{p.operation} of {ref.name} was cancelled after the operations in flight finished: {done} resource "
            f"change(s) were applied and recorded, the state is consistent and unlocked. "
            f"Run `platformctl preview {ref.name}` to see what is left."
        )
        return
    if session.signal is None:  # Ctrl-C twice at a terminal: release the lock now
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
        return
    p.state_note = (
        f"{p.operation} of {ref.name} was terminated ({signal.Signals(session.signal).name}): {done} resource "
        f"change(s) were recorded; operations in flight may have finished in AWS without being recorded. "
        + lock_hint(ref.name)
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
    """Write a file readable by its owner only (0600), also when it already existed with wider permissions.

    A symlink at `path` is refused (O_NOFOLLOW, and a clear error before that): following it would write the
    cluster's credentials wherever the link points, and overwrite that file.
    """
    if path.is_symlink():
        raise OSError(errno.ELOOP, "it is a symbolic link")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
