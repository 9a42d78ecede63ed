"""Config problems: one line each, `platform:<section>.<path>: <what is wrong> (got <value>)`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_MISSING = object()


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
    if isinstance(value, str):
        text = json.dumps(value)
    else:
        try:
            text = json.dumps(value, sort_keys=True, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        return [p.line() for p in self.problems]
