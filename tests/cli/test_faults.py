"""Faults of the pulumi CLI and of the terminal (issue #14): a crashing, hanging, broken or too old pulumi is one
line naming the problem (with the lock hint where an update may have been cut short), every call has a timeout,
and end of input at a prompt means "aborted". Signals: test_interrupt.py.
"""

from __future__ import annotations

import pytest

from platformctl import errors

LOCK_HINT = "clear it with `pulumi cancel --yes --stack dev`"


# ------------------------------------------------------------------------------------------- crashes and hangs


@pytest.mark.parametrize(
    ("crash", "reason"),
    [
        ({"after": 3, "panic": "runtime error: index out of range [3] with length 3"}, "panic: runtime error: index"),
        ({"after": 3, "signal": "SIGSEGV"}, "killed by SIGSEGV"),
    ],
    ids=["panic", "signal"],
)
def test_a_crashing_pulumi_is_one_line_with_the_lock_hint(fake_pulumi, cli, crash, reason):
    fake_pulumi.scenario(crash={"up": crash})
    result = cli("up", "dev", "--yes")
    assert result.exit_code == errors.EXIT_FAIL
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith("error: up of stack dev failed: the pulumi CLI crashed (")
    assert reason in lines[0]
    assert LOCK_HINT in result.stderr and "Updating (dev):" not in lines[0]


def test_a_hanging_operation_times_out_and_says_so(fake_pulumi, cli, monkeypatch):
    from platformctl import automation

    monkeypatch.setattr(automation, "OPERATION_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(automation, "STOP_GRACE_SECONDS", 0.5)
    monkeypatch.setattr(automation, "KILL_AFTER_SECONDS", 0.5)
    fake_pulumi.scenario(long={"up": 60}, ignore_sigint=True)
    result = cli("up", "dev", "--yes")
    assert result.exit_code == errors.EXIT_FAIL
    assert "error: up of stack dev failed: pulumi did not finish within 1s" in result.stderr
    assert LOCK_HINT in result.stderr
    fake_pulumi.assert_no_process_left()


def test_a_hanging_quick_command_times_out(fake_pulumi, cli, monkeypatch):
    from platformctl import automation

    monkeypatch.setattr(automation, "QUICK_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(automation, "STOP_GRACE_SECONDS", 0.5)
    fake_pulumi.scenario(slow={"stack select": 60})
    result = cli("preview", "dev")
    assert result.exit_code == errors.EXIT_FAIL
    assert "did not finish within 1s" in result.stderr
    fake_pulumi.assert_no_process_left()


@pytest.mark.parametrize(
    ("scenario", "says"),
    [
        ({"version": "3.205.0"}, "error: unsupported pulumi CLI 3.205.0: platformctl needs 3.206.0 or newer"),
        ({"version_output": "pulumi is great"}, "error: `pulumi version` printed 'pulumi is great', not a version"),
        ({"fail": {"version": {"stderr": "panic: runtime error: boom", "code": 2}}}, "(panic: runtime error: boom)"),
        ({"version": "4.0.0"}, "error: unsupported pulumi CLI 4.0.0"),
    ],
    ids=["too-old", "not-a-version", "crashes", "next-major"],
)
def test_an_unusable_cli_is_refused_before_any_operation(fake_pulumi, cli, scenario, says):
    fake_pulumi.scenario(**scenario)
    result = cli("up", "dev", "--yes")
    assert result.exit_code == errors.EXIT_NO_PULUMI
    assert result.stderr.startswith(says) or says in result.stderr.splitlines()[0], result.stderr
    assert fake_pulumi.commands() == ["version:"]


def test_version_check_has_a_timeout(fake_pulumi, cli, monkeypatch):
    from platformctl import automation

    monkeypatch.setattr(automation, "QUICK_TIMEOUT_SECONDS", 1.0)
    fake_pulumi.scenario(slow={"version": 60})
    result = cli("preview", "dev")
    assert result.exit_code == errors.EXIT_NO_PULUMI
    assert result.stderr.startswith("error: `pulumi version` did not answer within 1s")
    fake_pulumi.assert_no_process_left()


# ------------------------------------------------------------------------------------------- prompts


@pytest.mark.parametrize("command", [["up", "prod"], ["destroy", "dev"]])
def test_end_of_input_at_a_prompt_means_aborted(fake_pulumi, cli, monkeypatch, command):
    import platformctl.cli as cli_module

    monkeypatch.setattr(cli_module, "_interactive", lambda: True)
    result = cli(*command, input="")  # stdin closed at the question
    assert result.exit_code == errors.EXIT_FAIL
    assert result.stderr.strip().splitlines()[-1] == "aborted: no answer; nothing was changed"
    assert "NoneType" not in result.stderr
    assert not any(c.startswith(("up:", "destroy:")) for c in fake_pulumi.commands())
