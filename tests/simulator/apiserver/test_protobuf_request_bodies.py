"""The Kubernetes protobuf decoder: kubectl's own bytes, and hand-built wire-format vectors.

`kubectl_create_protobuf.json` holds bodies kubectl v1.37.1 sent for each `kubectl create <kind>`
subcommand, next to the JSON the same command prints with `--dry-run=client -o json`: decoding the first
must give the second. The hand-built vectors below follow the protobuf wire format (a key varint
`field << 3 | wire type`; wire type 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32) for the cases
kubectl does not produce.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from simulator.apiserver.protobuf import MAGIC, ProtobufError, decode_message, decode_object

VECTORS = json.loads((Path(__file__).parent / "kubectl_create_protobuf.json").read_text())["vectors"]


def _without_nulls(value):
    """Go's JSON writes nil slices without omitempty as null (ClusterRole.rules); absent means the same."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_kubectl_protobuf_body_decodes_to_its_json(vector):
    decoded = decode_object(bytes.fromhex(vector["body"]))
    decoded.pop("status", None)
    assert _without_nulls(decoded) == _without_nulls(vector["expected"])


# ---- a minimal encoder for hand-built vectors (wire format only; the field numbers are literal) ----

def varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int32/int64 travel as 64-bit two's complement
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def f_varint(number: int, value: int) -> bytes:
    return varint(number << 3 | 0) + varint(value)


def f_bytes(number: int, value: bytes | str) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(raw)) + raw


def envelope(api_version: str, kind: str, raw: bytes, *, encoding: str = "") -> bytes:
    type_meta = f_bytes(1, api_version) + f_bytes(2, kind)
    body = f_bytes(1, type_meta) + f_bytes(2, raw)
    if encoding:
        body += f_bytes(3, encoding)
    return MAGIC + body + f_bytes(4, "")


def test_negative_int32_and_kept_zero_pointer():
    # PodSpec.terminationGracePeriodSeconds = 4 (*int64, zero kept); SecurityContext.runAsUser = 4 (*int64)
    security = f_varint(4, 0)
    container = f_bytes(1, "c") + f_bytes(2, "busybox") + f_bytes(15, security)
    spec = f_bytes(2, container) + f_varint(4, 0) + f_varint(25, -5)  # priority = 25 (*int32)
    obj = decode_object(envelope("v1", "Pod", f_bytes(1, f_bytes(1, "p")) + f_bytes(2, spec)))
    assert obj["spec"] == {"containers": [{"name": "c", "image": "busybox", "securityContext": {"runAsUser": 0}}],
                           "terminationGracePeriodSeconds": 0, "priority": -5}


def test_zero_scalars_without_pointer_are_dropped_like_omitempty():
    # ObjectMeta: generateName = 2 "", generation = 7 0, creationTimestamp = 8 Time{} (marshals to null)
    meta = f_bytes(1, "n") + f_bytes(2, "") + f_varint(7, 0) + f_bytes(8, b"")
    assert decode_object(envelope("v1", "ServiceAccount", f_bytes(1, meta)))["metadata"] == {"name": "n"}


def test_packed_repeated_numbers_and_unknown_fields_are_skipped():
    # PodSecurityContext.supplementalGroups = 4 (repeated int64), sent packed; fields 90-93 are unknown,
    # one of each wire type (varint, fixed64, length-delimited, fixed32)
    unknown = (f_varint(90, 7) + varint(91 << 3 | 1) + struct.pack("<d", 1.5) + f_bytes(92, "x")
               + varint(93 << 3 | 5) + b"\0\0\0\0")
    psc = f_bytes(4, varint(1000) + varint(2000)) + f_varint(4, 3000) + unknown
    assert decode_message(psc, "core.PodSecurityContext") == {"supplementalGroups": [1000, 2000, 3000]}


def test_time_int_or_string_quantity_and_embedded_structs():
    time = f_varint(1, 1_700_000_000) + f_varint(2, 5)
    meta = f_bytes(1, "q") + f_bytes(9, time)  # deletionTimestamp
    http_get = f_bytes(1, "/health") + f_bytes(2, f_varint(1, 1) + f_bytes(3, "https"))  # IntOrString string
    probe = f_bytes(1, f_bytes(2, http_get)) + f_varint(2, 0)  # Handler embedded; initialDelaySeconds 0
    resources = f_bytes(1, f_bytes(1, "memory") + f_bytes(2, f_bytes(1, "1Gi")))  # limits map<string, Quantity>
    env_from = f_bytes(3, f_bytes(1, f_bytes(1, "creds")))  # SecretEnvSource embeds LocalObjectReference
    container = f_bytes(1, "app") + f_bytes(10, probe) + f_bytes(8, resources) + f_bytes(19, env_from)
    volume = f_bytes(1, "scratch") + f_bytes(2, f_bytes(2, b""))  # VolumeSource embedded; emptyDir {}
    spec = f_bytes(2, container) + f_bytes(1, volume)
    obj = decode_object(envelope("v1", "Pod", f_bytes(1, meta) + f_bytes(2, spec)))
    assert obj["metadata"] == {"name": "q", "deletionTimestamp": "2023-11-14T22:13:20Z"}
    assert obj["spec"]["containers"] == [{
        "name": "app", "livenessProbe": {"httpGet": {"path": "/health", "port": "https"}},
        "resources": {"limits": {"memory": "1Gi"}}, "envFrom": [{"secretRef": {"name": "creds"}}]}]
    assert obj["spec"]["volumes"] == [{"name": "scratch", "emptyDir": {}}]


def test_secret_bytes_become_base64():
    data = f_bytes(2, f_bytes(1, "bin") + f_bytes(2, b"\x00\xffok"))
    obj = decode_object(envelope("v1", "Secret", f_bytes(1, f_bytes(1, "s")) + data))
    assert obj == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"bin": "AP9vaw=="}}


@pytest.mark.parametrize(("body", "message"), [
    (b"\x0a\x02v1", "does not start with the Kubernetes protobuf magic number"),
    (MAGIC + b"\x12\x05ab", "runs past the end"),
    (MAGIC + b"\x08\xff", "truncated varint"),
    (MAGIC + b"\x0b", "unsupported wire type 3"),
    (envelope("v1", "Namespace", b"", encoding="gzip"), "unsupported contentEncoding 'gzip'"),
])
def test_malformed_bodies_are_refused(body, message):
    with pytest.raises(ProtobufError, match=message):
        decode_object(body)


def test_kind_without_a_table_is_a_lookup_error():
    with pytest.raises(LookupError, match="no protobuf decoding for v1, Kind=Node"):
        decode_object(envelope("v1", "Node", b""))
