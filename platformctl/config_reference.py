"""The configuration reference, generated from the config models (components/config/), so it cannot drift.

Per `platform:` section: every key (dotted path; `[]` for list items), its type, default, allowed values and
constraints, its description — the comment written above (or beside) the field in its model — and, where dev and
prod set it differently, both values. `make docs` writes docs/reference/configuration.md; a test fails when the
committed page differs from what the models and the two stack files say.
"""

from __future__ import annotations

import ast
import enum
import inspect
import json
import sys
import textwrap
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, RootModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

PAGE = Path("docs") / "reference" / "configuration.md"
COMPARED_STACKS = ("dev", "prod")


@cache
def field_comments(cls: type) -> dict[str, str]:
    """Field name -> the comment above it (consecutive `#` lines) and beside it, from the model's source."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    tree = ast.parse(source)
    out: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for node in body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        above = []
        i = node.lineno - 2
        while i >= 0 and lines[i].strip().startswith("#"):
            above.insert(0, lines[i].strip().lstrip("#").strip())
            i -= 1
        beside = ""
        last = lines[(node.end_lineno or node.lineno) - 1]
        if "  # " in last:
            beside = last.split("  # ", 1)[1].strip()
            if beside.startswith(("type:", "noqa", "fmt:")):  # tool directives, not descriptions
                beside = ""
        text = " ".join(part for part in [*above, beside] if part)
        if text:
            out[node.target.id] = text
    return out


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """(the type under Annotated/Optional, the Annotated metadata)."""
    metadata: list[Any] = []
    for _ in range(8):
        if typing.get_origin(tp) is typing.Annotated:
            metadata += list(tp.__metadata__)
            tp = tp.__origin__
            continue
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        break
    return tp, metadata


def _type_text(tp: Any) -> str:
    tp, _ = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in typing.get_args(tp))
    if origin in (list, tuple):
        args = typing.get_args(tp)
        return f"list of {_type_text(args[0])}" if args else "list"
    if origin is dict:
        args = typing.get_args(tp)
        return f"map of {_type_text(args[1])}" if len(args) == 2 else "map"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_text(a) for a in typing.get_args(tp) if a is not type(None))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "object"
    names = {str: "string", int: "integer", bool: "boolean", float: "number"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _constraints(field: FieldInfo, metadata: list[Any]) -> str:
    out = []
    for item in [*field.metadata, *metadata]:
        for attr, text in (("ge", ">= {}"), ("gt", "> {}"), ("le", "<= {}"), ("lt", "< {}")):
            value = getattr(item, attr, None)
            if value is not None:
                out.append(text.format(value))
        for attr, text in (("min_length", "at least {} long"), ("max_length", "at most {} long")):
            value = getattr(item, attr, None)
            if value is not None:
                out.append(text.format(value))
        pattern = getattr(item, "pattern", None)
        if pattern:
            out.append(f"matches `{pattern}`")
        if isinstance(item, FieldInfo):
            out.append(_constraints(item, []))
    return ", ".join(o for o in out if o)


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        try:
            value = field.default_factory()  # type: ignore[call-arg]
        except TypeError:
            return ""
    if isinstance(value, BaseModel):
        return ""
    if isinstance(value, enum.Enum):
        value = value.value
    try:
        return f"`{json.dumps(value, default=str)}`"
    except (TypeError, ValueError):
        return f"`{value}`"


def _model_of(tp: Any) -> type | None:
    tp, _ = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        args = typing.get_args(tp)
        return _model_of(args[0]) if args else None
    if isinstance(tp, type) and issubclass(tp, BaseModel) and not issubclass(tp, RootModel):
        return tp
    return None


def _is_list(tp: Any) -> bool:
    tp, _ = _unwrap(tp)
    return typing.get_origin(tp) in (list, tuple)


def rows(model: type, prefix: str = "") -> list[dict[str, str]]:
    """One row per key of `model` (and of the models nested in it)."""
    out = []
    comments: dict[str, str] = {}
    for base in reversed(model.__mro__):  # a subclass's comment wins over its base's
        if isinstance(base, type) and issubclass(base, BaseModel):
            comments.update(field_comments(base))
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}{key}"
        _, metadata = _unwrap(field.annotation)
        out.append(
            {
                "key": path,
                "type": _type_text(field.annotation),
                "default": _default(field),
                "constraints": _constraints(field, metadata),
                "description": (field.description or comments.get(name, "")).replace("|", "\\|"),
            }
        )
        nested = _model_of(field.annotation)
        if nested is not None:
            out += rows(nested, f"{path}[]." if _is_list(field.annotation) else f"{path}.")
    return out


def _lookup(values: Any, path: str) -> Any:
    """The value at a dotted key path of a stack file's section (`[]` paths: the list of every item's value)."""
    parts = path.split(".")
    current: list[Any] = [values]
    for part in parts:
        many = part.endswith("[]")
        part = part.removesuffix("[]")
        nxt: list[Any] = []
        for value in current:
            if part == "" and many and isinstance(value, list):  # a section that is a list: `[].key`
                nxt.extend(value)
            elif isinstance(value, dict) and part in value:
                item = value[part]
                if many and isinstance(item, list):
                    nxt.extend(item)
                else:
                    nxt.append(item)
        if not nxt:
            return None
        current = nxt
    return current if len(current) > 1 or "[]" in path else current[0]


def _stack_values(project: Path) -> dict[str, dict[str, Any]]:
    import yaml

    out = {}
    for stack in COMPARED_STACKS:
        path = project / f"Pulumi.{stack}.yaml"
        if path.is_file():
            out[stack] = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    return out


def _section_model(tp: Any) -> type | None:
    model = _model_of(tp)
    if model is not None:
        return model
    if isinstance(tp, type) and issubclass(tp, RootModel):
        return _model_of(tp.model_fields["root"].annotation)
    return None


def render(project: Path) -> str:
    from components.config.stack import RUN_FLAGS, SECRET_KEYS, SECTIONS

    stacks = _stack_values(project)
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `make docs` (platformctl/config_reference.py) from the config models in components/config/ "
        "and Pulumi.dev.yaml / Pulumi.prod.yaml: do not edit by hand. -->",
        "",
        "Everything a stack needs is in `Pulumi.<stack>.yaml`: `aws:region` (required) and the `platform:` sections "
        'below, validated before anything is declared (unknown keys are errors with a "did you mean"; types are '
        'strict: quote `"1.35"`). Descriptions are the comments on each field in `components/config/`. '
        f"The last column shows {' and '.join(COMPARED_STACKS)} where they differ.",
        "",
    ]
    for section, (tp, required) in SECTIONS.items():
        key = f"platform:{section}"
        model = _section_model(tp)
        owner = model if model is not None else tp
        doc = inspect.cleandoc(owner.__dict__.get("__doc__") or "") if isinstance(owner, type) else ""
        lines += [f"## `{key}`" + (" (required)" if required else ""), ""]
        if doc and not doc.startswith(("Usage docs:", "A base class")):
            lines += [doc.splitlines()[0], ""]
        if model is None:
            lines += [f"Type: {_type_text(tp)}.", ""]
            continue
        list_section = _is_list(tp) or (isinstance(tp, type) and issubclass(tp, RootModel))
        table = rows(model, "[]." if list_section else "")
        lines += [
            "| key | type | default | constraints | description | " + " / ".join(COMPARED_STACKS) + " |",
            "|---|---|---|---|---|---|",
        ]
        for row in table:
            shown = [stacks.get(s, {}).get(key) for s in COMPARED_STACKS]
            values = [_lookup(v, row["key"]) if v is not None else None for v in shown]
            # Objects are compared key by key in their own rows.
            differs = row["type"] != "object" and len({json.dumps(v, sort_keys=True, default=str) for v in values}) > 1
            compared = " / ".join(f"`{json.dumps(v, default=str)}`" for v in values) if differs else ""
            lines.append(
                f"| `{row['key']}` | {row['type']} | {row['default']} | {row['constraints']} | "
                f"{row['description']} | {compared} |"
            )
        lines.append("")
    lines += ["## Secrets", "", "Set with `pulumi config set --secret platform:<key> <value>`; never plain values.", ""]
    lines += [f"- `platform:{k}`: {v}" for k, v in SECRET_KEYS.items()]
    lines += ["", "## Run flags", "", "Set by `platformctl` for one run, never written in a stack file.", ""]
    lines += [f"- `platform:{k}`: {v}" for k, v in RUN_FLAGS.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    from components.paths import project_root

    project = project_root()
    target = project / PAGE
    text = render(project)
    if "--check" in argv:
        current = target.read_text() if target.is_file() else ""
        if current != text:
            print(f"{target}: stale; run `make docs`", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
