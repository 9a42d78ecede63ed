"""README.md stays true: the two commands first, the diagram from the plan, every config key and command."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel, RootModel

from components.config.stack import RUN_FLAGS, SECRET_KEYS, SECTIONS
from platformctl.docs import current_block, diagram_block

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_the_two_commands_come_first():
    first_code = README.split("```")[1]
    assert "make plan" in first_code and "make test" in first_code
    headings = re.findall(r"^## (.+)$", README, flags=re.M)
    assert headings[0] == "The two commands"


def test_architecture_diagram_is_current(prod_plan):
    assert current_block(README) == diagram_block(prod_plan), "stale diagram: run `make diagram`"


def _keys(tp: typing.Any) -> set[str]:
    for _ in range(5):
        if hasattr(tp, "__metadata__"):
            tp = tp.__origin__
            continue
        args = [a for a in getattr(tp, "__args__", ()) if a is not type(None)]
        if typing.get_origin(tp) in (list, typing.Union, getattr(__import__("types"), "UnionType", None)) and args:
            tp = args[0]
            continue
        break
    out: set[str] = set()
    if isinstance(tp, type) and issubclass(tp, BaseModel) and not issubclass(tp, RootModel):
        for name, field in tp.model_fields.items():
            out.add(field.alias or name)
            out |= _keys(field.annotation)
    return out


def test_every_config_key_is_documented():
    # A key counts as documented in backticks or as a key of a YAML example.
    documented = set(re.findall(r"`([^`\s]+)`", README)) | set(re.findall(r"^\s*(?:- )?(\w+):", README, re.M))
    # Keys are matched as words of what is documented, or whole (a key such as `nvidia.com/gpu` has dots itself).
    words = {w for d in documented for w in re.split(r"[.:\[\]/ =]+", d)} | documented
    missing = {}
    for section, (tp, _) in SECTIONS.items():
        assert f"platform:{section}" in README, section
        keys = _keys(tp) - words
        if keys:
            missing[section] = sorted(keys)
    for key in [*SECRET_KEYS, *RUN_FLAGS]:
        assert f"platform:{key}" in README
    assert not missing, f"config keys missing from README.md: {missing}"


def test_every_command_is_documented():
    from typer.main import get_command

    from platformctl.cli import app

    for name in get_command(app).commands:
        assert f"platformctl {name}" in README, name


def test_the_exit_code_table_is_the_one_platformctl_uses():
    from platformctl.exitcodes import markdown_table

    assert markdown_table() in README
