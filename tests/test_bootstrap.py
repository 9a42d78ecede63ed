"""The bootstrap run (`platformctl up STACK --bootstrap`): the AWS part of a stack, applied before anything can reach
its cluster. Offline proof: its plan declares no Kubernetes resource, and everything it declares keeps its URN in
the full plan (the deploy runner's full run then adds the in-cluster part without replacing anything)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from components.config import ConfigError, read_stack_file, validate
from platformctl.bootstrap import FLAG, bootstrap_config, refuse_flags_in_stack_files
from platformctl.errors import PlatformError

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ("kubernetes:", "pulumi:providers:kubernetes")


@pytest.fixture(scope="module", params=["dev", "prod"])
def plans(request, tmp_path_factory):
    """(bootstrap plan, full plan) of a stack, through `platformctl plan STACK --bootstrap` and without."""
    from platformctl.engine import run_plan

    stack = request.param
    path = bootstrap_config(ROOT / f"Pulumi.{stack}.yaml", tmp_path_factory.mktemp("bootstrap"))
    return run_plan(stack, path, ROOT), request.getfixturevalue(f"{stack}_plan")


def test_the_bootstrap_plan_declares_no_kubernetes_resource(plans):
    from platformctl.reachability import kubernetes_resources

    bootstrap, _ = plans
    assert bootstrap.config.bootstrap is True
    assert [r.urn for r in kubernetes_resources(bootstrap)] == []
    # pulumi-eks always registers a Kubernetes provider of its own; nothing in this program uses it.
    [eks_provider] = bootstrap.of_type("pulumi:providers:kubernetes")
    assert eks_provider.name.endswith("-eks-eks-k8s")
    assert not [r for r in bootstrap.resources if r.provider == eks_provider.urn]
    assert "eks-platform:gitops:GitOps" not in {r.type for r in bootstrap.resources}


def test_the_bootstrap_plan_is_the_aws_part_of_the_full_plan_with_the_same_urns(plans):
    bootstrap, full = plans
    assert not full.config.bootstrap
    assert {r.urn for r in bootstrap.resources} <= {r.urn for r in full.resources}
    rest = {r.type for r in full.resources if r.urn not in bootstrap.by_urn}
    # What the full run adds: in-cluster objects, GitOps (and its generated passwords), nothing of AWS.
    assert all(t.startswith(KUBERNETES) or t.startswith(("eks-platform:gitops:", "random:")) for t in rest), rest
    assert any(t.startswith("kubernetes:") for t in rest)


def test_the_bootstrap_plan_builds_everything_the_runner_needs(plans):
    bootstrap, _ = plans
    types = {r.type for r in bootstrap.resources}
    for needed in (
        "aws:ec2/vpc:Vpc",
        "eks:index:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:codebuild/project:Project",
        "aws:codebuild/webhook:Webhook",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:eks/addon:Addon",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
    ):
        assert needed in types, needed
    # The deploy role's admin entry exists after the bootstrap run: the runner's first full run can use the API.
    deployer = bootstrap.by_urn[next(r.urn for r in bootstrap.resources if r.name.endswith("-cluster-deployer"))]
    assert deployer.inputs["principalArn"] == bootstrap.config.deploy_runner.deploy_role_arn


def test_the_flag_is_a_copy_of_the_stack_file_plus_one_key(tmp_path):
    source = ROOT / "Pulumi.prod.yaml"
    copy_ = bootstrap_config(source, tmp_path)
    original = yaml.safe_load(source.read_text())
    doc = yaml.safe_load(copy_.read_text())
    assert doc["config"].pop(FLAG) is True
    assert doc == original
    assert copy_.name == "Pulumi.prod.yaml" and copy_.parent == tmp_path


def test_the_flag_is_a_boolean_however_it_arrives():
    base = read_stack_file(ROOT / "Pulumi.dev.yaml")
    for value, expected in ((True, True), ("true", True), (False, False), ("false", False)):
        assert validate({**copy.deepcopy(base), FLAG: value}, "dev").bootstrap is expected
    with pytest.raises(ConfigError) as info:
        validate({**copy.deepcopy(base), FLAG: "yes"}, "dev")
    assert info.value.lines == ['platform:bootstrap: must be true or false (got "yes")']
    assert validate(copy.deepcopy(base), "dev").bootstrap is False


def test_real_commands_refuse_the_flag_in_a_stack_file(tmp_path):
    from platformctl.automation import StackRef

    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"][FLAG] = True
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(PlatformError) as info:
        refuse_flags_in_stack_files([StackRef("dev", "dev")], tmp_path)
    assert info.value.message == (
        "error: platform:bootstrap is set in Pulumi.dev.yaml: it is set by `platformctl up dev --bootstrap` for one "
        "run only; remove it from the stack file"
    )
    refuse_flags_in_stack_files([StackRef("dev", "dev")], ROOT)  # the shipped files are clean


def test_plan_bootstrap_from_the_cli(tmp_path):
    from typer.testing import CliRunner

    from platformctl.cli import app

    out = tmp_path / "bootstrap.json"
    result = CliRunner().invoke(app, ["plan", "dev", "--bootstrap", "--quiet", "--json", str(out)])
    assert result.exit_code == 0, result.output
    import json

    doc = json.loads(out.read_text())
    # Only pulumi-eks's own provider, which no resource uses (a JSON document's resources name their provider).
    providers = {r["urn"] for r in doc["resources"] if r["type"] == "pulumi:providers:kubernetes"}
    assert not [r for r in doc["resources"] if r["type"].startswith("kubernetes:")]
    assert [u.rsplit("::", 1)[1] for u in providers] == ["dev-cluster-eks-eks-k8s"]
    assert not [r for r in doc["resources"] if r["provider"] in providers]
