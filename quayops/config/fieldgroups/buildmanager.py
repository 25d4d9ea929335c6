"""Mirrors config-tool pkg/lib/fieldgroups/buildmanager (config-facts §3, §4.10): the whole config is
re-marshalled with yaml.v3 and BUILD_MANAGER decoded into typed structs; Validate is empty."""

from __future__ import annotations

import math
from functools import cmp_to_key

from quayops.config.errors import FieldTypeError
from quayops.config.loading import UNMARSHAL_ERRORS
from quayops.model.findings import Finding

GROUP = "BuildManager"
KEY = "BUILD_MANAGER"
INCORRECT_FORMAT = "Incorrect format for value BUILD_MANAGER"
OLD_BOOLS = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"}
ORCHESTRATOR = ("buildmanager.OrchestratorArgs", {
    "REDIS_HOST": "string", "REDIS_PASSWORD": "string", "REDIS_SSL": "bool", "REDIS_SKIP_KEYSPACE_EVENT_SETUP": "bool",
})
EXECUTOR = ("buildmanager.ExecutorArgs", {
    **dict.fromkeys((
        "EXECUTOR", "BUILDER_NAMESPACE", "K8S_API_SERVER", "VOLUME_SIZE", "KUBERNETES_DISTRIBUTION",
        "CONTAINER_MEMORY_LIMITS", "CONTAINER_CPU_LIMITS", "CONTAINER_MEMORY_REQUEST", "CONTAINER_CPU_REQUEST",
        "NODE_SELECTOR_LABEL_KEY", "NODE_SELECTOR_LABEL_VALUE", "CONTAINER_RUNTIME", "SERVICE_ACCOUNT_NAME",
        "SERVICE_ACCOUNT_TOKEN", "QUAY_USERNAME", "QUAY_PASSWORD", "WORKER_IMAGE", "WORKER_TAG",
        "BUILDER_VM_CONTAINER_IMAGE", "EC2_REGION", "COREOS_AMI", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
        "EC2_INSTANCE_TYPE", "EC2_VPC_SUBNET_ID", "EC2_KEY_NAME",
    ), "string"),
    "SETUP_TIME": "int", "MINIMUM_RETRY_THRESHOLD": "int", "BLOCK_DEVICE_SIZE": "int",
    "SSH_AUTHORIZED_KEYS": "[]interface {}", "EC2_SECURITY_GROUP_IDS": "[]interface {}",
})
ARGS = ("buildmanager.BuildManagerArgs", {
    "ALLOWED_WORKER_COUNT": "int", "ORCHESTRATOR_PREFIX": "string", "ORCHESTRATOR": ORCHESTRATOR,
    "EXECUTORS": ("[]*buildmanager.ExecutorArgs", EXECUTOR),
})


def parse(config: dict) -> None:
    """The constructor: BUILD_MANAGER's shape, then yaml.v3 type errors of its typed fields.

    Line numbers refer to yaml.v3's re-marshalled document (keys sorted, 4-space indent), as upstream.
    """
    if KEY not in config:
        return
    value = config[KEY]
    if isinstance(value, list) and len(value) == 2:
        name, args = value
    elif isinstance(value, dict) and len(value) == 1:
        name, args = next(iter(value.items()))
    else:
        raise FieldTypeError(INCORRECT_FORMAT)
    if type(name) is not str or not isinstance(args, dict):
        raise FieldTypeError(INCORRECT_FORMAT)
    key_line = 1 + sum(_entry_height(k, v) for k, v in config.items() if _go_key_less(k, KEY))
    args_line = key_line + 1 + (_height(name) if isinstance(value, list) else 1)
    errors: list[str] = []
    _decode_struct(args, ARGS[1], args_line, errors)
    if errors:
        raise FieldTypeError(UNMARSHAL_ERRORS + "\n  ".join(errors))


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """config-tool's Validate is empty for this group: only the constructor can fail."""
    parse(config)
    return []


