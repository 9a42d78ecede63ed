"""What platformctl writes where: --version, `--json -` (the document on stdout and nothing else), the format
from an --output suffix, tables at any width."""

from __future__ import annotations

import json
import re

import pytest
from rich.console import Console

from platformctl.tables import print_rows


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert re.fullmatch(r"platformctl \d+\.\d+\.\d+\n", result.stdout)


def test_json_dash_writes_the_plan_to_stdout_and_nothing_else(cli, plans, monkeypatch):
    import platformctl.engine

    monkeypatch.setattr(platformctl.engine, "run_plan", lambda stack, *a, **k: plans[stack])
    result = cli("plan", "dev", "--json", "-")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)  # stdout is exactly the JSON document
    assert doc["stack"] == "dev"
    assert "resources in" in result.stderr  # the summary went to stderr
    assert not (__import__("pathlib").Path.cwd() / "-").exists()


def test_preview_infers_markdown_from_the_output_suffix(fake_pulumi, cli, tmp_path):
    out = tmp_path / "preview.md"
    result = cli("preview", "dev", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_text().startswith("# ")


@pytest.mark.parametrize("width", [40, 80, 160])
def test_tables_never_cut_a_name(width):
    name = "prod-addons-amazon-cloudwatch-observability-logs"
    console = Console(width=width, record=True, force_terminal=False)
    rows = [(name, "aws:cloudwatch/logGroup:LogGroup", "3")]
    print_rows(console, "Resources", ("resource", "type", "count"), rows)
    text = console.export_text()
    assert name in text and "aws:cloudwatch/logGroup:LogGroup" in text
    assert "…" not in text
