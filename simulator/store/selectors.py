"""Label and field selectors, parsed once and matched against stored objects.

Grammar and error texts follow apimachinery `labels.Parse` and `fields.ParseSelector`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.store.errors import BadRequest

_OPS = ("!=", "==", "=")
_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:\s(in|notin)\s*\(([^)]*)\))?\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        # "!=" and "notin" match objects without the key, as apimachinery does.
        return not present or labels[self.key] not in self.values


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_label_selector(text: str | None) -> tuple[Requirement, ...]:
    """`app=x,tier in (a,b),!legacy` → requirements; raise BadRequest like the API server."""
    if not text or not text.strip():
        return ()
    reqs = []
    for part in _split_top_level(text):
        part = part.strip()
        if not part:
            raise BadRequest(f"unable to parse requirement: found '', expected: identifier in {text!r}")
        m = _SET_RE.match(part)
        if m and m.group(3):
            if m.group(1):
                raise BadRequest(f"unable to parse requirement: unexpected '!' before set operator in {part!r}")
            values = frozenset(v.strip() for v in m.group(4).split(",") if v.strip())
            reqs.append(Requirement(m.group(2), m.group(3), values))
            continue
        if m and not m.group(3):
            reqs.append(Requirement(m.group(2), "!" if m.group(1) else "exists"))
            continue
        for op in _OPS:
            if op in part:
                key, _, value = part.partition(op)
                key, value = key.strip(), value.strip()
                if not key or not re.fullmatch(r"[A-Za-z0-9_./-]+", key):
                    raise BadRequest(f"unable to parse requirement: invalid label key {key!r}")
                if not re.fullmatch(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", value):
                    raise BadRequest(f"unable to parse requirement: values[0]: Invalid value: {value!r}: "
                                     "a valid label must be an empty string or consist of alphanumeric "
                                     "characters, '-', '_' or '.', and must start and end with an "
                                     "alphanumeric character")
                reqs.append(Requirement(key, "!=" if op == "!=" else "=", frozenset({value})))
                break
        else:
            raise BadRequest(f"unable to parse requirement: found {part!r}, expected: in, notin, =, ==, !=")
    return tuple(reqs)


def match_labels(reqs: tuple[Requirement, ...], obj: Mapping[str, Any]) -> bool:
    if not reqs:
        return True
    labels = obj.get("metadata", {}).get("labels") or {}
    return all(r.matches(labels) for r in reqs)


def label_selector_to_string(selector: Mapping[str, Any] | None) -> str:
    """A metav1.LabelSelector (matchLabels, matchExpressions) → selector string."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def _get_path(obj: Mapping[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


# Field selectors each resource supports beyond metadata.name and metadata.namespace
# (the fields.Set each registry strategy's GetAttrs returns).
_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                   "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"),
    ("", "events"): ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                     "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                     "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"),
    ("", "secrets"): ("type",),
    ("", "namespaces"): ("status.phase",),
    ("", "nodes"): ("spec.unschedulable",),
    ("", "persistentvolumeclaims"): ("status.phase",),
    ("", "persistentvolumes"): ("status.phase",),
    ("", "replicationcontrollers"): ("status.replicas",),
    ("apps", "replicasets"): ("status.replicas",),
    ("batch", "jobs"): ("status.successful",),
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    negate: bool

    def matches(self, obj: Mapping[str, Any]) -> bool:
        if self.field == "source":  # events: source is source.component
            actual = _get_path(obj, "source.component") or _get_path(obj, "reportingComponent")
        else:
            actual = _get_path(obj, self.field)
        return (actual == self.value) != self.negate


def parse_field_selector(text: str | None, storage_key: tuple[str, str]) -> tuple[FieldRequirement, ...]:
    """`metadata.name=x,status.phase!=Running` → requirements; unknown fields are a 400 as upstream."""
    if not text or not text.strip():
        return ()
    allowed = ("metadata.name", "metadata.namespace", *_FIELDS.get(storage_key, ()))
    reqs = []
    for part in text.split(","):
        part = part.strip()
        for op in _OPS:
            if op in part:
                field, _, value = part.partition(op)
                field = field.strip()
                if field not in allowed:
                    raise BadRequest(f'field label not supported: {field}')
                reqs.append(FieldRequirement(field, value.strip(), op == "!="))
                break
        else:
            raise BadRequest(f"invalid selector: '{text}'; can't understand '{part}'")
    return tuple(reqs)


def match_fields(reqs: tuple[FieldRequirement, ...], obj: Mapping[str, Any]) -> bool:
    return all(r.matches(obj) for r in reqs)


def selector_predicate(label: str | None, field: str | None,
                       storage_key: tuple[str, str]) -> Callable[[Mapping[str, Any]], bool] | None:
    """One predicate for both selectors, or None when neither filters anything."""
    labels = parse_label_selector(label)
    fields = parse_field_selector(field, storage_key)
    if not labels and not fields:
        return None
    return lambda obj: match_labels(labels, obj) and match_fields(fields, obj)
