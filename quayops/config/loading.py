"""Load config.yaml the way config-tool does: gopkg.in/yaml.v3 into map[string]interface{}, then
`shared.RemoveNullValues` (config-facts §1.1 steps 3–4, §3, §9).

ruamel.yaml only parses (events); scalar resolution, duplicate keys, merge keys and type errors follow
yaml.v3 (resolve.go, decode.go) so that `yes` stays a string and `08` becomes a float, as in Go.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.util import find_spec

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.scanner import ScannerError

from quayops.config.errors import ConfigLoadError

LIBYAML = find_spec("_ruamel_yaml") is not None

UNMARSHAL_ERRORS = "yaml: unmarshal errors:\n  "
TOP_LEVEL_TYPE = "map[string]interface {}"

_YAML_PREFIX = "tag:yaml.org,2002:"
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = {"", "~", "null", "Null", "NULL"}
_FLOATS = {
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
}
# yaml.v3 resolve.go yamlStyleFloat
_YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+\.?[0-9]*)([eE][-+]?[0-9]+)?$|^[-+]?(inf|infinity|nan)$", re.IGNORECASE)
_INT64 = 1 << 63
_QUOTED_CHARACTER = re.compile(r"found character '.*?' that")
# libyaml says "in this context" where PyYAML's scanner says "here"
_PROBLEM_WORDING = {
    "mapping values are not allowed here": "mapping values are not allowed in this context",
    "sequence entries are not allowed here": "block sequence entries are not allowed in this context",
}


@dataclass(eq=False)
class Node:
    """A parsed YAML node, like yaml.v3's `yaml.Node`: kind, short tag, value, 1-based line."""

    kind: str  # "scalar" | "seq" | "map"
    tag: str
    value: str = ""
    line: int = 1
    plain: bool = False
    children: list[Node] = field(default_factory=list)


def parse_config_yaml(text: str, *, keep_nulls: bool = False) -> dict:
    """Parse config.yaml like config-tool: yaml.v3 into a string-keyed map, nulls removed.

    Raises `ConfigLoadError` with yaml.v3's wording for syntax errors, duplicate keys and a
    top level that is not a mapping. An empty document gives `{}`. `keep_nulls` keeps null-valued
    keys, as the operator's own decoding does (operator-facts §3.3).
    """
    root = compose_yaml(text)
    if root is None:
        return {}
    errors: list[str] = []
    if root.kind != "map":
        if root.kind == "scalar" and root.tag == "!!null":
            return {}
        errors.append(type_error(root, TOP_LEVEL_TYPE))
        raise ConfigLoadError(UNMARSHAL_ERRORS + "\n  ".join(errors))
    config = decode(root, errors, top=True)
    if errors:
        raise ConfigLoadError(UNMARSHAL_ERRORS + "\n  ".join(errors))
    return config if keep_nulls else remove_null_values(config)


def remove_null_values(config: dict) -> dict:
    """Drop null-valued keys, recursing into mappings only (shared.RemoveNullValues; lists untouched)."""
    for key in [k for k, v in config.items() if v is None]:
        del config[key]
    for value in config.values():
        if isinstance(value, dict):
            remove_null_values(value)
    return config


@lru_cache(maxsize=32)
def compose_yaml(text: str) -> Node | None:
    """The first document of `text` as a `Node` tree (shared and cached: never mutate it), or None.

    libyaml (ruamel.yaml.clib) parses when installed; a document it rejects is parsed again by the
    pure parser, whose errors are the ones translated to yaml.v3's wording.
    """
    if LIBYAML:
        try:
            return _compose_document(text, pure=False)
        except ConfigLoadError:
            pass
    return _compose_document(text, pure=True)


def _compose_document(text: str, *, pure: bool) -> Node | None:
    events = YAML(typ="safe", pure=pure).parse(text)
    anchors: dict[str, Node] = {}
    try:
        for event in events:
            if isinstance(event, StreamEndEvent):
                return None
            if isinstance(event, (ScalarEvent, MappingStartEvent, SequenceStartEvent, AliasEvent)):
                return _compose(event, events, anchors, set())
    except MarkedYAMLError as e:
        raise ConfigLoadError(_syntax_message(e)) from e
    except YAMLError as e:
        raise ConfigLoadError(f"yaml: {e}") from e
    return None


def _compose(event, events, anchors: dict[str, Node], open_anchors: set[str]) -> Node:
    line = event.start_mark.line + 1
    if isinstance(event, AliasEvent):
        if event.anchor in open_anchors:
            raise ConfigLoadError(f"yaml: anchor '{event.anchor}' value contains itself")
        if event.anchor not in anchors:
            raise ConfigLoadError(f"yaml: unknown anchor '{event.anchor}' referenced")
        return anchors[event.anchor]
    tag = _short_tag(event.tag)
    if isinstance(event, ScalarEvent):
        plain = not event.style and event.tag in (None, "!")  # pure parser: None, libyaml: ""
        if tag is None:
            tag = _resolve(event.value)[0] if plain else "!!str"
        node = Node("scalar", tag, event.value, line, plain=plain)
        if event.anchor:
            anchors[event.anchor] = node
        return node
    kind, end = ("map", "MappingEndEvent") if isinstance(event, MappingStartEvent) else ("seq", "SequenceEndEvent")
    node = Node(kind, tag or f"!!{kind}", line=line)
    if event.anchor:
        open_anchors.add(event.anchor)
    for child in events:
        if type(child).__name__ == end:
            break
        node.children.append(_compose(child, events, anchors, open_anchors))
    if event.anchor:
        open_anchors.discard(event.anchor)
        anchors[event.anchor] = node
    return node


