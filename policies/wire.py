"""The protobuf wire format of `google.protobuf.Struct`, without a nesting limit.

Resource properties travel as a `Struct`. The protobuf runtime (upb) refuses to parse a message nested more than
100 levels deep, and a `Struct` spends three levels per JSON object (Struct, map entry, Value) - so a property
nested ~33 objects deep (a CRD's openAPIV3Schema gets there) could not even be parsed: the pack answered the
engine with a gRPC error and the whole preview failed. This module encodes and decodes `Struct` iteratively, for
any depth:

* `encode_struct(mapping) -> bytes` (the client's fallback when upb's `Struct.update` recurses too deep);
* `decode_struct(data, secrets) -> dict`, with the same result as `values.decode_struct` on a parsed message
  (unknown sentinels as UNKNOWN, secret signature objects as their plaintext, appended to `secrets`);
* `strip_fields(data, numbers) -> (rest, payloads)`: a message's bytes without some fields, so the rest can be
  parsed by upb and the deep part decoded here.

Wire format: https://protobuf.dev/programming-guides/encoding/ ; the messages: google/protobuf/struct.proto
(Struct.fields = 1 (map entry: key = 1, value = 2); Value: null = 1, number = 2, string = 3, bool = 4,
struct = 5, list = 6; ListValue.values = 1).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from typing import Any

from .rules.values import SECRET_SIG, SIG_KEY, UNKNOWN, UNKNOWN_SENTINELS


class WireError(ValueError):
    """Bytes that are not the message they should be."""


# ------------------------------------------------------------------------------------------- primitives


def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def delimited(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise WireError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes, start: int = 0, end: int | None = None):
    """(field number, wire type, value or (start, end) of a length-delimited payload, field start, field end)."""
    pos, end = start, len(data) if end is None else end
    while pos < end:
        field_start = pos
        tag, pos = _read_varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            value, pos = _read_varint(data, pos)
        elif wire_type == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire_type == 2:
            size, pos = _read_varint(data, pos)
            value, pos = (pos, pos + size), pos + size
        elif wire_type == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise WireError(f"unsupported wire type {wire_type}")
        if pos > end:
            raise WireError("truncated field")
        yield number, wire_type, value, field_start, pos


def strip_fields(data: bytes, numbers: frozenset[int]) -> tuple[bytes, dict[int, list[bytes]]]:
    """`data` without the fields `numbers` (their payloads returned by field number)."""
    rest = bytearray()
    taken: dict[int, list[bytes]] = {}
    for number, wire_type, value, field_start, field_end in _fields(data):
        if number in numbers and wire_type == 2:
            taken.setdefault(number, []).append(data[value[0] : value[1]])
        else:
            rest += data[field_start:field_end]
    return bytes(rest), taken


# ------------------------------------------------------------------------------------------- encoding


def _scalar(value: Any) -> bytes:
    """A Value message holding a scalar (anything else is written as its text, like json.dumps(default=str))."""
    if value is None:
        return b"\x08\x00"
    if isinstance(value, bool):
        return b"\x20\x01" if value else b"\x20\x00"
    if isinstance(value, int | float):
        try:
            return b"\x11" + struct.pack("<d", float(value))
        except OverflowError:
            return b"\x11" + struct.pack("<d", math.copysign(math.inf, value))
    return delimited(3, (value if isinstance(value, str) else str(value)).encode("utf-8", "surrogatepass"))


def _open(value: Any) -> list[Any] | None:
    if isinstance(value, Mapping):
        return ["struct", iter(value.items()), bytearray(), ""]
    if isinstance(value, list | tuple):
        return ["list", iter(value), bytearray(), ""]
    return None


def _add(frame: list[Any], value_bytes: bytes) -> None:
    kind, _, body, key = frame
    if kind == "struct":
        body += delimited(1, delimited(1, key.encode("utf-8", "surrogatepass")) + delimited(2, value_bytes))
    else:
        body += delimited(1, value_bytes)


def encode_struct(mapping: Mapping[str, Any]) -> bytes:
    """The serialised `Struct` of `mapping` (nested dicts, lists, scalars), however deep."""
    stack = [_open(mapping)]
    while True:
        frame = stack[-1]
        try:
            item = next(frame[1])
        except StopIteration:
            stack.pop()
            body = bytes(frame[2])
            if not stack:
                return body
            _add(stack[-1], delimited(5 if frame[0] == "struct" else 6, body))
            continue
        if frame[0] == "struct":
            frame[3], item = str(item[0]), item[1]
        child = _open(item)
        if child is None:
            _add(frame, _scalar(item))
        else:
            stack.append(child)


# ------------------------------------------------------------------------------------------- decoding

_STRUCT, _ENTRY, _LIST, _VALUE = range(4)


class _Frame:
    """One message being decoded: what it is, where its bytes end, what it has gathered so far."""

    __slots__ = ("end", "key", "kind", "result")

    def __init__(self, kind: int, end: int, result: Any = None) -> None:
        self.kind, self.end, self.result, self.key = kind, end, result, ""


def _finish(frame: _Frame, secrets: list[Any]) -> Any:
    if frame.kind == _STRUCT:
        fields = frame.result
        if fields.get(SIG_KEY) == SECRET_SIG:
            if "value" not in fields:
                return UNKNOWN  # a secret whose value is not known yet
            secrets.append(fields["value"])
            return fields["value"]
    return frame.result


def _deliver(parent: _Frame, child: _Frame, value: Any) -> None:
    if parent.kind == _STRUCT:  # a finished map entry
        parent.result[child.key] = value
    elif parent.kind == _LIST:
        parent.result.append(value)
    else:  # a Value or a map entry gets its content
        parent.result = value


def decode_struct(data: bytes, secrets: list[Any]) -> dict[str, Any]:
    """A serialised `Struct` as plain Python, however deep (see the module docstring)."""
    stack = [_Frame(_STRUCT, len(data), {})]
    pos = 0
    while True:
        frame = stack[-1]
        if pos >= frame.end:
            if pos > frame.end:
                raise WireError("truncated message")
            stack.pop()
            value = _finish(frame, secrets)
            if not stack:
                return value
            _deliver(stack[-1], frame, value)
            continue
        tag, pos = _read_varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        if frame.kind in (_STRUCT, _LIST) and number == 1 and wire_type == 2:
            size, pos = _read_varint(data, pos)
            stack.append(_Frame(_ENTRY if frame.kind == _STRUCT else _VALUE, pos + size))
        elif frame.kind == _ENTRY and number == 1 and wire_type == 2:
            size, pos = _read_varint(data, pos)
            frame.key = data[pos : pos + size].decode("utf-8", "replace")
            pos += size
        elif frame.kind == _ENTRY and number == 2 and wire_type == 2:
            size, pos = _read_varint(data, pos)
            stack.append(_Frame(_VALUE, pos + size))
        elif frame.kind == _VALUE and number in (1, 4) and wire_type == 0:
            flag, pos = _read_varint(data, pos)
            frame.result = None if number == 1 else bool(flag)
        elif frame.kind == _VALUE and number == 2 and wire_type == 1:
            frame.result = struct.unpack("<d", data[pos : pos + 8])[0]
            pos += 8
        elif frame.kind == _VALUE and number == 3 and wire_type == 2:
            size, pos = _read_varint(data, pos)
            text = data[pos : pos + size].decode("utf-8", "replace")
            frame.result = UNKNOWN if text in UNKNOWN_SENTINELS else text
            pos += size
        elif frame.kind == _VALUE and number in (5, 6) and wire_type == 2:
            size, pos = _read_varint(data, pos)
            stack.append(_Frame(_STRUCT if number == 5 else _LIST, pos + size, {} if number == 5 else []))
        else:
            pos = _skip(data, pos, wire_type)


def _skip(data: bytes, pos: int, wire_type: int) -> int:
    if wire_type == 0:
        return _read_varint(data, pos)[1]
    if wire_type == 1:
        return pos + 8
    if wire_type == 2:
        size, pos = _read_varint(data, pos)
        return pos + size
    if wire_type == 5:
        return pos + 4
    raise WireError(f"unsupported wire type {wire_type}")
