"""End to end against real AWS: `platformctl preview dev --policy`. Marked `cloud`; skipped (reason printed with
-ra) unless the pulumi CLI is installed, a backend is logged in and AWS credentials are present."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.cloud

CREDENTIAL_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def aws_credentials_present() -> bool:
    """Credentials the AWS SDKs would find without a network call (an EC2 instance role cannot be seen: set
    PLATFORMCTL_CLOUD_TESTS=1 to run anyway)."""
    if os.environ.get("PLATFORMCTL_CLOUD_TESTS") == "1" or any(os.environ.get(v) for v in CREDENTIAL_ENV):
        return True
    aws = Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE", Path.home() / ".aws" / "credentials"))
    config = Path(os.environ.get("AWS_CONFIG_FILE", Path.home() / ".aws" / "config"))
    return aws.is_file() or config.is_file()


def test_preview_dev_with_policy_on_real_aws():
    if shutil.which("pulumi") is None:
        pytest.skip("cloud test: the pulumi CLI is not on PATH (https://www.pulumi.com/docs/install/)")
    if not aws_credentials_present():
        pytest.skip("cloud test: no AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, web identity or ~/.aws)")
    whoami = subprocess.run(["pulumi", "whoami", "--non-interactive"], capture_output=True, text=True, cwd=ROOT)
    if whoami.returncode != 0:
        pytest.skip(f"cloud test: not logged in to a Pulumi backend ({whoami.stderr.strip()[:120]})")

    proc = subprocess.run(
        [sys.executable, "-m", "platformctl.cli", "preview", "dev", "--policy", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    results = [doc for doc in map(json.loads, proc.stdout.splitlines()) if doc.get("type") == "result"]
    assert len(results) == 1, proc.stderr
    result = results[0]
    assert result["stack"] == "dev"
    # 0: clean; 1: mandatory policy violations, reported as such. Anything else is an environment problem.
    assert proc.returncode in (0, 1), proc.stderr
    if proc.returncode == 1:
        assert result["error"]["kind"] == "policy", result["error"]
    assert result["policyPacks"], "the policy packs did not run"
    assert sum(result["changes"].values()) > 0
