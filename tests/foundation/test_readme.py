"""README.md is a quickstart and the docs stay true: the two commands first, the diagram from the plan, every
config key, command and exit code documented in docs/."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel, RootModel

from components.config.stack import RUN_FLAGS, SECRET_KEYS, SECTIONS
from platformctl import config_reference
from platformctl.docs import DIAGRAM_FILES, current_block, diagram_block

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
# The hand-written pages: the generated configuration reference would document every key whatever the guide says.
GUIDE_PAGES = sorted(p for p in DOCS.rglob("*.md") if p != ROOT / config_reference.PAGE)
GUIDE = "\n".join(p.read_text() for p in GUIDE_PAGES)
PLATFORMCTL_PAGE = (DOCS / "platformctl.md").read_text()


def test_the_two_commands_come_first():
    first_code = README.split("```")[1]
    assert "make plan" in first_code and "make test" in first_code
    headings = re.findall(r"^## (.+)$", README, flags=re.M)
    assert headings[0] == "The two commands"


def test_the_readme_is_a_quickstart():
    lines = README.count("\n")
    assert lines < 200, f"README.md has {lines} lines: move the detail into docs/"


def test_every_relative_link_in_the_readme_exists():
    links = re.findall(r"\]\(([^)\s]+)\)", README)
    relative = [link for link in links if not re.match(r"[a-z][a-z0-9+.-]*:", link) and not link.startswith("#")]
    assert relative, "README.md links into docs/"
    missing = [link for link in relative if not (ROOT / link.split("#", 1)[0]).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"


def test_architecture_diagram_is_current(prod_plan):
    for name in DIAGRAM_FILES:
        text = (ROOT / name).read_text()
        assert current_block(text) == diagram_block(prod_plan), f"stale diagram in {name}: run `make diagram`"


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
    assert GUIDE_PAGES and ROOT / config_reference.PAGE not in GUIDE_PAGES
    # A key counts as documented in backticks or as a key of a YAML example.
    documented = set(re.findall(r"`([^`\s]+)`", GUIDE)) | set(re.findall(r"^\s*(?:- )?(\w+):", GUIDE, re.M))
    # Keys are matched as words of what is documented, or whole (a key such as `nvidia.com/gpu` has dots itself).
    words = {w for d in documented for w in re.split(r"[.:\[\]/ =]+", d)} | documented
    missing = {}
    for section, (tp, _) in SECTIONS.items():
        assert f"platform:{section}" in GUIDE, section
        keys = _keys(tp) - words
        if keys:
            missing[section] = sorted(keys)
    for key in [*SECRET_KEYS, *RUN_FLAGS]:
        assert f"platform:{key}" in GUIDE
    assert not missing, f"config keys missing from the docs (docs/*.md, the reference aside): {missing}"


def test_every_command_is_documented():
    from typer.main import get_command

    from platformctl.cli import app

    for name in get_command(app).commands:
        assert f"platformctl {name}" in PLATFORMCTL_PAGE, f"docs/platformctl.md: {name}"


def test_the_exit_code_table_is_the_one_platformctl_uses():
    from platformctl.exitcodes import markdown_table

    assert markdown_table() in PLATFORMCTL_PAGE, "docs/platformctl.md: the exit-code table"
