"""The documentation site: its generated configuration reference is what the models say, and it builds strictly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from platformctl import config_reference

ROOT = Path(__file__).resolve().parents[2]


def test_the_configuration_reference_is_generated_from_the_models():
    committed = (ROOT / config_reference.PAGE).read_text()
    assert committed == config_reference.render(ROOT), "stale docs/reference/configuration.md: run `make docs`"


def test_every_config_key_has_a_description():
    from components.config.stack import SECTIONS

    for section, (tp, _) in SECTIONS.items():
        model = config_reference._section_model(tp)
        if model is None:
            continue
        for row in config_reference.rows(model):
            described = row["description"] or row["type"] in ("object", "list of object")
            assert described, f"platform:{section}.{row['key']}: add a comment"


def test_a_changed_description_makes_the_reference_stale(monkeypatch):
    from components.config.cluster import ClusterConfig

    comments = dict(config_reference.field_comments(ClusterConfig))
    comments["version"] = "a new description nobody regenerated"
    real = config_reference.field_comments
    monkeypatch.setattr(config_reference, "field_comments", lambda cls: comments if cls is ClusterConfig else real(cls))
    assert config_reference.render(ROOT) != (ROOT / config_reference.PAGE).read_text()


def test_the_site_builds_strictly(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    mkdocs = Path(sys.executable).with_name("mkdocs")
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr[-3000:]
