"""CLI argument handling, refusals and exit codes that need no pulumi at all (or must not call it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from platformctl import errors

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    "plan",
    "policy",
    "diff-envs",
    "preview",
    "up",
    "refresh",
    "drift",
    "destroy",
    "outputs",
    "kubeconfig",
    "stacks",
]


def test_help_lists_every_command(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert f"  {command} " in result.stdout, command
    assert "Exit codes" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout, command


def test_help_does_not_import_pulumi_or_rich():
    code = (
        "import sys, platformctl.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'rich', 'pulumi_aws', 'grpc')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------------------------- destroy safety


def test_destroy_prod_without_confirm_refuses_without_invoking_pulumi(fake_pulumi, cli):
    result = cli("destroy", "prod")
    assert result.exit_code == errors.EXIT_USAGE
    assert result.stderr.strip().splitlines() == [
        "error: prod is a production stack: destroying it needs --confirm prod, the stack name typed exactly"
    ]
    assert fake_pulumi.calls() == []


@pytest.mark.parametrize("typed", ["Prod", "production", "prod ", "dev"])
def test_destroy_prod_confirm_must_be_typed_exactly(fake_pulumi, cli, typed):
    result = cli("destroy", "prod", "--confirm", typed)
    assert result.exit_code == errors.EXIT_USAGE
    assert f"(got {typed!r})" in result.stderr
    assert fake_pulumi.calls() == []


def test_destroy_prod_yes_is_not_a_confirmation(fake_pulumi, cli):
    result = cli("destroy", "prod", "--yes")
    assert result.exit_code == errors.EXIT_USAGE
    assert fake_pulumi.calls() == []


def test_destroy_non_production_needs_yes_without_a_terminal(fake_pulumi, cli):
    result = cli("destroy", "dev")
    assert result.exit_code == errors.EXIT_USAGE
    assert "pass --yes" in result.stderr
    assert fake_pulumi.calls() == []


def test_destroy_non_production_asks_on_a_terminal(fake_pulumi, cli, monkeypatch):
    import platformctl.cli as cli_module

    monkeypatch.setattr(cli_module, "_interactive", lambda: True)
    result = cli("destroy", "dev", input="n\n")
    assert result.exit_code == errors.EXIT_FAIL
    assert "aborted: nothing was changed" in result.stderr
    # It read the state to list what it would delete, then asked; nothing was destroyed.
    assert "Resources dev would delete (1):" in result.stderr
    assert "    dev-database-key (aws:kms/key:Key)" in result.stderr
    assert result.stderr.index("would delete") < result.stderr.index("Delete every resource of stack dev?")
    assert not [c for c in fake_pulumi.commands() if c.startswith("destroy")]


def test_destroy_takes_one_stack(cli):
    result = cli("destroy", "dev", "prod", "--yes")
    assert result.exit_code == errors.EXIT_USAGE


# ------------------------------------------------------------------------------------------- no pulumi


@pytest.mark.parametrize(
    "args",
    [
        ["preview", "dev"],
        ["up", "dev", "--yes"],
        ["refresh", "dev"],
        ["drift", "dev"],
        ["outputs", "dev"],
        ["kubeconfig", "dev"],
        ["stacks"],
        ["destroy", "dev", "--yes"],
        ["destroy", "prod", "--confirm", "prod"],
    ],
)
def test_no_pulumi_on_path_is_one_line_with_install_hint(no_pulumi, cli, args):
    result = cli(*args)
    assert result.exit_code == errors.EXIT_NO_PULUMI
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "`pulumi` CLI is not on PATH" in lines[0]
    assert "https://get.pulumi.com" in lines[0]


def test_no_pulumi_real_process_prints_one_line_and_no_traceback(tmp_path):
    """Acceptance: the installed entry point, PATH without pulumi."""
    env = {**os.environ, "PATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "platformctl.cli", "preview", "dev"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert proc.returncode == errors.EXIT_NO_PULUMI
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "pulumi" in proc.stderr and "install" in proc.stderr


# ------------------------------------------------------------------------------------------- stack names


@pytest.mark.parametrize("name", ["de v", "a/b/c/d", "dev/", "../dev"])
def test_bad_stack_names_are_usage_errors(fake_pulumi, cli, name):
    result = cli("preview", name)
    assert result.exit_code == errors.EXIT_USAGE
    assert "is not a stack name" in result.stderr
    assert fake_pulumi.calls() == []


def test_fully_qualified_name_of_another_project_is_refused(fake_pulumi, cli):
    result = cli("preview", "acme/other-project/dev")
    assert result.exit_code == errors.EXIT_USAGE
    assert "belongs to project 'other-project', not 'eks-platform'" in result.stderr


def test_unknown_stack_lists_the_existing_ones(fake_pulumi, cli):
    from components.config.repository import stack_names

    result = cli("preview", "nosuchstack")
    assert result.exit_code == errors.EXIT_STACK_NOT_FOUND
    existing = ", ".join(stack_names(ROOT))
    assert result.stderr.strip() == f"error: stack 'nosuchstack' not found; existing stacks: {existing}"
    assert fake_pulumi.calls() == []


def test_a_stack_given_twice_is_a_usage_error(fake_pulumi, cli):
    result = cli("preview", "dev", "acme/eks-platform/dev")
    assert result.exit_code == errors.EXIT_USAGE
    assert "given more than once" in result.stderr


# ------------------------------------------------------------------------------------------- config errors


@pytest.fixture
def broken_project(tmp_path, monkeypatch):
    """A copy of the project's settings with a `bad` stack whose config is invalid."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", project)
    shutil.copytree(ROOT / "policies" / "config", project / "policies" / "config")
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    text = text.replace("azCount: 2", "azCount: 9").replace("natGateways: single", "natGateways: sometimes")
    (project / "Pulumi.bad.yaml").write_text(text)
    monkeypatch.setenv("PLATFORMCTL_PROJECT_DIR", str(project))
    return project


