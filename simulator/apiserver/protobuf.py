"""Request bodies in Kubernetes protobuf (`application/vnd.kubernetes.protobuf`) → the JSON-shaped dict.

kubectl's typed clients (`kubectl create namespace|secret|configmap|deployment|...`) send built-in kinds
this way and, unlike for CBOR, client-go does not fall back to JSON. The body is the magic `k8s\\x00`
followed by a `runtime.Unknown` envelope; its `raw` bytes are the object's message, decoded with the
field table of `protobuf_messages` by a small generic wire-format reader. Unknown fields are skipped.
Responses stay JSON, which every client accepts.
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime
from typing import Any

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5
_NUMERIC = {"int32", "int64", "bool", "double"}
_SCALARS = _NUMERIC | {"string", "bytes"}


class ProtobufError(ValueError):
    """The body is not a well-formed Kubernetes protobuf message."""


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """One base-128 varint at `pos` → (unsigned value, next position)."""
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint longer than 10 bytes")


def iter_fields(data: bytes) -> list[tuple[int, int, Any]]:
    """The (field number, wire type, raw value) triples of one message, in wire order.

    Varints come back as unsigned ints, fixed-width values as their bytes, length-delimited ones as bytes.
    Groups (wire types 3 and 4, unused by Kubernetes) are refused.
    """
    out = []
    pos, end = 0, len(data)
    while pos < end:
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        if wire == _VARINT:
            value, pos = read_varint(data, pos)
        elif wire == _BYTES:
            length, pos = read_varint(data, pos)
            if pos + length > end:
                raise ProtobufError(f"field {number}: length {length} runs past the end")
            value, pos = data[pos:pos + length], pos + length
        elif wire == _FIXED64:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == _FIXED32:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ProtobufError(f"field {number}: unsupported wire type {wire}")
        if pos > end:
            raise ProtobufError(f"field {number}: truncated")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    # int32/int64 are sent as 64-bit two's complement varints (negative int32s take 10 bytes)
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: str, wire: int, raw: Any) -> Any:
    if kind == "string":
        return _need_bytes(raw, wire).decode("utf-8", errors="replace")
    if kind == "bytes":
        return base64.b64encode(_need_bytes(raw, wire)).decode()
    if kind == "double":
        if wire != _FIXED64:
            raise ProtobufError("double without fixed64 wire type")
        return struct.unpack("<d", raw)[0]
    if wire != _VARINT:
        raise ProtobufError(f"{kind} without varint wire type")
    if kind == "bool":
        return bool(raw)
    return _signed(raw)


def _need_bytes(raw: Any, wire: int) -> bytes:
    if wire != _BYTES:
        raise ProtobufError("length-delimited field expected")
    return raw


def _packed(kind: str, raw: bytes) -> list[Any]:
    if kind == "double":
        return [v for (v,) in struct.iter_unpack("<d", raw)]
    values, pos = [], 0
    while pos < len(raw):
        value, pos = read_varint(raw, pos)
        values.append(bool(value) if kind == "bool" else _signed(value))
    return values


def _rfc3339(seconds: int, nanos: int, *, micro: bool) -> str | None:
    if not seconds and not nanos:
        return None  # the zero Time marshals to JSON null
    moment = datetime.fromtimestamp(seconds, UTC)
    if micro:
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos // 1000:06d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _go_duration(nanos: int) -> str:
    """Go's time.Duration.String(), which metav1.Duration marshals to."""
    if nanos == 0:
        return "0s"
    sign, nanos = ("-", -nanos) if nanos < 0 else ("", nanos)
    if nanos < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if nanos >= size:
                return sign + f"{nanos / size:.9f}".rstrip("0").rstrip(".") + unit
    hours, rest = divmod(nanos, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    secs = f"{rest / 1e9:.9f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}"
    if minutes:
        return f"{sign}{minutes}m{secs}"
    return sign + secs


def _well_known(kind: str, raw: bytes) -> Any:
    """Messages with their own JSON form; `...` marks one that marshals to nothing."""
    fields = {n: v for n, _, v in iter_fields(raw)}
    if kind in ("meta.Time", "meta.MicroTime"):
        value = _rfc3339(_signed(fields.get(1, 0)), _signed(fields.get(2, 0)), micro=kind == "meta.MicroTime")
        return ... if value is None else value
    if kind == "resource.Quantity":
        return fields.get(1, b"").decode()
    if kind == "intstr.IntOrString":
        if fields.get(1, 0) == 1:
            return fields.get(3, b"").decode()
        return _signed(fields.get(2, 0))
    if kind == "meta.Duration":
        return _go_duration(_signed(fields.get(1, 0)))
    # meta.FieldsV1 and runtime.RawExtension carry JSON bytes
    body = fields.get(1, b"")
    if not body:
        return ...
    try:
        return json.loads(body)
    except ValueError as e:
        raise ProtobufError(f"{kind}: raw bytes are not JSON") from e


_WELL_KNOWN = {"meta.Time", "meta.MicroTime", "resource.Quantity", "intstr.IntOrString", "meta.Duration",
               "meta.FieldsV1", "runtime.RawExtension"}


def _value(kind: str, wire: int, raw: Any, messages: dict[str, dict[int, Any]]) -> Any:
    if kind in _WELL_KNOWN:
        return _well_known(kind, _need_bytes(raw, wire))
    if kind in messages:
        return decode_message(_need_bytes(raw, wire), kind, messages)
    return _scalar(kind, wire, raw)


def _is_zero(value: Any) -> bool:
    return value is False or value == 0 or value == ""


def decode_message(data: bytes, message: str, messages: dict[str, dict[int, Any]] | None = None) -> dict[str, Any]:
    """One message of the field table → its JSON form (Go's encoding/json with omitempty)."""
    if messages is None:
        from simulator.apiserver.protobuf_messages import MESSAGES as messages
    table = messages[message]
    out: dict[str, Any] = {}
    for number, wire, raw in iter_fields(data):
        field = table.get(number)
        if field is None:
            continue  # a field this table does not know (newer API): skipped, as an older server would
        name, kind, flags = field
        if kind not in messages and kind not in _WELL_KNOWN and kind not in _SCALARS:
            continue
        if "m" in flags:
            entry = {n: (w, v) for n, w, v in iter_fields(_need_bytes(raw, wire))}
            key = entry[1][1].decode() if 1 in entry else ""
            value = _value(kind, *entry[2], messages) if 2 in entry else _empty(kind, messages)
            out.setdefault(name, {})[key] = None if value is ... else value
        elif "r" in flags:
            items = out.setdefault(name, [])
            if wire == _BYTES and kind in _NUMERIC:
                items.extend(_packed(kind, raw))
            else:
                value = _value(kind, wire, raw, messages)
                items.append(None if value is ... else value)
        elif "i" in flags:
            out.update(decode_message(_need_bytes(raw, wire), kind, messages))
        else:
            value = _value(kind, wire, raw, messages)
            # messages (IntOrString 0 included) are present because they were set; scalars always are
            if value is ... or ("z" not in flags and kind in _SCALARS and _is_zero(value)):
                out.pop(name, None)
                continue
            out[name] = value  # a repeated singular field: the last one wins, as in protobuf
    return out


def _empty(kind: str, messages: dict[str, dict[int, Any]]) -> Any:
    if kind in messages:
        return {}
    return {"string": "", "bytes": "", "bool": False}.get(kind, 0 if kind in _NUMERIC else ...)


def decode_envelope(body: bytes) -> tuple[str, str, bytes, str]:
    """`k8s\\x00` + runtime.Unknown → (apiVersion, kind, raw, contentEncoding)."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf magic number")
    api_version = kind = encoding = ""
    raw = b""
    for number, wire, value in iter_fields(body[len(MAGIC):]):
        if number == 1 and wire == _BYTES:  # typeMeta: apiVersion = 1, kind = 2
            for n, w, v in iter_fields(value):
                if n == 1 and w == _BYTES:
                    api_version = v.decode()
                elif n == 2 and w == _BYTES:
                    kind = v.decode()
        elif number == 2 and wire == _BYTES:
            raw = value
        elif number == 3 and wire == _BYTES:
            encoding = value.decode()
    return api_version, kind, raw, encoding


def decode_object(body: bytes) -> dict[str, Any]:
    """A Kubernetes protobuf request body → the object as a JSON client would have sent it.

    Raises ProtobufError for malformed bodies; KeyError-free: an unknown kind raises LookupError.
    """
    from simulator.apiserver.protobuf_messages import MESSAGES, ROOTS

    api_version, kind, raw, encoding = decode_envelope(body)
    if encoding:
        raise ProtobufError(f"unsupported contentEncoding {encoding!r}")
    message = ROOTS.get((api_version, kind))
    if message is None:
        raise LookupError(f"no protobuf decoding for {api_version}, Kind={kind}")
    obj = decode_message(raw, message, MESSAGES)
    return {"apiVersion": api_version, "kind": kind, **obj}
