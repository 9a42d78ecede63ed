"""Fixtures for platformctl's CLI tests: a fake `pulumi` first on PATH (its limits: fake_pulumi/fake_pulumi.py)."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FAKE = HERE / "fake_pulumi" / "fake_pulumi.py"
KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "dev-cluster", "cluster": {"server": "https://ABC.gr7.eu-west-1.eks.amazonaws.com"}}],
    "contexts": [{"name": "dev", "context": {"cluster": "dev-cluster", "user": "aws"}}],
    "current-context": "dev",
    "users": [
        {"name": "aws", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws"}}}
    ],
}


def default_stacks() -> dict[str, Any]:
    def stack(name: str, protected: bool) -> dict[str, Any]:
        urn = f"urn:pulumi:{name}::eks-platform::aws:kms/key:Key::{name}-database-key"
        return {
            "outputs": {
                "clusterName": f"eks-platform-{name}",
                "vpcId": f"vpc-{name}0123",
                "kubeconfig": KUBECONFIG,
                "environment": name,
            },
            "secrets": ["kubeconfig"],
            "resources": [
                {
                    "urn": f"urn:pulumi:{name}::eks-platform::pulumi:pulumi:Stack::eks-platform-{name}",
                    "type": "pulumi:pulumi:Stack",
                },
                {"urn": urn, "type": "aws:kms/key:Key", "protect": protected, "outputs": {}},
            ],
        }

    return {"dev": stack("dev", False), "prod": stack("prod", True)}


@dataclass
class FakePulumi:
    state: Path
    bin: Path

    def scenario(self, **settings: Any) -> None:
        doc = {"version": "3.272.0", "stacks": default_stacks(), **settings}
        (self.state / "scenario.json").write_text(json.dumps(doc, indent=2))
        (self.state / "backend.json").unlink(missing_ok=True)

    def calls(self) -> list[list[str]]:
        path = self.state / "calls.jsonl"
        if not path.exists():
            return []
        return [
            [a for a in json.loads(line)["argv"] if a != "--non-interactive"] for line in path.read_text().splitlines()
        ]

    def records(self, name: str = "calls.jsonl") -> list[dict[str, Any]]:
        path = self.state / name
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def intervals(self, op: str) -> dict[str, tuple[float, float]]:
        """stack -> (start, end) of the `op` call (one per stack)."""
        ends = {r["pid"]: r["t"] for r in self.records("ends.jsonl")}
        out = {}
        for r in self.records():
            if r["argv"] and op in r["argv"] and "--stack" in r["argv"]:
                out[r["argv"][r["argv"].index("--stack") + 1]] = (r["t"], ends[r["pid"]])
        return out

    def commands(self) -> list[str]:
        """Each call as `<command> [<subcommand>]:<stack>`, e.g. 'stack select:dev', 'preview:prod', 'version:'."""
        out = []
        for argv in self.calls():
            words = [a for a in argv[:2] if not a.startswith("-")]
            if words and words[0] not in ("stack", "state"):
                words = words[:1]
            stack = argv[argv.index("--stack") + 1] if "--stack" in argv else ""
            out.append(f"{' '.join(words)}:{stack}")
        return out

    def backend(self) -> dict[str, Any]:
        return json.loads((self.state / "backend.json").read_text())

    def assert_no_process_left(self, timeout: float = 10.0) -> None:
        """Every `pulumi` this fake ran has exited (a zombie waiting for init to reap it counts as gone)."""

        def alive(pid: int) -> bool:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                return False
            return state != "Z"

        pids = {r["pid"] for r in self.records()}
        assert pids, "the fake pulumi never ran"
        deadline = time.monotonic() + timeout
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in pids if alive(pid)], "a pulumi process outlived platformctl"


class _StsHandler(BaseHTTPRequestHandler):
    """STS's query protocol, GetCallerIdentity only: answers as `server.identity` (account, arn)."""

    def do_POST(self) -> None:
        body = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        if body.get("Action") != ["GetCallerIdentity"]:
            self.send_error(400, "only GetCallerIdentity")
            return
        account, arn = self.server.identity  # type: ignore[attr-defined]
        payload = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
            f"<Arn>{arn}</Arn><UserId>AIDAFAKESTS</UserId><Account>{account}</Account></GetCallerIdentityResult>"
            "<ResponseMetadata><RequestId>fake-sts</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        ).encode()
        self.server.calls += 1  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def _sts_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StsHandler)
    server.identity = ("123456789012", "arn:aws:iam::123456789012:user/ci")  # type: ignore[attr-defined]
    server.calls = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture
def fake_sts(_sts_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """botocore's STS pointed at a local GetCallerIdentity (AWS_ENDPOINT_URL_STS) with dummy credentials, for this
    process and the platformctl subprocesses it starts: the account check of the real-stack commands passes as
    the stacks' account (set `fake_sts.identity = (account, arn)` to answer otherwise)."""
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{_sts_server.server_port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    _sts_server.identity = ("123456789012", "arn:aws:iam::123456789012:user/ci")
    return _sts_server


@pytest.fixture
def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_sts) -> FakePulumi:
    """A fake `pulumi` first on PATH, run with this interpreter (it streams events over gRPC like the real CLI); AWS
    answers the account check as the stacks' account (`fake_sts`)."""
    bin_dir = tmp_path / "bin"
    state = tmp_path / "fake-state"
    bin_dir.mkdir()
    state.mkdir()
    shim = bin_dir / "pulumi"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(state))
    monkeypatch.delenv("PLATFORMCTL_PROJECT_DIR", raising=False)
    monkeypatch.chdir(ROOT)
    import platformctl.automation as automation

    monkeypatch.setattr(automation, "RETRY_BASE_SECONDS", 0.01)
    fake = FakePulumi(state=state, bin=bin_dir)
    fake.scenario()
    return fake


@pytest.fixture
def no_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH without any `pulumi`."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.chdir(ROOT)
    return empty


@pytest.fixture
def cli():
    """Invoke platformctl in-process: cli(*args, input=None) -> click Result (stdout, stderr, exit_code)."""
    from typer.testing import CliRunner

    from platformctl.cli import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke
