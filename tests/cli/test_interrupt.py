"""Ctrl-C: platformctl forwards it once to the running pulumi, and says what state each stack is in.

These run the real entry point in a subprocess (a signal cannot be sent to CliRunner) with the fake pulumi, which
waits in the middle of its event stream until it is interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start(fake, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PLATFORMCTL_RETRY_BASE_SECONDS": "0.01"}
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
