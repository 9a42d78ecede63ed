"""Issue 20: `platformctl up/preview/refresh/drift --fleet prod` against the project's fake `pulumi`.

The fake answers every stack with the same recordings; what is tested is platformctl's side: which stacks run, in
which order and from which folder, where it stops, and what it says.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platformctl import errors, fleet_gates

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["global", "mgmt", "prod-apse1", "prod-euw1", "prod-use1"]
SPOKES = ["prod-apse1", "prod-euw1", "prod-use1"]


def fleet_backend(*, deployed_spokes=SPOKES, hub_server: str = "https://127.0.0.1:9") -> dict:
    """Backend stacks of a deployed fleet: the spokes' registrations, the hub's kubeconfig."""
    kubeconfig = {
        "apiVersion": "v1",
        "clusters": [{"name": "mgmt", "cluster": {"server": hub_server, "certificate-authority-data": ""}}],
        "users": [],
    }
    stacks = {
        "global": {"outputs": {"zoneName": "prod.example.com", "registry": {"prefix": "global/"}}},
        "mgmt": {"outputs": {"kubeconfig": kubeconfig, "clusterName": "eks-platform-mgmt"}, "secrets": ["kubeconfig"]},
    }
    for spoke in deployed_spokes:
        stacks[spoke] = {"outputs": {"argocdCluster": {"name": f"eks-platform-{spoke}"}}}
    for stack in stacks.values():
        stack.setdefault("resources", [])
    return stacks


def ops(fake, op: str) -> list[str]:
    """The stacks `op` ran on, in order (by short name; platformctl passes <organization>/<project>/<stack>)."""
    return [c.split(":", 1)[1].rsplit("/", 1)[-1] for c in fake.commands() if c.startswith(f"{op}:")]


def test_up_fleet_applies_global_the_hub_then_the_waves(fake_pulumi, cli):
    """In order, each wave previewed first; the health gates are skipped where the hub cannot be asked (its API at
    127.0.0.1:9 refuses connections), saying so, and the rollout goes on."""
    fake_pulumi.scenario(stacks=fleet_backend())
    result = cli("up", "--fleet", "prod", "--yes", "--gate-timeout", "5")
    assert result.exit_code == 0, result.stderr
    for spoke in SPOKES:
        assert f"health gate {spoke}: skipped (the hub's API is not reachable from here" in result.stderr
    assert ops(fake_pulumi, "up") == ORDER
    # Each wave is previewed before it is applied.
    sequence = [c for c in fake_pulumi.commands() if c.split(":")[0] in ("preview", "up")]
    assert [f"{c.split(':')[0]}:{c.rsplit('/', 1)[-1]}" for c in sequence] == [
        f"{op}:{s}" for s in ORDER for op in ("preview", "up")
    ]
    assert "fleet prod: applied: global, mgmt, prod-apse1, prod-euw1, prod-use1" in result.stderr
    # Fully qualified names (those the StackReferences read); the global stack from its own program folder.
    calls = fake_pulumi.records()
    (global_up,) = [c for c in calls if "up" in c["argv"] and "example-org/eks-platform-global/global" in c["argv"]]
    assert Path(global_up["cwd"]) == ROOT / "global"
    (hub_up,) = [c for c in calls if "up" in c["argv"] and "example-org/eks-platform/mgmt" in c["argv"]]
    assert Path(hub_up["cwd"]) == ROOT


def test_up_fleet_stops_at_the_first_failing_wave_and_says_what_was_applied(fake_pulumi, cli):
    """Acceptance 4: applies in the configured order and stops at the first failing wave, saying which stacks were
    applied."""
    fake_pulumi.scenario(
        stacks=fleet_backend(), fail={"up:prod-euw1": {"stderr": "error: creating EKS Node Group: boom", "code": 255}}
    )
    result = cli("up", "--fleet", "prod", "--yes", "--gate-timeout", "0")
    assert result.exit_code != 0
    assert ops(fake_pulumi, "up") == ["global", "mgmt", "prod-apse1", "prod-euw1"]  # the us wave never starts
    assert "prod-use1" not in ops(fake_pulumi, "preview")
    assert "fleet prod: wave eu failed (prod-euw1); stopped" in result.stderr
    assert "fleet prod: applied: global, mgmt, prod-apse1" in result.stderr
    assert "fleet prod: not started: prod-use1" in result.stderr


def test_a_failing_preview_stops_the_wave_before_anything_of_it_changes(fake_pulumi, cli):
    fake_pulumi.scenario(
        stacks=fleet_backend(), fail={"preview:mgmt": {"stderr": "error: preview failed", "code": 255}}
    )
    result = cli("up", "--fleet", "prod", "--yes", "--gate-timeout", "0", "--json")
    assert result.exit_code != 0
    assert ops(fake_pulumi, "up") == ["global"]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["fleet"] == "prod" and summary["applied"] == ["global"]
    assert (summary["failedWave"], summary["failed"]) == ("hub", ["mgmt"])
    assert summary["notStarted"] == SPOKES


def test_spokes_never_deployed_go_before_the_hub_that_registers_them(fake_pulumi, cli):
    fake_pulumi.scenario(stacks={"dev": {"outputs": {}, "resources": []}})  # a fresh backend: no fleet stack yet
    result = cli("up", "--fleet", "prod", "--yes", "--gate-timeout", "0")
    assert result.exit_code == 0, result.stderr
    assert ops(fake_pulumi, "up") == ["global", *SPOKES, "mgmt"]
    assert "apac-new (prod-apse1) -> eu-new (prod-euw1) -> us-new (prod-use1) -> hub (mgmt)" in result.stderr


def test_preview_fleet_skips_the_hub_while_a_spoke_is_not_deployed(fake_pulumi, cli):
    fake_pulumi.scenario(stacks=fleet_backend(deployed_spokes=["prod-apse1", "prod-euw1"]))
    result = cli("preview", "--fleet", "prod")
    assert result.exit_code == 0, result.stderr
    assert ops(fake_pulumi, "preview") == ["global", "prod-use1", "prod-apse1", "prod-euw1"]
    assert not ops(fake_pulumi, "up")
    assert "mgmt skipped: it registers the spokes from their outputs, and prod-use1 is not deployed yet" in (
        result.stderr
    )


def test_drift_fleet_checks_every_stack_wave_by_wave(fake_pulumi, cli):
    fake_pulumi.scenario(stacks=fleet_backend())
    result = cli("drift", "--fleet", "prod")
    assert result.exit_code in (0, 1), result.stderr  # 1 when the recording shows drift
    assert ops(fake_pulumi, "refresh") == ORDER  # `refresh --preview-only`
    assert not ops(fake_pulumi, "up")
    assert "fleet prod: checked: global, mgmt, prod-apse1, prod-euw1, prod-use1" in result.stderr


def test_a_failed_health_gate_stops_the_rollout(fake_pulumi, cli, monkeypatch):
    from platformctl import fleet_gates

    def apps(api, environment):
        status = "Degraded" if environment == "prod-apse1" else "Healthy"
        meta = {"name": f"workloads-eks-platform-{environment}"}
        return [{"metadata": meta, "status": {"health": {"status": status}, "sync": {"status": "Synced"}}}]

    monkeypatch.setattr(fleet_gates, "fetch_applications", apps)
    monkeypatch.setattr(fleet_gates, "eks_token", lambda cluster, region: "k8s-aws-v1.test")
    fake_pulumi.scenario(stacks=fleet_backend())
    result = cli("up", "--fleet", "prod", "--yes", "--gate-timeout", "0.01")
    assert result.exit_code != 0
    assert ops(fake_pulumi, "up") == ["global", "mgmt", "prod-apse1"]
    assert "health gate prod-apse1: failed (after 0.01s: workloads-eks-platform-prod-apse1 (Degraded/Synced))" in (
        result.stderr
    )
    assert "fleet prod: wave apac failed (prod-apse1); stopped" in result.stderr
    assert "fleet prod: applied: global, mgmt, prod-apse1" in result.stderr


def test_up_fleet_of_production_stacks_needs_yes_without_a_terminal(fake_pulumi, cli):
    fake_pulumi.scenario(stacks=fleet_backend())
    result = cli("up", "--fleet", "prod")
    assert result.exit_code == errors.EXIT_USAGE
    assert "has production stacks" in result.stderr and "needs --yes" in result.stderr
    assert not [c for c in fake_pulumi.commands() if c.startswith(("up:", "preview:"))]


def test_fleet_and_stacks_are_exclusive(fake_pulumi, cli):
    for args in (["up", "dev", "--fleet", "prod"], ["preview"], ["drift", "--fleet", "prod", "--parallel", "2"]):
        result = cli(*args)
        assert result.exit_code == errors.EXIT_USAGE, args
    assert "give one or more STACKs, or --fleet NAME" in cli("refresh").stderr
    assert "fleet 'nope' not found" in cli("up", "--fleet", "nope", "--yes").stderr


@pytest.mark.parametrize(("region", "host"), [("eu-west-1", "sts.eu-west-1.amazonaws.com"),
                                              ("cn-north-1", "sts.cn-north-1.amazonaws.com.cn")])  # fmt: skip
def test_the_gates_eks_token_is_a_presigned_get_caller_identity_for_the_cluster(region, host):
    """The shape of aws-iam-authenticator's token (what `aws eks get-token` prints); no API server checks it here."""
    import base64
    import urllib.parse

    import botocore.session

    session = botocore.session.get_session()
    session.set_credentials("AKIDEXAMPLE", "secret")
    token = fleet_gates.eks_token("eks-platform-mgmt", region, session)
    assert token.startswith("k8s-aws-v1.")
    encoded = token.removeprefix("k8s-aws-v1.")
    url = urllib.parse.urlsplit(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode())
    query = urllib.parse.parse_qs(url.query)
    assert (url.scheme, url.netloc) == ("https", host)
    assert query["Action"] == ["GetCallerIdentity"] and query["X-Amz-Expires"] == ["60"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")
    assert query["X-Amz-Credential"][0].startswith("AKIDEXAMPLE/") and f"/{region}/sts/" in query["X-Amz-Credential"][0]