def _short_tag(tag: str | None) -> str | None:
    if tag is None or tag == "!":
        return None
    return "!!" + tag[len(_YAML_PREFIX):] if tag.startswith(_YAML_PREFIX) else tag


def _syntax_message(e: MarkedYAMLError) -> str:
    """yaml.v3 parser.fail(): context mark line first, +1 only for scanner errors."""
    mark = e.context_mark if e.context_mark is not None and e.context_mark.line else e.problem_mark
    line = mark.line if mark is not None else 0
    if isinstance(e, ScannerError):
        line += 1
    problem = _QUOTED_CHARACTER.sub("found character that", e.problem or "unknown problem parsing YAML content")
    problem = _PROBLEM_WORDING.get(problem, problem)
    return f"yaml: line {line}: {problem}" if line else f"yaml: {problem}"


def _resolve(value: str) -> tuple[str, object]:
    """yaml.v3 resolve("", value) for a plain scalar: (short tag, Python value)."""
    if not value:
        return "!!null", None
    hint = value[0]
    if hint in "yYnNtTfFoO~":
        if value in _BOOLS:
            return "!!bool", _BOOLS[value]
        if value in _NULLS:
            return "!!null", None
        return "!!str", value
    if hint == ".":
        if value in _FLOATS:
            return "!!float", _FLOATS[value]
        number = _go_parse_float(value)
        return ("!!str", value) if number is None else ("!!float", number)
    if hint in "+-0123456789":
        if value in _FLOATS:
            return "!!float", _FLOATS[value]
        plain = value.replace("_", "")
        number = _go_parse_int(plain)
        if number is not None:
            return "!!int", number
        if _YAML_STYLE_FLOAT.match(plain):
            number = _go_parse_float(plain)
            if number is not None:
                return "!!float", number
    if value in _NULLS:
        return "!!null", None
    return "!!str", value


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), falling back to ParseUint like yaml.v3."""
    sign, digits = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
    lowered = digits.lower()
    for prefix, base in (("0x", 16), ("0b", 2), ("0o", 8)):
        if lowered.startswith(prefix):
            digits, chosen = digits[2:], base
            break
    else:
        chosen = 8 if len(digits) > 1 and digits[0] == "0" else 10
    if not digits or not all(c in "0123456789abcdef"[:chosen] for c in digits.lower()):
        return None
    number = int(digits, chosen) * (-1 if sign == "-" else 1)
    if -_INT64 <= number < _INT64 or (sign != "-" and number < 2 * _INT64):
        return number
    return None


def _go_parse_float(text: str) -> float | None:
    if not _GO_FLOAT.match(text):
        return None
    return float(text)


def decode(node: Node, errors: list[str], *, top: bool = False):
    """yaml.v3 decoding into interface{}: ints, floats, bools, strings, lists and string-keyed maps.

    Duplicate keys are collected in `errors` (yaml.v3 `uniqueKeys`); a mapping with duplicates is not
    descended into, as in decode.go.
    """
    if node.kind == "scalar":
        return _decode_scalar(node)
    if node.kind == "seq":
        return [decode(child, errors) for child in node.children]
    pairs = list(zip(node.children[::2], node.children[1::2]))
    before = len(errors)
    for i, (key, _) in enumerate(pairs):
        for other, _ in pairs[i + 1:]:
            if key.kind == other.kind and key.value == other.value:
                errors.append(f"line {other.line}: mapping key {go_quote(other.value)} already defined "
                              f"at line {key.line}")
    if len(errors) > before:
        return {}
    out: dict = {}
    merged: dict = {}
    for key, value in pairs:
        if key.kind == "scalar" and key.plain and key.value == "<<":
            for source in (value.children if value.kind == "seq" else [value]):
                decoded = decode(source, errors)
                if isinstance(decoded, dict):
                    merged.update({k: v for k, v in decoded.items() if k not in merged})
            continue
        name = key.value if (top or key.tag == "!!str") and key.kind == "scalar" else decode(key, errors)
        out[name if not isinstance(name, (dict, list)) else str(name)] = decode(value, errors)
    return {**merged, **out}


def _decode_scalar(node: Node):
    if node.plain:
        return _resolve(node.value)[1]
    if node.tag in ("!!str", "!!timestamp") or not node.tag.startswith("!!"):
        return node.value
    if node.tag == "!!binary":
        return base64.b64decode(node.value).decode("utf-8", errors="replace")
    resolved_tag, value = _resolve(node.value)
    if resolved_tag == node.tag:
        return value
    if node.tag == "!!float" and resolved_tag == "!!int":
        return float(value)
    raise ConfigLoadError(f"yaml: cannot decode {resolved_tag} `{node.value}` as a {node.tag}")


def type_error(node: Node, go_type: str) -> str:
    """yaml.v3 decoder.terror(): `line N: cannot unmarshal !!tag `value` into <Go type>`."""
    shown = ""
    if node.tag not in ("!!seq", "!!map"):
        raw = node.value.encode()
        shown = f" `{raw[:7].decode(errors='replace')}...`" if len(raw) > 10 else f" `{node.value}`"
    return f"line {node.line}: cannot unmarshal {node.tag}{shown} into {go_type}"


def go_quote(text: str) -> str:
    """Go's %#v of a string: double-quoted with Go escapes."""
    escaped = []
    for ch in text:
        if ch in '"\\':
            escaped.append("\\" + ch)
        elif ch == "\n":
            escaped.append("\\n")
        elif ch == "\t":
            escaped.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append(f"\\x{ord(ch):02x}")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'
