"""Acceptance 5: every platformctl command, given bad input, exits 2 (usage) with a clear line and no traceback,
before it needs the pulumi CLI (none is on PATH here) or changes anything."""

from __future__ import annotations

import pytest
from typer.main import get_command

from platformctl.cli import app

# A file cannot be a directory: writing below it fails even as root.
UNWRITABLE = "/etc/hostname/report"

BAD_INPUTS: dict[str, list[list[str]]] = {
    "": [["no-such-command"], ["--no-such-option"]],
    "plan": [
        ["plan"],
        ["plan", "dev", "--no-such-option"],
        ["plan", "no-such-stack"],
        ["plan", "dev", "--graph-depth", "0"],
        ["plan", "dev", "--config-file", "/no/such/file.yaml"],
        ["plan", "dev", "--json", "-", "--graph", "-"],
        ["plan", "dev", "--json", f"{UNWRITABLE}.json"],
    ],
    "policy": [
        ["policy"],
        ["policy", "dev", "--format", "pdf"],
        ["policy", "dev", "-o", "report.pdf"],
        ["policy", "no-such-stack"],
        ["policy", "dev", "-o", f"{UNWRITABLE}.sarif"],
    ],
    "diff-envs": [["diff-envs", "dev"], ["diff-envs", "no-such-stack", "dev"]],
    "env": [["env", "no-such-subcommand"]],
    "env new": [
        ["env", "new", "staging"],
        ["env", "new", "Bad_Name", "--from", "dev"],
        ["env", "new", "staging", "--from", "no-such-stack"],
        ["env", "new", "dev", "--from", "prod"],
        ["env", "new", "staging", "--from", "dev", "--azs", "9"],
        ["env", "new", "staging", "--from", "dev", "--azs", "four"],
        ["env", "new", "staging", "--from", "dev", "--account", "12"],
        ["env", "new", "staging", "--from", "dev", "--region", "mars"],
        ["env", "new", "staging", "--from", "dev", "--region", "eu-west-1", "--azs", "4"],
    ],
    "env list": [["env", "list", "extra"], ["env", "list", "--no-such-option"]],
    "preview": [
        ["preview"],
        ["preview", "a/b/c/d"],
        ["preview", "dev", "--parallel", "0"],
        ["preview", "dev", "-o", "preview.txt"],
        ["preview", "dev", "--format", "markdown", "--json"],
    ],
    "up": [["up"], ["up", "a/b/c/d"], ["up", "dev", "--retry", "-1"], ["up", "dev", "dev", "--yes"]],
    "refresh": [["refresh"], ["refresh", "other/project/dev"]],
    "drift": [["drift"], ["drift", "dev", "--parallel", "x"]],
    "destroy": [["destroy"], ["destroy", "dev", "prod"], ["destroy", "a/b/c/d"], ["destroy", "prod"]],
    "outputs": [["outputs"], ["outputs", "a/b/c/d"]],
    "kubeconfig": [["kubeconfig"], ["kubeconfig", "a/b/c/d"]],
    "stacks": [["stacks", "extra"]],
    "addons": [["addons", "no-such-subcommand"]],
    "addons check": [
        ["addons", "check"],
        ["addons", "check", "no-such-stack"],
        ["addons", "check", "dev", "--write-config", "/tmp/x.yaml"],
        ["addons", "check", "dev", "--all-addons", "--config-file", "/no/such/file.yaml"],
    ],
    "charts": [["charts", "no-such-subcommand"]],
    "charts pull": [["charts", "pull", "--no-such-option"], ["charts", "pull", "no-such-chart"]],
    "charts lock": [["charts", "lock", "--no-such-option"], ["charts", "lock", "no-such-chart"]],
    "charts list": [["charts", "list", "extra"]],
    "cost": [
        ["cost"],
        ["cost", "no-such-stack"],
        ["cost", "dev", "--format", "pdf"],
        ["cost", "dev", "--plan", "/no/such/plan.json"],
        ["cost", "dev", "-o", f"{UNWRITABLE}.md"],
    ],
    "prices": [["prices", "no-such-subcommand"]],
    "prices show": [["prices", "show", "--prices", "/no/such/prices.json"]],
    "prices refresh": [["prices", "refresh", "--pricing-region", "mars"]],
    "upgrade": [
        ["upgrade"],
        ["upgrade", "a/b/c/d", "--to", "1.36"],
        ["upgrade", "no-such-stack", "--to", "1.36"],
        ["upgrade", "prod", "--to", "1.37", "--dry-run"],
        ["upgrade", "prod", "--to", "banana", "--dry-run"],
        ["upgrade", "prod", "--resume"],
        ["upgrade", "prod", "--to", "1.36"],
    ],
    "versions": [["versions", "no-such-subcommand"]],
    "versions check": [["versions", "check", "--no-such-option"], ["versions", "check", "no-such-stack"]],
}


def _commands() -> set[str]:
    out = set()
    for name, command in get_command(app).commands.items():
        out.add(name)
        out.update(f"{name} {sub}" for sub in getattr(command, "commands", {}))
    return out


def test_every_command_has_bad_inputs():
    assert _commands() <= set(BAD_INPUTS), sorted(_commands() - set(BAD_INPUTS))


@pytest.mark.parametrize(
    "args", [args for cases in BAD_INPUTS.values() for args in cases], ids=lambda a: " ".join(a) or "-"
)
def test_bad_input_exits_2_without_a_traceback(args, no_pulumi):
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, args)  # exceptions are caught: a crash would be exit 1 with one
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert result.exit_code == 2, output
    assert output.strip(), "a usage error says what is wrong"
