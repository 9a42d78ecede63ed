"""Acceptance 1: `platformctl env new staging --from dev --region us-east-1 --azs 2 --account 210987654321` in a
copy of the repository: the stack, its policy config and platform/ values, a plan and the GitOps selection."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import helm_python
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["env", "new", "staging", "--from", "dev", "--region", "us-east-1", "--azs", "2", "--account", "210987654321"]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of what a project holds besides code: stack files, the program's entry point, policies/config and
    platform/ (the components come from this checkout, already imported)."""
    for path in [*ROOT.glob("Pulumi*.yaml"), ROOT / "__main__.py"]:
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(ROOT / "policies" / "config", tmp_path / "policies" / "config")
    shutil.copytree(ROOT / "platform", tmp_path / "platform")
    shutil.copytree(ROOT / ".github" / "workflows", tmp_path / ".github" / "workflows")
    # The repository may hold a staging environment already (e.g. made by this very command): start without it.
    for made in ("Pulumi.staging.yaml", "policies/config/staging.json", "platform/*/values-staging.yaml"):
        for path in tmp_path.glob(made):
            path.unlink()
    monkeypatch.setenv("PLATFORMCTL_PROJECT_DIR", str(tmp_path))
    return tmp_path


def test_env_new_scaffolds_everything_an_environment_needs(cli, project):
    result = cli(*ARGS)
    assert result.exit_code == 0, result.output
    for name in (
        "Pulumi.staging.yaml",
        "policies/config/staging.json",
        "platform/teams/values-staging.yaml",
        "platform/workloads/values-staging.yaml",
    ):
        assert (project / name).is_file(), name
    text = (project / "Pulumi.staging.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    assert config["aws:region"] == "us-east-1"
    assert config["platform:environment"] == {"name": "staging", "production": False, "account": "210987654321"}
    assert config["platform:network"]["vpcCidr"] == "10.10.0.0/16"  # overlaps no other stack
    assert config["platform:network"]["azCount"] == 2
    assert config["platform:addons"]["externalSecrets"]["pathPrefix"] == "eks-platform/staging/"
    assert config["platform:gitops"]["domain"] == "staging.example.com"
    assert config["platform:cluster"]["access"]["adminRoleArns"] == ["arn:aws:iam::210987654321:role/platform-admin"]
    assert "oidcProviderArn" not in config["platform:data"]["buildAccess"]  # the first stack of its account
    assert "hostedZoneIds: [Z0DEVEXAMPLE00000001]  # copied from dev, change me" in text
    # The deploy runner: the environment's own roles in its account; the console-made connection is marked.
    runner = config["platform:deployRunner"]
    assert runner["deployRoleArn"] == "arn:aws:iam::210987654321:role/eks-platform-staging-deploy"
    assert runner["readRoleArn"] == "arn:aws:iam::210987654321:role/eks-platform-staging-read"
    assert "connection/0f3c6a5e-8d1b-4c2a-9e7f-1a2b3c4d5e6f  # copied from dev, change me" in text
    assert "# dev: two AZs are enough" in text  # dev's comments survive
    assert yaml.safe_load((project / "platform/teams/values-staging.yaml").read_text())["environment"] == "staging"
    workloads = yaml.safe_load((project / "platform/workloads/values-staging.yaml").read_text())
    assert workloads["global"]["environment"] == "staging"
    assert workloads["frontend"]["image"]["repository"].startswith("210987654321.dkr.ecr.us-east-1.amazonaws.com/")
    assert "copied from dev, change me" in result.output


def test_the_new_environment_plans_and_gets_teams_and_workloads_like_dev(cli, project):
    from components.config.stack import validate_file
    from platformctl.engine import run_plan
    from platformctl.envs import application_sets, selected_by

    assert cli(*ARGS).exit_code == 0
    cfg, _ = validate_file(project / "Pulumi.staging.yaml", "staging", project)
    dev, _ = validate_file(project / "Pulumi.dev.yaml", "dev", project)
    appsets = application_sets(project)
    assert selected_by(cfg, appsets) == selected_by(dev, appsets)
    assert {"teams", "workloads"} <= set(selected_by(cfg, appsets))
    plan = run_plan("staging", project_dir=project)
    assert plan.config.region == "us-east-1" and plan.outputs["clusterName"] == "eks-platform-staging"
    # The charts render with the new values files, as their ApplicationSets ask for them.
    for chart, release in (("teams", "teams"), ("workloads", "workloads")):
        values = yaml.safe_load((project / "platform" / chart / "values-staging.yaml").read_text())
        with helm_python.Chart.load(project / "platform" / chart / "chart") as loaded:
            rendered = loaded.render(values=values, name=release, namespace="default")
        assert any("staging" in text for text in rendered.values())


def test_env_list_lists_every_stack_and_what_differs(cli, project):
    assert cli(*ARGS).exit_code == 0
    result = cli("env", "list", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [s["stack"] for s in doc["stacks"]] == sorted(p.name[7:-5] for p in project.glob("Pulumi.*.yaml"))
    assert {"dev", "prod", "staging"} <= {s["stack"] for s in doc["stacks"]}
    staging = next(s for s in doc["stacks"] if s["stack"] == "staging")
    assert (staging["account"], staging["region"], staging["azCount"]) == ("210987654321", "us-east-1", 2)
    assert doc["differences"]["aws:region"]["staging"] == "us-east-1"
    assert doc["differences"]["aws:region"]["dev"] == "eu-west-1"
    assert any("copied from it? change it" in w for w in staging["warnings"])
    table = cli("env", "list")
    assert table.exit_code == 0 and "staging" in table.stdout and "What differs" in table.stdout


def test_nothing_is_written_when_the_new_stack_would_not_validate(cli, project):
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    result = cli("env", "new", "prod2", "--from", "dev", "--production")
    assert result.exit_code == 2
    assert result.output == "error: dev's azCount 2: a production environment needs at least 3 AZs (pass --azs 3)\n"
    # dev's other settings break production's invariants: reported, and nothing is written.
    result = cli("env", "new", "prod2", "--from", "dev", "--production", "--azs", "3")
    assert result.exit_code == 2
    assert "would not validate; nothing was written" in result.output
    assert "platform:cluster.deletionProtection: must be true in production" in result.output
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_a_production_environment_from_prod_in_the_same_account_names_the_oidc_provider(cli, project):
    result = cli("env", "new", "prod-us", "--from", "prod", "--region", "us-east-1", "--production")
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((project / "Pulumi.prod-us.yaml").read_text())["config"]
    assert config["platform:environment"]["production"] is True
    assert config["platform:data"]["buildAccess"]["oidcProviderArn"] == (
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    )
    assert config["platform:gitops"]["domain"] == "prod-us.example.com"
    policy = json.loads((project / "policies/config/prod-us.json").read_text())
    assert policy["encryption-at-rest"]["enforcementLevel"] == "mandatory"


def test_the_new_environment_is_deployed_and_checked_by_ci_on_its_own_runner(cli, project):
    from components.deploy_runner import project_name
    from components.deploy_runner_iam import runs_on_label

    assert cli(*ARGS).exit_code == 0
    label = runs_on_label(project_name("staging"))
    deploy = yaml.safe_load((project / ".github/workflows/deploy.yml").read_text())["jobs"]
    drift = yaml.safe_load((project / ".github/workflows/drift.yml").read_text())["jobs"]
    assert deploy["up-staging"]["runs-on"] == label and deploy["up-staging"]["environment"] == "staging"
    assert deploy["up-staging"]["needs"] == ["test", "bootstrap-staging"]
    assert "platformctl up staging --yes" in json.dumps(deploy["up-staging"])
    assert "platformctl up staging --bootstrap" in json.dumps(deploy["bootstrap-staging"])
    assert drift["drift-staging"]["runs-on"] == label and "platformctl drift staging" in json.dumps(drift)
    # Its Region, where the job falls back on one (the GitHub environment's AWS_REGION variable wins).
    assert "'us-east-1'" in json.dumps(deploy["up-staging"]) and "'eu-west-1'" not in json.dumps(deploy["up-staging"])
    assert deploy["up-dev"] == yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())["jobs"]["up-dev"]


def test_jobs_are_copied_as_words_never_inside_paths_nor_from_a_fleet():
    from platformctl.envs import copy_stack_jobs

    workflow = """on: push
jobs:
  test:
    runs-on: ubuntu-24.04
  up-dev:
    needs: [test]
    environment: dev
    if: needs.test.result == 'success'
    steps:
      - run: platformctl up dev --yes > /dev/null

  # prod's jobs
  up-fleet-dev:
    steps:
      - run: platformctl up --fleet dev
"""
    text, jobs = copy_stack_jobs(workflow, "dev", "qa", ("eu-west-1", "us-east-1"))
    assert jobs == ["up-qa"]
    doc = yaml.safe_load(text)
    assert list(doc["jobs"]) == ["test", "up-dev", "up-qa", "up-fleet-dev"]
    assert doc["jobs"]["up-qa"] == {
        "needs": ["test"],
        "environment": "qa",
        "if": "needs.test.result == 'success'",
        "steps": [{"run": "platformctl up qa --yes > /dev/null"}],
    }
    assert "  # prod's jobs\n  up-fleet-dev:" in text  # the next job keeps its comment
    assert copy_stack_jobs(text, "dev", "qa") == (text, [])  # qa has its jobs already
    assert copy_stack_jobs(workflow, "stage", "qa") == (workflow, [])  # no job of stage's
