"""Read a stack file's YAML the way the Pulumi CLI does, so offline validation sees the values `pulumi up` sees.

The Pulumi CLI reads `Pulumi.<stack>.yaml` with Go's gopkg.in/yaml.v3 into untyped values
(sdk/go/common/workspace/loaders.go `LoadProjectStackBytes` -> sdk/go/common/encoding/marshal.go, yaml.v3
`Unmarshal` into `any`), then stores each `namespace:key` value: scalars as text, objects as JSON
(sdk/go/common/resource/config/object.go `unmarshalObject` / `MarshalString`). The program receives that JSON.

yaml.v3 resolves plain scalars by YAML 1.2's core schema (yaml.v3 resolve.go), not YAML 1.1 as PyYAML's
`safe_load` does. The difference that matters: only `true`/`True`/`TRUE` and `false`/`False`/`FALSE` are
booleans; `yes`, `no`, `on`, `off`, `y`, `n` stay strings (yaml.v3 turns them into bools only when decoding into
a typed Go bool, which Pulumi never does for config). So `production: yes` reaches the program as the string
"yes" and is rejected there; with PyYAML it would silently be `True` offline. Numbers follow Go's rules too:
`0x1F`, `0o17`, `0b101` and `1_000` are integers, `1e3` is a float, `1:30` is a string.

One deliberate approximation: yaml.v3 decodes an unquoted `2024-01-31` into a timestamp that Pulumi then
stores as Go's time text ("2024-01-31 00:00:00 +0000 UTC"); here it stays the text as written. No config key
takes a date.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

BOOL_TRUE = ("true", "True", "TRUE")
BOOL_FALSE = ("false", "False", "FALSE")
NULLS = ("", "~", "null", "Null", "NULL")
_SPECIAL_FLOATS = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
# yaml.v3's yamlStyleFloat.
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
# Go's strconv.ParseFloat for a value starting with '.': a decimal float.
_DOT_FLOAT = re.compile(r"^\.[0-9]+([eE][-+]?[0-9]+)?$")
_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?.*)?$")

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"


def go_int(text: str) -> int | None:
    """Go's strconv.ParseInt(s, 0, 64) after yaml.v3 removed underscores: 0x, 0o, 0b prefixes, a leading 0 is
    octal, an optional sign. None when it is not an integer."""
    plain = text.replace("_", "")
    sign, digits = (-1, plain[1:]) if plain[:1] == "-" else (1, plain[1:] if plain[:1] == "+" else plain)
    if not digits:
        return None
    for prefix, base in (("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)):
        if digits.startswith(prefix):
            try:
                return sign * int(digits[2:], base)
            except ValueError:
                return None
    try:
        if len(digits) > 1 and digits[0] == "0":
            return sign * int(digits[1:], 8)
        return sign * int(digits, 10) if digits.isdigit() else None
    except ValueError:
        return None


def resolve_plain(text: str) -> tuple[str, Any]:
    """(tag, value) of a plain (unquoted) scalar, by yaml.v3's resolve()."""
    if text in BOOL_TRUE:
        return _BOOL, True
    if text in BOOL_FALSE:
        return _BOOL, False
    if text in NULLS:
        return _NULL, None
    if text in _SPECIAL_FLOATS:
        return _FLOAT, _SPECIAL_FLOATS[text]
    if text == "<<":
        return _MERGE, text
    first = text[:1]
    if first == ".":
        if _DOT_FLOAT.match(text):
            return _FLOAT, float(text)
    elif first.isdigit() or first in "+-":
        if _TIMESTAMP.match(text):
            return _STR, text  # see the module docstring
        number = go_int(text)
        if number is not None:
            return _INT, number
        plain = text.replace("_", "")
        if _YAML_FLOAT.match(plain):
            return _FLOAT, float(plain)
    return _STR, text


class PulumiYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader with yaml.v3's (the Pulumi CLI's) resolution of plain scalars."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return resolve_plain(value)[0]
        return super().resolve(kind, value, implicit)

    def _plain(self, node: yaml.ScalarNode) -> Any:
        if node.style is None:  # plain: the value resolve_plain computed for this tag
            return resolve_plain(node.value)[1]
        return self.construct_scalar(node)

    def construct_go_int(self, node: yaml.ScalarNode) -> Any:
        value = self._plain(node)
        return value if isinstance(value, int) else go_int(str(value))

    def construct_go_float(self, node: yaml.ScalarNode) -> Any:
        value = self._plain(node)
        return float(value)


PulumiYamlLoader.add_constructor(_INT, PulumiYamlLoader.construct_go_int)
PulumiYamlLoader.add_constructor(_FLOAT, PulumiYamlLoader.construct_go_float)


def load(text: str) -> Any:
    """The document as the Pulumi CLI reads it."""
    return yaml.load(text, Loader=PulumiYamlLoader)  # a SafeLoader subclass
