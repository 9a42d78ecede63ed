"""Stack files a user (or an attacker with a pull request) controls: they cannot hang, crash or say two things.

Every way a file can be unreadable gives one line naming the key, or the file and line when there is no key.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.config import ConfigError, load_stack_config, read_stack_file, safe_yaml
from components.config.problems import MAX_LINES, Problem, render_value

ROOT = Path(__file__).resolve().parents[2]
DEV_TEXT = (ROOT / "Pulumi.dev.yaml").read_text()


def read_error(tmp_path: Path, text: str | bytes, name: str = "Pulumi.dev.yaml") -> list[str]:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    with pytest.raises(ConfigError) as info:
        load_stack_config("dev", path, project_dir=ROOT)
    return info.value.lines


def alias_bomb(levels: int = 9) -> str:
    """~1 KB of YAML that expands to 10**levels values."""
    lines = ["config:", "  aws:region: eu-west-1", '  x0: &x0 ["boom", "boom", "boom", "boom", "boom"]']
    lines[-1] = '  x0: &x0 ["boom","boom","boom","boom","boom","boom","boom","boom","boom","boom"]'
    for i in range(1, levels):
        lines.append(f"  x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 10) + "]")
    lines.append(f"  platform:tags: {{team: *x{levels - 1}}}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------- duplicate keys


def section_lines() -> dict[str, int]:
    """Line index (0-based) of each top-level config key in the dev stack file."""
    found = {}
    for i, line in enumerate(DEV_TEXT.splitlines()):
        if m := re.match(r"^  ([a-z]+:[A-Za-z]+):", line):
            found[m.group(1)] = i
    return found


SECTIONS = sorted(section_lines())


def test_every_section_of_the_shipped_file_is_covered():
    assert {"aws:region", "platform:environment", "platform:tags", "platform:network", "platform:cluster"} <= set(
        SECTIONS
    )


@pytest.mark.parametrize("section", SECTIONS)
def test_a_duplicated_section_is_rejected_naming_it(tmp_path, section):
    lines = DEV_TEXT.splitlines()
    start = section_lines()[section]
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^  \S", lines[i])), len(lines))
    duplicated = "\n".join(lines + lines[start:end]) + "\n"  # the section again at the end: "last one wins" before
    problems = read_error(tmp_path, duplicated)
    assert problems == [
        f"{section}: duplicate key (first at line {start + 1}): a key may appear once, remove one of them "
        f"[{tmp_path / 'Pulumi.dev.yaml'}:{len(lines) + 1}]"
    ]


@pytest.mark.parametrize("section", [s for s in SECTIONS if s != "aws:region"])
def test_a_duplicated_key_inside_a_section_is_rejected_naming_its_path(tmp_path, section):
    lines = DEV_TEXT.splitlines()
    start = section_lines()[section]
    # The section's first nested key line (for a list, the first key of its first item), written twice.
    i = next(i for i in range(start + 1, len(lines)) if re.match(r"^ {4}(- )?[A-Za-z-]+:", lines[i]))
    key = re.match(r"^ {4}(- )?([A-Za-z-]+):", lines[i]).group(2)
    again = ("      " if lines[i].startswith("    - ") else "    ") + lines[i].strip().removeprefix("- ")
    problems = read_error(tmp_path, "\n".join([*lines[: i + 1], again, *lines[i + 1 :]]) + "\n")
    assert len(problems) == 1
    path = f"{section}[0].{key}" if lines[i].startswith("    - ") else f"{section}.{key}"
    assert problems[0].startswith(f"{path}: duplicate key (first at line {i + 1})"), problems
    assert problems[0].endswith(f"Pulumi.dev.yaml:{i + 2}]")


def test_a_second_environment_block_cannot_turn_production_off(tmp_path):
    text = (ROOT / "Pulumi.prod.yaml").read_text() + "  platform:environment:\n    production: false\n"
    (problem,) = read_error(tmp_path, text, "Pulumi.prod.yaml")
    assert problem.startswith("platform:environment: duplicate key (first at line 4)")


def test_duplicate_keys_are_found_as_the_pulumi_cli_reads_them():
    # yaml.v3 (YAML 1.2 core schema) reads true and True alike: the second is the same key; `yes` is a string.
    with pytest.raises(safe_yaml.YamlProblem, match="duplicate key"):
        safe_yaml.load("a:\n  true: 1\n  True: 2\n", "f.yaml")
    assert safe_yaml.load("a:\n  yes: 1\n  true: 2\n", "f.yaml") == {"a": {"yes": 1, True: 2}}


def test_merge_keys_may_be_overridden():
    assert safe_yaml.load("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\n", "f.yaml")["other"] == {"x": 3, "y": 2}


# ------------------------------------------------------------------------------------------- bounded size


def test_an_alias_bomb_is_refused_naming_the_file_and_line(tmp_path):
    text = alias_bomb()
    assert len(text) < 5000
    (problem,) = read_error(tmp_path, text)
    assert problem.startswith("x4: expands to more than 100,000 values")
    assert problem.endswith(f"[{tmp_path / 'Pulumi.dev.yaml'}:7]")


def test_moderate_aliases_are_still_fine():
    doc = safe_yaml.load("a: &a [1, 2]\nb: [*a, *a]\n", "f.yaml")
    assert doc == {"a": [1, 2], "b": [[1, 2], [1, 2]]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &a [*a]\n", "a[0]: an alias refers to the value that contains it [{f}:1]"),
        ("config:\n  x: " + "[" * 500 + "]" * 500 + "\n", "{f}:2: nests deeper than 64 levels"),
        (
            "a: &a " + "[" * 40 + "]" * 40 + "\nb: &b " + "[" * 30 + "*a" + "]" * 30 + "\n",
            "b" + "[0]" * 30 + ": nests deeper than 64 levels (through aliases) [{f}:1]",  # where *a's value is
        ),
    ],
    ids=["recursive-alias", "deep-nesting", "deep-through-aliases"],
)
def test_recursion_and_depth_are_bounded(tmp_path, text, expected):
    problems = read_error(tmp_path, text)
    assert problems == [expected.format(f=tmp_path / "Pulumi.dev.yaml")]


# ------------------------------------------------------------------------------------------- every error located


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"config:\n  aws:region: eu-west-1\n  platform:tags: {team: \xff}\n", "{f}:3: is not valid UTF-8 (byte 0xff"),
        ("config:\n  a: b\x00c\n", "{f}:2: is not valid YAML: unacceptable character #x0000"),
        ("config:\n  platform:network: [unclosed\n", "{f}:3: is not valid YAML: "),
        ("config:\n\tplatform:tags: {}\n", "{f}:2: is not valid YAML: "),
        ("config: {}\n---\nconfig: {}\n", "{f}:2: is not valid YAML: "),
        ("- a\n- b\n", "{f}:1: must be a YAML mapping with a 'config:' key"),
        ("config: [a, b]\n", "{f}: config: must be a mapping of 'namespace:key' to values"),
        ("config:\n  ? [a, b]\n  : 1\n", "config: keys must be plain values [{f}:2]"),
        ("config:\n  x: !!python/object:os.system x\n", "{f}:2: is not valid YAML: "),
        (b"config: {}\n" + b"#" * (safe_yaml.MAX_BYTES + 1), "{f}: is 1,048,588 bytes; a config file is limited"),
    ],
    ids=[
        "invalid-utf8",
        "control-character",
        "syntax",
        "tab-indent",
        "two-documents",
        "not-a-mapping",
        "config-not-a-mapping",
        "complex-key",
        "python-tag",
        "too-large",
    ],
)
def test_every_read_error_names_the_file_and_line(tmp_path, content, expected):
    problems = read_error(tmp_path, content)
    assert len(problems) == 1
    assert problems[0].startswith(expected.format(f=tmp_path / "Pulumi.dev.yaml")), problems


def test_unreadable_and_missing_files_name_the_file(tmp_path):
    directory = tmp_path / "Pulumi.dev.yaml"
    directory.mkdir()
    with pytest.raises(ConfigError) as info:
        read_stack_file(directory)
    assert info.value.lines == [f"{directory}: cannot read it: Is a directory"]


# ------------------------------------------------------------------------------------------- bounded messages


def test_values_are_cut_before_they_are_serialised():
    huge: list = ["x"] * 10
    for _ in range(12):  # 10**13 strings if serialised whole
        huge = [huge] * 10
    text = render_value(huge)
    assert len(text) == 80 and text.endswith("...")
    assert render_value({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'


def test_at_most_max_lines_problems_then_a_count():
    error = ConfigError([Problem(f"platform:nodePools[{i}].name", "is required") for i in range(20_000)])
    assert len(error.lines) == MAX_LINES + 1
    assert error.lines[-1] == f"... and {20_000 - MAX_LINES} more problems"


def test_one_mistake_repeated_prints_a_bounded_number_of_lines(tmp_path):
    pools = "\n".join(f"    - {{name: p{i}, instanceTypes: [m7i.large], minSize: x}}" for i in range(2000))
    text = DEV_TEXT.split("  platform:nodePools:")[0] + "  platform:nodePools:\n" + pools + "\n"
    problems = read_error(tmp_path, text)
    assert len(problems) <= MAX_LINES + 1 and problems[-1].startswith("... and ")
