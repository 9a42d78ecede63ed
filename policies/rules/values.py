"""Reading resource properties the way the Analyzer protocol delivers them.

Pure Python (no pulumi_policy import) so the rules can be unit-tested on plain dicts. Three quirks matter:

* During a preview, values computed from other resources' outputs (a KMS key ARN, a bucket name) are *unknown*.
  The engine sends them as fixed sentinel strings; `plain()` turns them into the `UNKNOWN` marker. A rule treats
  an unknown reference (e.g. `kmsKeyId`) as set — it will be a real value at update time — and never reports a
  violation it cannot prove.
* Numbers travel as protobuf `Struct` values, so `22` arrives as `22.0`; `number()` normalises.
* The policy SDK wraps properties in proxies that raise on unknown values; `plain()` unwraps them without
  triggering that, so one unknown field does not abort a whole policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    """A boolean input: True/False, the strings "true"/"false" (launch-template EBS), None when unknown or unset."""
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
    if isinstance(value, int | float):
        return bool(value)
    return None


def number(value: Any) -> float | None:
    """A numeric input (protobuf sends ints as floats; some providers send numeric strings); None if not a number."""
    if is_unknown(value) or value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def show(value: Any) -> str:
    """A property value for a message: 2.0 (a protobuf number) shows as 2, strings quoted."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)


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


def strip_unknowns(value: Any) -> Any:
    """`value` with every UNKNOWN replaced by None: for rules that read an unknown field as missing."""
    if is_unknown(value):
        return None
    if isinstance(value, dict):
        return {k: strip_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_unknowns(v) for v in value]
    return value
