"""Under `pulumi up` the program itself validates the config and stops with a clean RunError."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pulumi
import pytest

from components.config import read_stack_file
from platformctl.engine import run_with_mocks

ROOT = Path(__file__).resolve().parents[2]


def run_program_with(values: dict) -> None:
    class NoCloud(pulumi.runtime.Mocks):
        def new_resource(self, args):
            raise AssertionError(f"nothing may be declared with a bad config (got {args.typ})")

        def call(self, args):
            return {}

    run_with_mocks(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        NoCloud(),
        project="eks-platform",
        stack="dev",
        config={k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()},
    )


def test_bad_config_raises_run_error_with_one_line_per_problem():
    values = read_stack_file(ROOT / "Pulumi.dev.yaml")
    values["platform:network"] = {**values["platform:network"], "vpcCidrr": "10.0.0.0/16"}
    values["platform:nodePools"] = [{**values["platform:nodePools"][0], "minSize": 3}]
    with pytest.raises(pulumi.RunError) as info:
        run_program_with(values)
    lines = str(info.value).splitlines()
    assert lines[0] == "invalid stack config:"
    assert "platform:network.vpcCidrr: unknown key; did you mean 'vpcCidr'? (got \"10.0.0.0/16\")" in lines
    assert "platform:nodePools[0].minSize: must be <= maxSize (2) (got 3)" in lines
