"""Ctrl-C, SIGTERM and SIGHUP: platformctl forwards a stop once to the running pulumi (SIGTERM/SIGHUP with a
deadline, then terminate, then kill), says what state each stack is in and whether its lock may remain, exits
with its documented code, and leaves no pulumi process behind.

These run the real entry point in a subprocess (a signal cannot be sent to CliRunner) with the fake pulumi, which
waits in the middle of its event stream until it is interrupted, runs a long operation, or ignores SIGINT like a
stuck CLI.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


LOCK_HINT = "clear it with `pulumi cancel --yes --stack dev`"


def start(fake, *args: str, **env: str) -> subprocess.Popen:
    env = {**os.environ, "PLATFORMCTL_RETRY_BASE_SECONDS": "0.01", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "platformctl.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # like a terminal: the test signals this process only
    )


def wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_ctrl_c_stops_after_in_flight_operations_and_reports_a_consistent_state(fake_pulumi):
    fake_pulumi.scenario(hang={"up": 8})
    proc = start(fake_pulumi, "up", "dev", "--yes")
    wait_for(fake_pulumi.state / "hanging")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "asking 1 running pulumi operation(s) to stop" in err
    assert "up of dev was cancelled after the operations in flight finished" in err
    assert "the state is consistent and unlocked" in err
    assert "Traceback" not in err
    assert "cancelled" in out  # the summary table
    assert not any(c.startswith("cancel:") for c in fake_pulumi.commands())  # nothing left locked


def test_second_ctrl_c_terminates_and_releases_the_lock(fake_pulumi):
    fake_pulumi.scenario(hang={"up": 8}, drain=20)
    proc = start(fake_pulumi, "up", "dev", "--yes")
    wait_for(fake_pulumi.state / "hanging")
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "terminating the running pulumi operation(s) now" in err
    assert "up of dev was terminated" in err and "platformctl refresh dev" in err
    assert "cancel:dev" in fake_pulumi.commands()  # stack.cancel(): the lock a terminated update leaves


def test_ctrl_c_during_a_preview_changes_nothing(fake_pulumi):
    fake_pulumi.scenario(hang={"preview": 4})
    proc = start(fake_pulumi, "preview", "dev")
    wait_for(fake_pulumi.state / "hanging")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "preview of dev cancelled; it changes nothing" in err


# ------------------------------------------------------------------------------------------- SIGTERM, SIGHUP


def test_sigterm_during_up_stops_pulumi_gracefully_exits_143_and_leaves_nothing_running(fake_pulumi):
    fake_pulumi.scenario(long={"up": 60})
    proc = start(fake_pulumi, "up", "dev", "--yes")
    wait_for(fake_pulumi.state / "running")
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "SIGTERM: asking 1 running pulumi operation(s) to stop after the resource operations in flight" in err
    assert "up of dev was cancelled after the operations in flight finished" in err
    assert "the state is consistent and unlocked" in err
    assert "Traceback" not in err and "cancelled" in out
    fake_pulumi.assert_no_process_left()


def test_sigterm_with_a_stuck_pulumi_kills_it_after_the_grace_period_and_prints_the_lock_hint(fake_pulumi):
    fake_pulumi.scenario(long={"up": 120}, ignore_sigint=True)
    proc = start(fake_pulumi, "up", "dev", "--yes", PLATFORMCTL_STOP_GRACE="1", PLATFORMCTL_KILL_AFTER="1")
    wait_for(fake_pulumi.state / "running")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert time.monotonic() - started < 30  # the grace period, then KILL_AFTER_SECONDS: never the whole `up`
    assert "up of dev was terminated (SIGTERM)" in err
    assert f"The update lock of dev may remain: once no other update of dev runs, {LOCK_HINT}" in err
    assert "then run `platformctl refresh dev`" in err
    fake_pulumi.assert_no_process_left()


def test_a_second_sigterm_does_not_wait(fake_pulumi):
    fake_pulumi.scenario(long={"up": 120}, ignore_sigint=True)
    proc = start(fake_pulumi, "up", "dev", "--yes", PLATFORMCTL_STOP_GRACE="100")
    wait_for(fake_pulumi.state / "running")
    proc.send_signal(signal.SIGTERM)
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "SIGTERM again: killed the running pulumi operation(s)" in err and LOCK_HINT in err
    fake_pulumi.assert_no_process_left()


def test_sighup_is_handled_like_sigterm(fake_pulumi):
    fake_pulumi.scenario(long={"preview": 60})
    proc = start(fake_pulumi, "preview", "dev")
    wait_for(fake_pulumi.state / "running")
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 129, err
    assert "preview of dev cancelled; it changes nothing" in err
    fake_pulumi.assert_no_process_left()


def test_sigterm_before_any_operation_kills_what_runs_and_exits_143(fake_pulumi):
    fake_pulumi.scenario(slow={"version": 60})
    proc = start(fake_pulumi, "up", "dev", "--yes")
    deadline = time.monotonic() + 60
    while not fake_pulumi.records() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert err.strip().splitlines()[-1] == "SIGTERM: stopped before any stack operation was running"
    fake_pulumi.assert_no_process_left()
