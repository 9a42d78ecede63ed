"""Errors of platformctl's real-cloud commands: each maps to one clear line and an exit code.

`classify()` turns what the Automation API raises (or what the engine reported as diagnostics) into a
`PlatformError`: a first line that says what is wrong and what to do, optional detail lines (the existing
stacks, the policy violations, ...), and the process exit code. Nothing here imports pulumi at module level.

Exit codes: the one table in platformctl/exitcodes.py (also the CLI's --help and docs/platformctl.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from components.config.problems import ConfigError
from platformctl.exitcodes import (
    EXIT_FAIL,
    EXIT_HANGUP,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_NO_CREDENTIALS,
    EXIT_NO_PULUMI,
    EXIT_NOT_LOGGED_IN,
    EXIT_OK,
    EXIT_STACK_NOT_FOUND,
    EXIT_TERMINATED,
    EXIT_USAGE,
)

__all__ = [
    "EXIT_FAIL",
    "EXIT_HANGUP",
    "EXIT_INTERRUPTED",
    "EXIT_LOCKED",
    "EXIT_NOT_LOGGED_IN",
    "EXIT_NO_CREDENTIALS",
    "EXIT_NO_PULUMI",
    "EXIT_OK",
    "EXIT_STACK_NOT_FOUND",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "ConfigError",
    "PlatformError",
    "classify",
]


INSTALL_HINT = "install it with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi/tap/pulumi`), see https://www.pulumi.com/docs/install/"


@dataclass
class PlatformError(Exception):
    """One clear line (`message`), optional `details` lines after it, and the exit code."""

    message: str
    code: int = EXIT_FAIL
    details: list[str] = field(default_factory=list)
    kind: str = "failed"  # machine-readable: pulumi-missing, not-logged-in, credentials, stack-not-found, locked, ...

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def lines(self) -> list[str]:
        return [self.message, *self.details]

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "details": self.details, "exitCode": self.code}


# ------------------------------------------------------------------------------------------- constructors


def pulumi_missing() -> PlatformError:
    return PlatformError(
        f"error: the `pulumi` CLI is not on PATH; {INSTALL_HINT}", EXIT_NO_PULUMI, kind="pulumi-missing"
    )


def config_error(exc: ConfigError) -> PlatformError:
    """Invalid stack config: exactly the lines `platformctl plan` prints, exit 2."""
    lines = exc.lines or [str(exc)]
    return PlatformError(lines[0], EXIT_USAGE, lines[1:], kind="config")


def stack_not_found(stack: str, existing: Sequence[str]) -> PlatformError:
    known = ", ".join(existing) if existing else "none"
    return PlatformError(
        f"error: stack {stack!r} not found; existing stacks: {known}", EXIT_STACK_NOT_FOUND, kind="stack-not-found"
    )


def locked(stack: str, attempts: int) -> PlatformError:
    tried = f" (tried {attempts} times)" if attempts > 1 else ""
    return PlatformError(
        f"error: stack {stack} is locked by another update{tried}; wait for it and retry (--retry N waits with "
        f"backoff), or if no update is running any more clear the stale lock with `pulumi cancel --stack {stack}`",
        EXIT_LOCKED,
        kind="locked",
    )


def lock_hint(stack: str) -> str:
    """What to do when an update was stopped without releasing its lock (it was terminated, killed or crashed)."""
    return (
        f"The update lock of {stack} may remain: once no other update of {stack} runs, clear it with "
        f"`pulumi cancel --yes --stack {stack}` (from the repository root), then run `platformctl refresh {stack}` "
        "to reconcile the state."
    )


class PulumiCrashed(Exception):
    """The pulumi CLI died of a crash (a Go panic or fatal error, or a signal) rather than reporting an error."""

    def __init__(self, command: str, reason: str, stderr: str) -> None:
        super().__init__(f"the pulumi CLI crashed running `pulumi {command}`: {reason}")
        self.command, self.reason, self.stderr = command, reason, stderr


class PulumiTimedOut(Exception):
    """A pulumi call ran past its timeout and was stopped (as SIGTERM stops it)."""

    def __init__(self, command: str, seconds: float) -> None:
        super().__init__(f"`pulumi {command}` did not finish within {seconds:g}s and was stopped")
        self.command, self.seconds = command, seconds


# ------------------------------------------------------------------------------------------- classification

# Substrings (lower-case) of what the Pulumi CLI / AWS provider print, mapped to an error kind.
_NOT_LOGGED_IN = (
    "pulumi_access_token must be set for login",
    "you must be logged in",
    "not logged in",
    "invalid access token",
    "[401] unauthorized",
    "could not determine current cloud",
    "getting user info",
    "failed to log in",
)
_PASSPHRASE = (
    "pulumi_config_passphrase",
    "incorrect passphrase",
    "passphrase must be set",
)
_CREDENTIALS = (
    "no valid credential sources",
    "nocredentialproviders",
    "invalid credentials configured",
    "unable to validate aws credentials",
    "failed to refresh cached credentials",
    "expiredtoken",
    "the security token included in the request is expired",
    "the security token included in the request is invalid",
    "invalidclienttokenid",
    "sso session associated with this profile has expired",
)
_LOCKED = (
    "[409] conflict: another update is currently in progress",
    "the stack is currently locked by",
    "another update is currently in progress",
)
_CONFIG = ("invalid stack config:",)
# Summary lines the CLI prints after the real error.
_GENERIC = {"update failed", "preview failed", "refresh failed", "destroy failed", "one or more errors occurred"}
_NOT_FOUND = re.compile(r"no stack named '?([^' ]+)'? found")
# Pulumi's color tags (`<{%fg 1%}>`, `<{%reset%}>`) and ANSI escapes, stripped from engine messages.
_COLOR_TAGS = re.compile(r"<\{%[^%]*%\}>|\x1b\[[0-9;]*[A-Za-z]")


def plain_text(message: str) -> str:
    return _COLOR_TAGS.sub("", message or "")


def is_concurrent_update(exc: BaseException) -> bool:
    from pulumi.automation import errors as auto_errors

    if isinstance(exc, auto_errors.ConcurrentUpdateError):
        return True
    return any(s in str(exc).lower() for s in _LOCKED)


def _first_error_line(texts: Iterable[str]) -> str:
    """The most telling line: the first `error:` line, else the first non-empty line."""
    candidates: list[str] = []
    for text in texts:
        for raw in plain_text(text).splitlines():
            # str(CommandError) is "code: N / stdout: ... / stderr: ..." (the SDK's CommandResult).
            line = raw.strip().removeprefix("stdout:").removeprefix("stderr:").strip()
            if not line or re.fullmatch(r"code: -?\d+", line):
                continue
            if line.lower().startswith("error:"):
                line = line[len("error:") :].strip()
                if line.lower() not in _GENERIC:
                    return line
            candidates.append(line)
    return candidates[0] if candidates else ""


def classify(
    exc: BaseException,
    *,
    stack: str,
    operation: str,
    diagnostics: Sequence[str] = (),
    existing_stacks: Sequence[str] | None = None,
    attempts: int = 1,
) -> PlatformError:
    """Map an exception from an Automation API call (plus the engine's error diagnostics) to a PlatformError."""
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, ConfigError):
        return config_error(exc)
    if isinstance(exc, FileNotFoundError) and "pulumi" in str(exc):
        return pulumi_missing()
    from pulumi.automation import errors as auto_errors

    if isinstance(exc, auto_errors.InvalidVersionError):
        return PlatformError(f"error: unsupported pulumi CLI: {exc}; {INSTALL_HINT}", EXIT_NO_PULUMI, kind="pulumi-old")
    if isinstance(exc, PulumiCrashed | PulumiTimedOut):
        what = (
            f"the pulumi CLI crashed ({exc.reason})"
            if isinstance(exc, PulumiCrashed)
            else f"pulumi did not finish within {exc.seconds:g}s (PLATFORMCTL_OPERATION_TIMEOUT / "
            "PLATFORMCTL_PULUMI_TIMEOUT) and was stopped"
        )
        mutating = exc.command in ("up", "update", "refresh", "destroy", "import")
        details = [lock_hint(stack)] if mutating and stack != "-" else []
        if isinstance(exc, PulumiCrashed):
            details += [f"  {line}" for line in exc.stderr.strip().splitlines()[:3]]
        kind = "pulumi-crashed" if isinstance(exc, PulumiCrashed) else "timeout"
        return PlatformError(f"error: {operation} of stack {stack} failed: {what}", EXIT_FAIL, details, kind=kind)

    text = "\n".join([str(exc), *diagnostics])
    low = plain_text(text).lower()
    if any(s in low for s in _CONFIG):
        lines = [ln.strip() for ln in plain_text(text).splitlines()]
        start = next(i for i, ln in enumerate(lines) if "invalid stack config:" in ln.lower())
        problems = [ln for ln in lines[start + 1 :] if ln.startswith(("platform:", "aws:", "Pulumi."))]
        if problems:
            return PlatformError(problems[0], EXIT_USAGE, problems[1:], kind="config")
    if isinstance(exc, auto_errors.StackNotFoundError) or _NOT_FOUND.search(low):
        return stack_not_found(stack, existing_stacks or [])
    if isinstance(exc, auto_errors.ConcurrentUpdateError) or any(s in low for s in _LOCKED):
        return locked(stack, attempts)
    if any(s in low for s in _NOT_LOGGED_IN):
        return PlatformError(
            "error: not logged in to a Pulumi backend: run `pulumi login` (Pulumi Cloud: set PULUMI_ACCESS_TOKEN; "
            "self-managed state: `pulumi login s3://<bucket>`)",
            EXIT_NOT_LOGGED_IN,
            kind="not-logged-in",
        )
    if any(s in low for s in _PASSPHRASE):
        return PlatformError(
            f"error: stack {stack} encrypts its secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE "
            "(or PULUMI_CONFIG_PASSPHRASE_FILE) to the right passphrase",
            EXIT_NOT_LOGGED_IN,
            kind="passphrase",
        )
    if any(s in low for s in _CREDENTIALS):
        return PlatformError(
            f"error: no usable AWS credentials for stack {stack}: set AWS_PROFILE (after `aws sso login`), or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or assume an OIDC role in CI",
            EXIT_NO_CREDENTIALS,
            kind="credentials",
        )
    # The engine's own error diagnostics are specific; the CLI's stderr often only says "update failed".
    reason = _first_error_line(diagnostics) or _first_error_line([str(exc)]) or type(exc).__name__
    return PlatformError(f"error: {operation} of stack {stack} failed: {reason}", EXIT_FAIL, kind="failed")


def worst(codes: Iterable[int]) -> int:
    """The exit code of several stacks' results: the highest (most specific) one, 0 when all succeeded."""
    return max(codes, default=EXIT_OK)
