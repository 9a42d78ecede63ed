"""`platformctl plan` and `policy` warn when a stack declares Kubernetes resources that no configured deployer can
reach (a private endpoint, or a public one limited to some CIDRs, and no deploy runner)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from platformctl.reachability import unreachable_warning

ROOT = Path(__file__).resolve().parents[2]


def no_runner(config: dict) -> None:
    config["platform:deployRunner"] = {"enabled": False}


def test_a_private_endpoint_without_a_runner_warns_that_the_kubernetes_resources_are_unreachable(
    plan_with_edited_config,
):
    def edit(config):
        no_runner(config)
        config["platform:cluster"]["endpoint"] = {"publicAccess": False}

    code, out = plan_with_edited_config("prod", edit)
    assert code == 0
    [warning] = [line for line in out if line.startswith("warning:") and "Kubernetes resources" in line]
    assert warning.startswith("warning: stack prod declares ") and "Kubernetes resources, but its API endpoint is " in (
        warning
    )
    assert "private (platform:cluster.endpoint.publicAccess: false) and no deploy runner is configured" in warning
    assert warning.endswith(
        "they are unreachable from CI on GitHub-hosted runners (only a deploy from inside the VPC can apply them); "
        "enable platform:deployRunner"
    )


def test_a_public_endpoint_limited_to_some_cidrs_warns_too(plan_with_edited_config):
    code, out = plan_with_edited_config("dev", no_runner)
    assert code == 0
    [warning] = [line for line in out if line.startswith("warning:") and "Kubernetes resources" in line]
    assert "its API endpoint is public only to 203.0.113.0/24" in warning
    assert "only a deploy from inside the VPC or those CIDRs can apply them" in warning


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_shipped_stacks_deploy_through_their_runner_and_do_not_warn(plans, stack):
    assert unreachable_warning(plans[stack]) is None


def test_a_bootstrap_plan_declares_nothing_to_reach(tmp_path):
    from platformctl.bootstrap import bootstrap_config
    from platformctl.engine import run_plan

    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    no_runner(doc["config"])
    source = tmp_path / "src" / "Pulumi.prod.yaml"
    source.parent.mkdir()
    source.write_text(yaml.safe_dump(doc))
    plan = run_plan("prod", bootstrap_config(source, tmp_path / "out"), ROOT)
    assert unreachable_warning(plan) is None


def test_policy_warns_as_well(tmp_path, capsys):
    from platformctl.policycheck import run_policy_check

    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    no_runner(doc["config"])
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc))
    # No chart cache here: the charts stay unexpanded (allowed; tests/ need no network).
    code = run_policy_check(
        "prod", config_file=path, fmt="json", output=tmp_path / "report.json", project_dir=ROOT, allow_unexpanded=True
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "warning: stack prod declares " in err and "its API endpoint is private" in err
