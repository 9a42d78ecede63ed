"""Error mapping: each failure the Automation API reports becomes one clear line and its exit code."""

from __future__ import annotations

import pytest
from pulumi.automation import errors as auto_errors
from pulumi.automation._cmd import CommandResult

from components.config import ConfigError, Problem
from platformctl import errors


def command_error(stderr: str = "", stdout: str = "", code: int = 255) -> Exception:
    return auto_errors.create_command_error(CommandResult(stdout=stdout, stderr=stderr, code=code))


@pytest.mark.parametrize(
    ("stderr", "code", "kind"),
    [
        ("error: no stack named 'staging' found", errors.EXIT_STACK_NOT_FOUND, "stack-not-found"),
        ("error: [409] Conflict: Another update is currently in progress.", errors.EXIT_LOCKED, "locked"),
        ("error: the stack is currently locked by 1 lock(s). Either wait", errors.EXIT_LOCKED, "locked"),
        (
            "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions",
            errors.EXIT_NOT_LOGGED_IN,
            "not-logged-in",
        ),
        (
            "error: [401] Unauthorized: No credentials provided or are invalid.",
            errors.EXIT_NOT_LOGGED_IN,
            "not-logged-in",
        ),
        (
            "error: constructing secrets manager of type passphrase: unable to find `PULUMI_CONFIG_PASSPHRASE`",
            errors.EXIT_NOT_LOGGED_IN,
            "passphrase",
        ),
        ("error: decrypting secret value: incorrect passphrase", errors.EXIT_NOT_LOGGED_IN, "passphrase"),
        (
            "pulumi:providers:aws resource 'default_7_0_0' has a problem: No valid credential sources found.",
            errors.EXIT_NO_CREDENTIALS,
            "credentials",
        ),
        ("Error: NoCredentialProviders: no valid providers in chain", errors.EXIT_NO_CREDENTIALS, "credentials"),
        (
            "api error ExpiredToken: The security token included in the request is expired",
            errors.EXIT_NO_CREDENTIALS,
            "credentials",
        ),
        ("error: something else entirely went wrong", errors.EXIT_FAIL, "failed"),
    ],
)
def test_classify_command_errors(stderr, code, kind):
    err = errors.classify(command_error(stderr), stack="dev", operation="preview", existing_stacks=["dev", "prod"])
    assert (err.code, err.kind) == (code, kind)
    assert err.message.startswith("error: ")
    assert "\n" not in err.message


def test_generic_failure_names_the_first_engine_error():
    exc = command_error(stderr="error: update failed", stdout="Updating (dev)\n")
    err = errors.classify(
        exc, stack="dev", operation="up", diagnostics=["<{%fg 1%}>creating VPC: InvalidParameter<{%reset%}>"]
    )
    assert err.message == "error: up of stack dev failed: creating VPC: InvalidParameter"


def test_stack_not_found_lists_existing():
    err = errors.classify(
        command_error("error: no stack named 'x' found"),
        stack="x",
        operation="outputs",
        existing_stacks=["dev", "prod"],
    )
    assert err.message == "error: stack 'x' not found; existing stacks: dev, prod"


def test_config_error_keeps_the_plan_lines():
    exc = ConfigError([Problem("platform:network.azCount", "must be <= 6", 9), Problem("aws:region", "is required")])
    err = errors.classify(exc, stack="dev", operation="preview")
    assert err.code == errors.EXIT_USAGE
    assert err.lines == exc.lines


def test_program_config_error_from_the_engine_maps_to_exit_2():
    stdout = (
        "Diagnostics:\n  pulumi:pulumi:Stack (eks-platform-dev):\n    error: invalid stack config:\n"
        "    platform:network.azCount: must be <= 6 (got 9)\n"
    )
    err = errors.classify(command_error("error: preview failed", stdout=stdout), stack="dev", operation="preview")
    assert err.code == errors.EXIT_USAGE
    assert err.lines == ["platform:network.azCount: must be <= 6 (got 9)"]


def test_missing_pulumi_binary():
    err = errors.classify(FileNotFoundError(2, "No such file or directory", "pulumi"), stack="dev", operation="preview")
    assert err.code == errors.EXIT_NO_PULUMI


def test_old_cli_version():
    err = errors.classify(
        auto_errors.InvalidVersionError("Minimum version requirement failed"), stack="-", operation="x"
    )
    assert err.code == errors.EXIT_NO_PULUMI and "unsupported pulumi CLI" in err.message


def test_worst_exit_code():
    assert errors.worst([]) == 0
    assert errors.worst([1, 7, 2]) == 7


def test_plain_text_strips_engine_colours_and_ansi():
    assert errors.plain_text("<{%fg 12%}>hello<{%reset%}> \x1b[31mworld\x1b[0m") == "hello world"
