"""`platformctl up/preview STACK --bootstrap` against the fake pulumi: the run gets a temporary copy of the stack
file with platform:bootstrap (`--config-file`), and a stack that already has Kubernetes resources is refused."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def config_file_calls(fake, op: str) -> list[dict]:
    """The recorded calls of `pulumi <op>` (argv, and the --config-file's text)."""
    return [r for r in fake.records() if [a for a in r["argv"] if a != "--non-interactive"][:1] == [op]]


def test_up_bootstrap_runs_with_a_copy_of_the_stack_file_that_sets_the_flag(fake_pulumi, cli):
    fake_pulumi.scenario(stacks={})  # a new stack: nothing deployed yet
    result = cli("up", "dev", "--bootstrap", "--yes")
    assert result.exit_code == 0, result.output
    [call] = config_file_calls(fake_pulumi, "up")
    argv = call["argv"]
    path = argv[argv.index("--config-file") + 1]
    doc = yaml.safe_load(call["configFile"])
    assert doc["config"].pop("platform:bootstrap") is True
    assert doc == yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    assert path.endswith("/dev/Pulumi.dev.yaml") and not Path(path).exists()  # removed after the run


def test_without_bootstrap_the_stack_file_is_used_as_is(fake_pulumi, cli):
    assert cli("up", "dev", "--yes").exit_code == 0
    [call] = config_file_calls(fake_pulumi, "up")
    assert "--config-file" not in call["argv"]


def test_preview_bootstrap_uses_the_copy_too(fake_pulumi, cli):
    assert cli("preview", "dev", "--bootstrap").exit_code == 0
    [call] = config_file_calls(fake_pulumi, "preview")
    assert yaml.safe_load(call["configFile"])["config"]["platform:bootstrap"] is True


def test_up_bootstrap_refuses_a_stack_with_kubernetes_resources(fake_pulumi, cli):
    stacks = json.loads((fake_pulumi.state / "scenario.json").read_text())["stacks"]
    urn = "urn:pulumi:dev::eks-platform::eks-platform:gitops:GitOps$kubernetes:core/v1:Namespace::dev-gitops-ns"
    stacks["dev"]["resources"].append({"urn": urn, "type": "kubernetes:core/v1:Namespace"})
    fake_pulumi.scenario(stacks=stacks)
    result = cli("up", "dev", "--bootstrap", "--yes")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert (
        "error: stack dev already has 1 Kubernetes resource(s): a bootstrap run declares none and would delete them; "
        "run `platformctl up dev` from where the cluster is reachable (the deploy runner)"
    ) in lines
    assert f"  {urn}" in lines
    assert not config_file_calls(fake_pulumi, "up")
