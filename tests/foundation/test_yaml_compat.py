"""Offline validation reads a stack file as the Pulumi CLI does (yaml.v3, YAML 1.2 core schema).

The engine side is written down from its source: the Pulumi CLI decodes the stack file with gopkg.in/yaml.v3 into
untyped values (yaml.v3 resolve.go: only true/True/TRUE and false/False/FALSE are booleans; `yes`, `on`, `y` stay
strings) and hands the program each structured value as JSON (pulumi sdk/go/common/resource/config/object.go).
ENGINE_JSON is that JSON for each spelling. The program side is the Python SDK itself: its runtime config and
`pulumi.Config.require_object`, then our own `from_pulumi_runtime`, under the engine's mocks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.config import ConfigError
from components.config.stack import from_pulumi_runtime, validate_file
from components.config.yaml_compat import load, resolve_plain

ROOT = Path(__file__).resolve().parents[2]

# `production: <spelling>` -> what yaml.v3 + Pulumi's config object put into the program's config (JSON).
ENGINE_JSON = {
    "true": "true",
    "True": "true",
    "TRUE": "true",
    "false": "false",
    "False": "false",
    "FALSE": "false",
    "yes": '"yes"',
    "Yes": '"Yes"',
    "no": '"no"',
    "on": '"on"',
    "off": '"off"',
    "y": '"y"',
    "n": '"n"',
    '"true"': '"true"',
}


def _stack_text(spelling: str) -> str:
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    return text.replace("    production: false\n", f"    production: {spelling}\n", 1)


@pytest.mark.parametrize("spelling", sorted(ENGINE_JSON))
def test_offline_reads_each_spelling_as_the_engine_does(spelling):
    offline = load(f"production: {spelling}\n")["production"]
    assert offline == json.loads(ENGINE_JSON[spelling])


def _runtime_outcome(environment_json: str, values: dict) -> tuple[str, object]:
    """Run the SDK's config path with the engine's JSON: (accepted|rejected, production or the error lines)."""
    import pulumi
    from pulumi.runtime import mocks

    from platformctl.engine import _runtime_config, run_with_mocks

    config, secret_keys = _runtime_config(values)
    config["platform:environment"] = environment_json

    def body():
        seen = pulumi.Config("platform").require_object("environment")["production"]
        try:
            cfg = from_pulumi_runtime()
        except ConfigError as exc:
            return seen, ("rejected", exc.lines)
        return seen, ("accepted", cfg.production)

    class Nothing(mocks.Mocks):
        def new_resource(self, args):
            return args.name, args.inputs

        def call(self, args):
            return {}

    return run_with_mocks(body, Nothing(), project="eks-platform", stack="dev", config=config, secret_keys=secret_keys)


@pytest.mark.parametrize("spelling", ["true", "True", "TRUE", "false", "FALSE", "yes", "on", "no", "off", "y"])
def test_offline_validation_agrees_with_the_sdk(spelling, tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(_stack_text(spelling))
    try:
        cfg, values = validate_file(path, "dev")
        offline = ("accepted", cfg.production)
    except ConfigError as exc:
        offline = ("rejected", exc.lines)
        from components.config.stack import read_stack_file

        values = read_stack_file(path)
    env_json = json.dumps({**values["platform:environment"], "production": json.loads(ENGINE_JSON[spelling])})
    seen_by_program, runtime = _runtime_outcome(env_json, values)
    assert seen_by_program == json.loads(ENGINE_JSON[spelling])  # what the SDK hands the program
    assert offline == runtime
    if spelling in ("yes", "on", "no", "off", "y"):
        assert offline[0] == "rejected"
        assert any(line.startswith("platform:environment.production:") for line in offline[1])


def test_pyyaml_would_have_disagreed():
    """Why the loader exists: YAML 1.1 (PyYAML's safe_load) reads `yes` as true, the Pulumi CLI as "yes"."""
    assert yaml.safe_load("a: yes")["a"] is True
    assert load("a: yes")["a"] == "yes"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0x1F", 31),
        ("0o17", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("012", 10),  # a leading 0 is octal for Go's ParseInt(s, 0, 64)
        ("1e3", 1000.0),  # a YAML 1.2 float (YAML 1.1 needs a dot)
        ("1.35", 1.35),
        ("1:30", "1:30"),  # no base-60 numbers in YAML 1.2
        ("10.20.0.0/16", "10.20.0.0/16"),
        ("~", None),
        ("null", None),
        ("-.inf", float("-inf")),
        ("2024-01-31", "2024-01-31"),  # yaml.v3: a timestamp; kept as written here (no config key takes a date)
    ],
)
def test_numbers_and_nulls_follow_yaml_v3(text, value):
    assert resolve_plain(text)[1] == value
    assert load(f"a: {text}")["a"] == value


def test_quoted_scalars_stay_strings():
    assert load("a: 'true'\nb: \"0x1F\"\nc: '1.35'") == {"a": "true", "b": "0x1F", "c": "1.35"}


def test_a_duplicate_key_exits_2(tmp_path):
    """The Pulumi CLI's yaml.v3 refuses a mapping key defined twice ("mapping key ... already defined"); offline
    must too, naming the line, instead of silently keeping the last value."""
    from typer.testing import CliRunner

    from platformctl.cli import app

    text = (ROOT / "Pulumi.dev.yaml").read_text()
    text = text.replace("    logRetentionDays: 7\n", "    logRetentionDays: 7\n    logRetentionDays: 14\n", 1)
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["plan", "dev", "--config-file", str(path), "-q"])
    assert result.exit_code == 2
    assert "logRetentionDays" in result.output and "Traceback" not in result.output
