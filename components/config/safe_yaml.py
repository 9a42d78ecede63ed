"""Reading YAML that a user controls (stack files) so that it cannot hang, crash or lie.

PyYAML alone accepts a duplicated key (the last one silently wins: a second `platform:environment` block could
turn `production` off - the Pulumi CLI's yaml.v3 refuses it, "mapping key already defined"), expands aliases
without bound (a few KB can stand for billions of values, which then hang whatever walks or prints them),
recurses once per nesting level (deep nesting ends in a RecursionError) and reports some errors without a line.
`load()` composes the document with `yaml_compat.PulumiYamlLoader` (PyYAML's pure-Python safe loader resolving
scalars as the Pulumi CLI does) and checks the node graph before anything is constructed:

* every mapping key at most once (merge keys `<<` excepted: explicit keys override merged ones, as YAML says);
* nesting at most `MAX_DEPTH` levels;
* at most `MAX_VALUES` values once every alias is expanded, and no alias that contains itself;
* at most `MAX_BYTES` of text, valid UTF-8.

Every problem is a `YamlProblem` naming the file, the line and, where there is one, the key path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .yaml_compat import PulumiYamlLoader

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 100_000
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class YamlProblem(Exception):
    """One problem with a YAML file: where (line, key path) and what."""

    source: str
    line: int | None  # 1-based
    message: str
    path: str = ""  # key path from the document root, e.g. "config.platform:environment.production"

    def __post_init__(self) -> None:
        super().__init__(self.where() + ": " + self.message)

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


class _DepthLimitedLoader(PulumiYamlLoader):
    """The Pulumi CLI's reading of YAML, whose composer refuses to nest deeper than MAX_DEPTH (it recurses once
    per level)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _TooDeep(mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, max(0, position)) + 1


def decode(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is dropped), or a YamlProblem naming the line of the first bad byte."""
    if len(data) > MAX_BYTES:
        raise YamlProblem(source, None, f"is {len(data):,} bytes; a config file is limited to {MAX_BYTES:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblem(
            source, line, f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {column}): save it as UTF-8"
        ) from None


def load(text: str, source: str) -> Any:
    """Parse one YAML document with the checks above; None for an empty document."""
    loader = None
    try:
        loader = _DepthLimitedLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_graph(node, loader, source)
        return loader.construct_document(node)
    except _TooDeep as exc:
        raise YamlProblem(source, exc.line, f"nests deeper than {MAX_DEPTH} levels") from None
    except yaml.reader.ReaderError as exc:
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        what = f"character #x{code:04x}" if isinstance(code, int) else "character"
        raise YamlProblem(
            source, _line_at(text, exc.position), f"is not valid YAML: unacceptable {what} (control character)"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        raise YamlProblem(source, mark.line + 1 if mark else None, f"is not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(source, None, f"is not valid YAML: {str(exc).splitlines()[0]}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) else repr(key)


def _check_graph(root: Node, loader: PulumiYamlLoader, source: str) -> None:
    """Duplicate keys, recursive aliases, depth and expanded size, in one walk over the node graph.

    Aliases make the graph a DAG (the same node reached from several places): size and height are memoised per
    node, so the walk is linear in the text however large the expansion would be, and an alias cannot nest
    values deeper than the text shows.
    """
    memo: dict[int, tuple[int, int]] = {}  # node -> (values once expanded, levels of nesting)
    visiting: set[int] = set()

    def join(path: str, key: Any) -> str:
        return f"{path}.{_key_text(key)}" if path else _key_text(key)

    def walk(node: Node, path: str, depth: int) -> tuple[int, int]:
        ident = id(node)
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            raise YamlProblem(source, line, f"nests deeper than {MAX_DEPTH} levels (through aliases)", path)
        if ident in visiting:
            raise YamlProblem(source, line, "an alias refers to the value that contains it", path)
        if ident not in memo:
            visiting.add(ident)
            memo[ident] = _measure(node, path, depth)
            visiting.discard(ident)
        size, height = memo[ident]
        if depth + height > MAX_DEPTH:
            raise YamlProblem(source, line, f"nests deeper than {MAX_DEPTH} levels (through aliases)", path)
        if size > MAX_VALUES:
            raise YamlProblem(
                source,
                line,
                f"expands to more than {MAX_VALUES:,} values (YAML aliases `*name` repeat their anchor's value); "
                "write the values out instead",
                path,
            )
        return size, height

    def _measure(node: Node, path: str, depth: int) -> tuple[int, int]:
        children: list[tuple[Node, str]] = []
        if isinstance(node, MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG:
                    children.append((value_node, path))
                    continue
                if not isinstance(key_node, ScalarNode):
                    raise YamlProblem(source, key_node.start_mark.line + 1, "keys must be plain values", path)
                key = loader.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise YamlProblem(
                        source,
                        line,
                        f"duplicate key (first at line {seen[key]}): a key may appear once, remove one of them",
                        join(path, key),
                    )
                seen[key] = line
                children.append((value_node, join(path, key)))
        elif isinstance(node, SequenceNode):
            children = [(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        size, height = 1, 0
        for child, child_path in children:
            child_size, child_height = walk(child, child_path, depth + 1)
            size += child_size
            height = max(height, child_height + 1)
            if size > MAX_VALUES:
                break  # reported by the caller, at this node
        return size, height

    walk(root, "", 0)
