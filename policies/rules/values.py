"""Reading resource properties the way the Analyzer protocol delivers them.

Pure Python (no pulumi_policy import) so the rules can be unit-tested on plain dicts. What arrives is whatever a
program, a chart or an attacker's pull request put there, so every reader here is total (any JSON value in,
never an exception out), and:

* During a preview, values computed from other resources' outputs (a KMS key ARN, a bucket name) are *unknown*.
  The engine sends them as fixed sentinel strings; `plain()`/`decode_struct()` turn them into the `UNKNOWN`
  marker. A rule treats an unknown reference (e.g. `kmsKeyId`) as set - it will be a real value at update time -
  and never reports a violation it cannot prove.
* Secret values arrive wrapped in the secret signature object (the engine marshals with KeepSecrets). They are
  checked like any other value, and `mask()` replaces them by `[secret]` in every message.
* Numbers travel as protobuf `Struct` values, so `22` arrives as `22.0`; some providers take numeric strings.
  `number()` reads all of those alike, and never returns NaN or an infinity (they pass no threshold).
* The policy SDK wraps properties in proxies that raise on unknown values; `plain()` unwraps them without
  triggering that, so one unknown field does not abort a whole policy.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The engine's unknown-value sentinels (stable protocol constants, same in every Pulumi SDK).
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)


# The engine's signature objects (sdk/go/common/resource/properties.go): {SIG_KEY: <kind>, ...}.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SECRET_PLACEHOLDER = "[secret]"


class _Unknown:
    """A value that is only known after the update (an output of another resource)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # an unknown value is never "empty"
        return True


UNKNOWN: Any = _Unknown()


class Deferred(str):
    """A message about what cannot be checked until apply (it rests on values unknown at preview). The packs
    report it as advisory whatever the policy's level: an unknown never fails a rule."""

    __slots__ = ()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in UNKNOWN_SENTINELS)


def plain(value: Any) -> Any:
    """Deep-copy `value` into plain dicts/lists, unwrapping policy-SDK proxies and marking unknowns as UNKNOWN."""
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):  # pulumi_policy _DictProxy: the raw dict sits under "__target"
        return plain(_target(value))
    if isinstance(value, Sequence) and not isinstance(value, bytes):  # _ListProxy
        return plain(_target(value))
    return value


def _target(proxy: Any) -> Any:
    try:
        return proxy["__target"]
    except (KeyError, TypeError, IndexError):
        return dict(proxy) if isinstance(proxy, Mapping) else list(proxy)


def get(props: Any, path: str, default: Any = None) -> Any:
    """`get(props, "vpcConfig.endpointPublicAccess")`: a dotted lookup; missing or non-dict parents give default.
    An unknown parent object makes every field below it UNKNOWN."""
    cur = props
    for part in path.split("."):
        if is_unknown(cur):
            return UNKNOWN
        if not isinstance(cur, dict) or part not in cur or cur[part] is None:
            return default
        cur = cur[part]
    return cur


def truthy(value: Any) -> bool | None:
    """A boolean input: True/False, the strings "true"/"false" (launch-template EBS), None when unknown, unset or
    not a boolean at all (NaN, a list...)."""
    if is_unknown(value) or value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no", ""):
            return False
        return None
    if isinstance(value, int | float) and math.isfinite(value):
        return bool(value)
    return None


