"""SIGTERM, SIGHUP, crashes, hangs and closed prompts (issue #14): platformctl stops pulumi like Ctrl-C within a
bound, says whether the stack lock may remain and how to clear it, exits with its documented code, and leaves no
pulumi process behind.

The signal tests run the real entry point in a subprocess (a signal cannot be sent to CliRunner) against the fake
pulumi, which can run a long `up`, ignore SIGINT like a stuck CLI, crash, or hang.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from platformctl import errors

ROOT = Path(__file__).resolve().parents[2]
LOCK_HINT = "clear it with `pulumi cancel --yes --stack dev`"


def start(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "platformctl.cli", *args],
        cwd=ROOT,
        env={**os.environ, "PLATFORMCTL_RETRY_BASE_SECONDS": "0.01", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # like a CI runner's job: the test signals platformctl only
    )


def wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def assert_no_pulumi_left(fake) -> None:
    pids = {r["pid"] for r in fake.records()}
    assert pids, "the fake pulumi never ran"
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if alive(pid)], "a pulumi process outlived platformctl"


# ------------------------------------------------------------------------------------------- signals


def test_sigterm_during_up_stops_pulumi_gracefully_exits_143_and_leaves_nothing_running(fake_pulumi):
    fake_pulumi.scenario(long={"up": 60})
    proc = start("up", "dev", "--yes")
    wait_for(fake_pulumi.state / "running")
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == errors.EXIT_TERMINATED == 143, err
    assert "SIGTERM: asking 1 running pulumi operation(s) to stop after the resource operations in flight" in err
    assert "up of dev was cancelled after the operations in flight finished" in err
    assert "the state is consistent and unlocked" in err
    assert "Traceback" not in err and "cancelled" in out
    assert_no_pulumi_left(fake_pulumi)


def test_sigterm_with_a_stuck_pulumi_kills_it_after_the_grace_period_and_prints_the_lock_hint(fake_pulumi):
    fake_pulumi.scenario(long={"up": 120}, ignore_sigint=True)
    proc = start("up", "dev", "--yes", PLATFORMCTL_STOP_GRACE="1", PLATFORMCTL_KILL_AFTER="1")
    wait_for(fake_pulumi.state / "running")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert time.monotonic() - started < 30  # the grace period, then KILL_AFTER_SECONDS: never the whole `up`
    assert "up of dev was terminated (SIGTERM)" in err
    assert f"The update lock of dev may remain: once no other update of dev runs, {LOCK_HINT}" in err
    assert "then run `platformctl refresh dev`" in err
    assert_no_pulumi_left(fake_pulumi)


def test_a_second_sigterm_does_not_wait(fake_pulumi):
    fake_pulumi.scenario(long={"up": 120}, ignore_sigint=True)
    proc = start("up", "dev", "--yes", PLATFORMCTL_STOP_GRACE="100")
    wait_for(fake_pulumi.state / "running")
    proc.send_signal(signal.SIGTERM)
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "SIGTERM again: killed the running pulumi operation(s)" in err and LOCK_HINT in err
    assert_no_pulumi_left(fake_pulumi)


def test_sighup_is_handled_like_sigterm(fake_pulumi):
    fake_pulumi.scenario(long={"preview": 60})
    proc = start("preview", "dev")
    wait_for(fake_pulumi.state / "running")
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == errors.EXIT_HANGUP == 129, err
    assert "preview of dev cancelled; it changes nothing" in err
    assert_no_pulumi_left(fake_pulumi)


def test_sigterm_before_any_operation_kills_what_runs_and_exits_143(fake_pulumi):
    fake_pulumi.scenario(slow={"version": 60})
    proc = start("up", "dev", "--yes")
    deadline = time.monotonic() + 60
    while not fake_pulumi.records() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert err.strip().splitlines()[-1] == "SIGTERM: stopped before any stack operation was running"
    assert_no_pulumi_left(fake_pulumi)


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
    assert_no_pulumi_left(fake_pulumi)


def test_a_hanging_quick_command_times_out(fake_pulumi, cli, monkeypatch):
    from platformctl import automation

    monkeypatch.setattr(automation, "QUICK_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(automation, "STOP_GRACE_SECONDS", 0.5)
    fake_pulumi.scenario(slow={"stack select": 60})
    result = cli("preview", "dev")
    assert result.exit_code == errors.EXIT_FAIL
    assert "did not finish within 1s" in result.stderr
    assert_no_pulumi_left(fake_pulumi)


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
    assert_no_pulumi_left(fake_pulumi)


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
