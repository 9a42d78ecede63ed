"""Config problems: one line each, `platform:<section>.<path>: <what is wrong> (got <value>)`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_MISSING = object()
# A config error prints at most this many problem lines (one mistake repeated 20,000 times stays readable).
MAX_LINES = 50


@dataclass(frozen=True)
class Problem:
    key: str  # full config key with path, e.g. "platform:nodePools[1].minSize"
    message: str
    got: Any = _MISSING

    def line(self) -> str:
        if self.got is _MISSING:
            return f"{self.key}: {self.message}"
        return f"{self.key}: {self.message} (got {render_value(self.got)})"


def render_value(value: Any, limit: int = 80) -> str:
    """`value` as JSON for a message, at most `limit` characters: serialised piece by piece and cut off as soon
    as it is long enough, so a huge value (an expanded YAML alias, a 20,000-item list) costs no more than a small
    one."""
    out: list[str] = []
    size = 0
    for piece in _json_pieces(value, depth=0):
        out.append(piece)
        size += len(piece)
        if size > limit:
            break
    text = "".join(out)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_pieces(value: Any, depth: int) -> Iterator[str]:
    if depth > 32:
        yield "..."
    elif isinstance(value, Mapping):
        yield "{"
        keys = list(value)
        with contextlib.suppress(TypeError):
            keys = sorted(keys) if len(keys) <= 1000 else keys
        for i, key in enumerate(keys):
            yield (", " if i else "") + json.dumps(str(key)) + ": "
            yield from _json_pieces(value[key], depth + 1)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ", "
            yield from _json_pieces(item, depth + 1)
        yield "]"
    elif isinstance(value, str):
        yield json.dumps(value[:1000])
    else:
        try:
            yield json.dumps(value, default=str)
        except (TypeError, ValueError):
            yield repr(value)[:1000]


def join_path(section_key: str, loc: Sequence[str | int]) -> str:
    """`platform:nodePools` + (1, "minSize") -> `platform:nodePools[1].minSize`."""
    out = section_key
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}"
    return out


class ConfigError(Exception):
    """Raised with every problem of a stack config; callers print `lines` and exit 2."""

    exit_code = 2

    def __init__(self, problems: Iterable[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        super().__init__("\n".join(self.lines))

    @property
    def lines(self) -> list[str]:
        """One line per problem, at most MAX_LINES of them and then "... and K more problems"."""
        shown = [p.line() for p in self.problems[:MAX_LINES]]
        hidden = len(self.problems) - len(shown)
        return shown + ([f"... and {hidden} more problem{'s' if hidden > 1 else ''}"] if hidden else [])