def number(value: Any) -> float | None:
    """A numeric input: protobuf sends ints as floats and some providers take numeric strings, so 22, 22.0 and
    "22" read alike. None when unknown, unset, not a number, NaN or infinite (none of those passes a threshold)."""
    if is_unknown(value) or value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def show(value: Any, limit: int = 60) -> str:
    """A property value for a message, at most `limit` characters: 2.0 (a protobuf number) shows as 2, strings
    quoted; a huge or deeply nested value is cut, never serialised whole."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if is_unknown(value):
        return "<unknown until apply>"
    if isinstance(value, str):
        text = repr(value[: limit + 1])
    elif isinstance(value, bool | int | float) or value is None:
        text = repr(value)
    else:
        text = _short_json(value, limit + 1)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short_json(value: Any, limit: int, depth: int = 0) -> str:
    """Compact JSON of `value`, stopping once `limit` characters are produced."""
    if depth > 8:
        return "..."
    if isinstance(value, Mapping):
        parts, size = [], 0
        for k, v in value.items():
            part = f"{json.dumps(str(k)[:limit])}: {_short_json(v, limit - size, depth + 1)}"
            parts.append(part)
            size += len(part) + 2
            if size > limit:
                break
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list | tuple):
        parts, size = [], 0
        for v in value:
            part = _short_json(v, limit - size, depth + 1)
            parts.append(part)
            size += len(part) + 2
            if size > limit:
                break
        return "[" + ", ".join(parts) + "]"
    if is_unknown(value):
        return "<unknown>"
    if isinstance(value, str):
        return json.dumps(value[:limit])
    if isinstance(value, bool | int | float) or value is None:
        return json.dumps(value)
    return repr(value)[:limit]


def malformed(field: str, value: Any, want: str) -> str:
    """The message for a property of the wrong type or shape: a violation naming it, never an exception."""
    return f"`{field}` must be {want} (got {show(value)})"


def as_list(value: Any) -> list[Any]:
    """A list input; a single object (some providers flatten max-1 blocks) becomes a one-element list."""
    if value is None or is_unknown(value):
        return []
    if isinstance(value, list):
        return value
    return [value]


def is_set(value: Any) -> bool:
    """A reference such as a key ARN: set when non-empty or unknown (it will be an ARN at update time)."""
    if is_unknown(value):
        return True
    if isinstance(value, str):
        return value.strip() != ""
    return value is not None


@dataclass
class StackResource:
    """One resource as a stack policy sees it (plain data, independent of the policy SDK)."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """A stack policy's violation: which resource, and the message (what is wrong, what to set)."""

    urn: str
    message: str


# ----------------------------------------------------------------------------------------------- the wire


def decode_struct(struct: Any, secrets: list[Any]) -> dict[str, Any]:
    """A protobuf `Struct` (AnalyzeRequest.properties) as plain Python, read once: unknown sentinels as UNKNOWN,
    secret signature objects as their plaintext (appended to `secrets` so messages can mask it), NaN and
    infinities kept as floats (json_format.MessageToDict raises on them, which would abort the whole call)."""
    return {key: _decode_value(value, secrets) for key, value in struct.fields.items()}


def _decode_value(value: Any, secrets: list[Any]) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return UNKNOWN if value.string_value in UNKNOWN_SENTINELS else value.string_value
    if kind == "number_value":
        return value.number_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        fields = value.struct_value.fields
        sig = fields.get(SIG_KEY)
        if sig is not None and sig.WhichOneof("kind") == "string_value" and sig.string_value == SECRET_SIG:
            if "value" not in fields:
                return UNKNOWN  # a secret whose value is not known yet
            inner = _decode_value(fields["value"], secrets)
            secrets.append(inner)
            return inner
        return {key: _decode_value(item, secrets) for key, item in fields.items()}
    if kind == "list_value":
        return [_decode_value(item, secrets) for item in value.list_value.values]
    return None  # null_value, or no kind set at all


def secret_texts(secrets: Iterable[Any]) -> list[str]:
    """Every text a secret value could appear as in a message (its leaves as str, repr and JSON), longest first."""
    texts: set[str] = set()

    def leaves(value: Any, depth: int = 0) -> None:
        if depth > 32:
            return
        if isinstance(value, Mapping):
            for v in value.values():
                leaves(v, depth + 1)
        elif isinstance(value, list | tuple):
            for v in value:
                leaves(v, depth + 1)
        elif value is not None and not is_unknown(value):
            if isinstance(value, float) and value.is_integer():
                texts.add(str(int(value)))
            for text in (str(value), repr(value), json.dumps(value, default=str)):
                texts.add(text[1:-1] if text[:1] in "'\"" and len(text) > 1 else text)

    for secret in secrets:
        leaves(secret)
    return sorted((t for t in texts if t), key=len, reverse=True)


def mask(message: str, texts: Sequence[str]) -> str:
    """`message` with every secret text replaced by [secret]. Short texts (a secret "1" or "true") only where they
    stand as a whole token, so "set it to 1" is not mangled by an unrelated secret; long ones anywhere, also when
    `show()` cut them short ("AKIAIOSF..." is a prefix of the secret followed by "...")."""
    for text in texts:
        if len(text) >= 8 and "..." in message:
            for end in range(len(text) - 1, 7, -1):
                cut = text[:end] + "..."
                if cut in message:
                    message = message.replace(cut, SECRET_PLACEHOLDER)
        if text not in message:
            continue
        if len(text) >= 4:
            message = message.replace(text, SECRET_PLACEHOLDER)
        else:
            message = re.sub(rf"(?<![\w.-]){re.escape(text)}(?![\w.-])", SECRET_PLACEHOLDER, message)
    return message