@pytest.mark.parametrize("command", [["preview"], ["up", "--yes"], ["refresh"], ["drift"]])
def test_config_errors_exit_2_with_the_same_lines_as_plan(fake_pulumi, broken_project, cli, command):
    plan = cli("plan", "bad")
    assert plan.exit_code == errors.EXIT_USAGE
    expected = plan.stderr.strip().splitlines()
    assert any("platform:network.azCount" in line for line in expected)
    assert any("platform:network.natGateways" in line for line in expected)
    result = cli(command[0], "bad", *command[1:])
    assert result.exit_code == errors.EXIT_USAGE
    assert result.stderr.strip().splitlines() == expected
    assert fake_pulumi.calls() == []


def test_invalid_policy_config_is_refused_before_pulumi_runs(fake_pulumi, broken_project, cli):
    shutil.copy(ROOT / "Pulumi.dev.yaml", broken_project / "Pulumi.dev.yaml")
    (broken_project / "policies" / "aws").mkdir(parents=True)
    (broken_project / "policies" / "aws" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (broken_project / "policies" / "config" / "dev.json").write_text('{"required-tags": {"enforcementLevel": "loud"}}')
    result = cli("preview", "dev", "--policy")
    assert result.exit_code == errors.EXIT_USAGE
    assert "required-tags" in result.stderr
    assert fake_pulumi.calls() == []


# ------------------------------------------------------------------------------------------- up on production


def test_up_prod_without_yes_and_without_a_terminal_refuses(fake_pulumi, cli):
    result = cli("up", "prod")
    assert result.exit_code == errors.EXIT_USAGE
    assert "need --yes when not run interactively" in result.stderr
    assert not any(c.startswith(("up:", "preview:")) for c in fake_pulumi.commands())


def test_json_mode_never_prompts(fake_pulumi, cli, monkeypatch):
    import platformctl.cli as cli_module

    monkeypatch.setattr(cli_module, "_interactive", lambda: True)
    result = cli("up", "prod", "--json")
    assert result.exit_code == errors.EXIT_USAGE


# ------------------------------------------------------------------------------------------- diff-envs


def test_diff_envs_dev_prod(cli, plans, monkeypatch):
    """Acceptance: NAT gateways, node pools, endpoint access, replicas, protection."""
    import platformctl.engine

    # The session's offline plans (the same run_plan); saves planning both stacks again.
    monkeypatch.setattr(platformctl.engine, "run_plan", lambda stack, *a, **k: plans[stack])
    result = cli("diff-envs", "dev", "prod")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("# Environments `dev` vs `prod`")
    assert "| NAT gateways | 1 (single) | 3 (perAz) |" in out
    pools = out.split("## Node pools", 1)[1].split("\n## ", 1)[0]
    assert "compute" in pools and "| — |" in pools  # prod has a compute pool, dev has none
    assert "| API endpoint access | private + public from 203.0.113.0/24 | private only |" in out
    assert "replicas" in out
    assert "## Protection" in out and "protected resources (protect)" in out
    assert "| cluster deletion protection | no | yes |" in out


def test_diff_envs_config_error_exits_2(broken_project, cli):
    result = cli("diff-envs", "dev", "bad")
    assert result.exit_code == errors.EXIT_USAGE


def test_json_and_markdown_cannot_share_stdout(fake_pulumi, cli):
    result = cli("preview", "dev", "--json", "--format", "markdown")
    assert result.exit_code == errors.EXIT_USAGE
    assert "add --output FILE" in result.stderr
    assert fake_pulumi.calls() == []
