"""platformctl's exit codes: one table, used by every command, its --help and docs/platformctl.md (a test keeps
that page's table equal to this one). No imports: `platformctl --help` reads it."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_NO_PULUMI = 3
EXIT_NOT_LOGGED_IN = 4
EXIT_NO_CREDENTIALS = 5
EXIT_STACK_NOT_FOUND = 6
EXIT_LOCKED = 7
EXIT_HANGUP = 129  # 128 + SIGHUP
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM

# (code, short form for --help, meaning as docs/platformctl.md states it)
EXIT_CODES: tuple[tuple[int, str, str], ...] = (
    (EXIT_OK, "ok", "success (`drift`: nothing drifted)"),
    (
        EXIT_FAIL,
        "failed, policy violation or drift",
        "the operation failed (also a crashed or timed-out pulumi); a mandatory policy violation (the violations are "
        "listed); drift found; refused because of protected resources; an approval answered no (or not at all: end "
        "of input)",
    ),
    (
        EXIT_USAGE,
        "usage or invalid config",
        "bad usage (a wrong option, argument or file, an unwritable output); invalid stack config (exactly the lines "
        "`platformctl plan` prints) or policy config; a missing confirmation",
    ),
    (
        EXIT_NO_PULUMI,
        "no usable pulumi CLI",
        "no usable `pulumi`: not on PATH (the line says how to install it), hanging or crashing on `pulumi version`, "
        "or older than 3.206.0",
    ),
    (
        EXIT_NOT_LOGGED_IN,
        "not logged in",
        "not logged in to a backend (`pulumi login` / `PULUMI_ACCESS_TOKEN`), or a missing/incorrect secrets "
        "passphrase",
    ),
    (
        EXIT_NO_CREDENTIALS,
        "no cloud credentials, or another account's",
        "no usable AWS credentials, or credentials of another AWS account than the stack's "
        "(`platform:environment.account`; the line names both accounts)",
    ),
    (EXIT_STACK_NOT_FOUND, "stack not found", "stack not found (the line lists the existing stacks)"),
    (
        EXIT_LOCKED,
        "stack locked",
        "stack locked by another update: `--retry N` retries with backoff (5 s, 10 s, 20 s, ... max 120 s; "
        "`PLATFORMCTL_RETRY_BASE_SECONDS` changes the base); the line suggests `pulumi cancel --stack S` for a stale "
        "lock",
    ),
    (EXIT_HANGUP, "stopped by SIGHUP", "stopped by SIGHUP (the terminal went away), handled like Ctrl-C"),
    (EXIT_INTERRUPTED, "interrupted", "interrupted (Ctrl-C)"),
    (
        EXIT_TERMINATED,
        "stopped by SIGTERM",
        "stopped by SIGTERM (CI cancellation, `timeout`, `kill`), handled like Ctrl-C",
    ),
)


def help_line() -> str:
    return "Exit codes: " + "; ".join(f"{code} {short}" for code, short, _ in EXIT_CODES) + "."


def markdown_table() -> str:
    rows = ["| Exit | Meaning |", "|---|---|", *(f"| {code} | {meaning} |" for code, _, meaning in EXIT_CODES)]
    return "\n".join(rows)