def _decode_struct(mapping: dict, fields: dict, line: int, errors: list[str]) -> None:
    for key, value in _sorted_items(mapping):
        target = fields.get(key)
        value_line = line + 1 if _is_block(value) else line
        if target is not None and value is not None:
            _decode(value, target, value_line, errors)
        line += _entry_height(key, value)


def _decode(value, target, line: int, errors: list[str]) -> None:
    if isinstance(target, tuple) and isinstance(target[1], dict):
        if isinstance(value, dict):
            _decode_struct(value, target[1], line, errors)
        else:
            errors.append(_terror(value, target[0], line))
    elif isinstance(target, tuple):
        if not isinstance(value, list):
            errors.append(_terror(value, target[0], line))
            return
        for item in value:
            if item is not None:
                _decode(item, target[1], line, errors)
            line += _height(item)
    elif not _fits(value, target):
        errors.append(_terror(value, target, line))


def _fits(value, target: str) -> bool:
    """yaml.v3 decoding rules into a typed Go field."""
    if target == "string":
        return not isinstance(value, (dict, list))
    if target == "bool":
        return isinstance(value, bool) or (isinstance(value, str) and value in OLD_BOOLS)
    if target == "int":
        return (type(value) is int) or (type(value) is float and math.isfinite(value))
    return isinstance(value, list)


def _terror(value, go_type: str, line: int) -> str:
    tag, text = _node(value)
    shown = ""
    if tag not in ("!!seq", "!!map"):
        raw = text.encode()
        shown = f" `{raw[:7].decode(errors='replace')}...`" if len(raw) > 10 else f" `{text}`"
    return f"line {line}: cannot unmarshal {tag}{shown} into {go_type}"


def _node(value) -> tuple[str, str]:
    if isinstance(value, bool):
        return "!!bool", "true" if value else "false"
    if isinstance(value, int):
        return "!!int", str(value)
    if isinstance(value, float):
        return "!!float", repr(value)
    if isinstance(value, dict):
        return "!!map", ""
    return ("!!seq", "") if isinstance(value, list) else ("!!str", str(value))


# --- yaml.v3 Marshal layout: how many lines each value takes --------------------------------------

def _is_block(value) -> bool:
    return isinstance(value, (dict, list)) and bool(value)


def _text_lines(value) -> int:
    if not (isinstance(value, str) and "\n" in value):
        return 0
    body = value.rstrip("\n")
    return len(body.split("\n")) + max(0, len(value) - len(body) - 1)


def _height(value) -> int:
    """Lines a value takes when it starts its own line (a document or a `- ` item)."""
    if isinstance(value, dict) and value:
        return sum(_entry_height(k, v) for k, v in value.items())
    if isinstance(value, list) and value:
        return sum(_height(item) for item in value)
    return 1 + _text_lines(value)


def _entry_height(key, value) -> int:
    return 1 + (_height(value) if _is_block(value) else _text_lines(value))


def _sorted_items(mapping: dict) -> list:
    return sorted(mapping.items(), key=cmp_to_key(lambda a, b: -1 if _go_key_less(a[0], b[0]) else 1))


def _go_key_less(a, b) -> bool:
    """yaml.v3 keyList.Less for string keys: letters after other runes, digit runs by value."""
    a, b = str(a), str(b)
    digits = False
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            digits = a[i].isdigit()
            continue
        al, bl = a[i].isalpha(), b[i].isalpha()
        if al and bl:
            return a[i] < b[i]
        if al or bl:
            return al if digits else bl
        an = bn = 0
        ai, bi = i, i
        while ai < len(a) and a[ai].isdigit():
            an, ai = an * 10 + int(a[ai]), ai + 1
        while bi < len(b) and b[bi].isdigit():
            bn, bi = bn * 10 + int(b[bi]), bi + 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return a[i] < b[i]
    return len(a) < len(b)
