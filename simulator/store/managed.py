"""managedFields: which field manager owns which fields, and server-side apply's conflicts.

Field sets are flat maps path → value, paths in the fieldsV1 spelling (`f:spec`, `k:{"name":"app"}`),
list semantics from the schema (structured-merge-diff's map/set/atomic lists).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from simulator.store import schemas
from simulator.store.patching import item_identity

Path = tuple[str, ...]
_ITEM = object()  # the value recorded for an associative-list item's own path
_SKIP_META = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
              "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"}


def flatten(obj: Mapping[str, Any], schema: Mapping[str, Any] | None, *,
            include_status: bool = False) -> dict[Path, Any]:
    """Leaf paths of an object → their values; identity and server-set metadata left out."""
    out: dict[Path, Any] = {}
    for key, value in obj.items():
        if key in ("apiVersion", "kind") or (key == "status" and not include_status):
            continue
        node = schemas.child(schema, key)
        if key == "metadata" and isinstance(value, Mapping):
            for mkey, mvalue in value.items():
                if mkey not in _SKIP_META:
                    _walk(mvalue, schemas.child(node, mkey), ("f:metadata", f"f:{mkey}"), out)
            continue
        _walk(value, node, (f"f:{key}",), out)
    return out


def _walk(value: Any, schema: Mapping[str, Any] | None, prefix: Path, out: dict[Path, Any]) -> None:
    if isinstance(value, Mapping) and value and (schema is None or schema.get("x-kubernetes-map-type")
                                                 != "atomic"):
        for key, child in value.items():
            _walk(child, schemas.child(schema, key), (*prefix, f"f:{key}"), out)
        return
    if isinstance(value, list) and value:
        list_kind = schemas.list_type(schema)
        if list_kind == "map":
            keys = schemas.list_keys(schema)
            item_schema = schemas.items(schema)
            for item in value:
                item_path = (*prefix, "k:" + item_identity(item, keys))
                out[item_path] = _ITEM
                if isinstance(item, Mapping):
                    for key, child in item.items():
                        _walk(child, schemas.child(item_schema, key), (*item_path, f"f:{key}"), out)
            return
        if list_kind == "set":
            for item in value:
                out[(*prefix, "v:" + json.dumps(item, separators=(",", ":")))] = item
            return
    out[prefix] = value


def to_fields_v1(paths: set[Path] | dict[Path, Any]) -> dict[str, Any]:
    """Flat paths → the nested fieldsV1 trie, "." marking a node that is itself a member."""
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for part in path:
            node = node.setdefault(part, {})
        if node and "." not in node:
            node["."] = {}
    # a member that later gained children keeps a "." entry
    for path in paths:
        node = root
        for part in path:
            node = node[part]
        if node and "." not in node:
            node["."] = {}
    return root


def from_fields_v1(trie: Mapping[str, Any], prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for key, child in trie.items():
        if key == ".":
            out.add(prefix)
        elif not child:
            out.add((*prefix, key))
        else:
            out |= from_fields_v1(child, (*prefix, key))
    return out


def path_text(path: Path) -> str:
    """`.spec.template.spec.containers[name="app"].image`, as conflict messages print paths."""
    text = ""
    for part in path:
        kind, _, rest = part.partition(":")
        if kind == "f":
            text += "." + rest
        elif kind == "k":
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(rest).items()) + "]"
        else:
            text += f"[{rest}]"
    return text


def remove_path(obj: dict[str, Any], path: Path) -> None:
    """Delete the field or list item at `path` from `obj` in place; missing paths are ignored."""
    parent: Any = obj
    for i, part in enumerate(path):
        kind, _, rest = part.partition(":")
        last = i == len(path) - 1
        if isinstance(parent, dict) and kind == "f":
            if rest not in parent:
                return
            if last:
                del parent[rest]
                return
            parent = parent[rest]
        elif isinstance(parent, list) and kind in ("k", "v"):
            index = _find_item(parent, kind, rest)
            if index is None:
                return
            if last:
                parent.pop(index)
                return
            parent = parent[index]
        else:
            return


def _find_item(items: list[Any], kind: str, rest: str) -> int | None:
    if kind == "v":
        want = json.loads(rest)
        return next((i for i, v in enumerate(items) if v == want), None)
    keys = json.loads(rest)
    return next((i for i, v in enumerate(items)
                 if isinstance(v, Mapping) and all(v.get(k) == val for k, val in keys.items())), None)


def entry(manager: str, operation: str, api_version: str, now: str, paths: set[Path],
          subresource: str = "") -> dict[str, Any]:
    out = {"manager": manager, "operation": operation, "apiVersion": api_version, "time": now,
           "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}
    if subresource:
        out["subresource"] = subresource
    return out


def record_update(managed: list[dict[str, Any]], *, manager: str, api_version: str, now: str,
                  old: dict[Path, Any], new: dict[Path, Any], subresource: str = "") -> list[dict[str, Any]]:
    """managedFields after an Update: the writer owns what it changed, others lose it."""
    changed = {p for p, v in new.items() if p not in old or old[p] != v}
    removed = set(old) - set(new)
    out, mine = [], None
    for e in managed:
        paths = from_fields_v1(e.get("fieldsV1") or {})
        same = (e.get("manager"), e.get("operation"), e.get("subresource", "")) == (manager, "Update",
                                                                                     subresource)
        if same:
            mine = paths - removed
            continue
        if paths.isdisjoint(changed) and paths.isdisjoint(removed):
            out.append(e)  # untouched by this write: kept as it is, without re-encoding its fieldsV1
            continue
        paths = paths - changed - removed
        if paths:
            out.append({**e, "fieldsV1": to_fields_v1(paths)})
    mine = (mine or set()) | changed
    if mine:
        out.append(entry(manager, "Update", api_version, now, mine, subresource))
    return out


def detect_conflicts(managed: list[dict[str, Any]], *, manager: str, live: dict[Path, Any],
                     applied: dict[Path, Any]) -> list[tuple[str, str, Path]]:
    """(other manager, its apiVersion, path) for each applied field another manager owns with a
    different live value."""
    out = []
    for e in managed:
        if e.get("manager") == manager and e.get("operation") == "Apply":
            continue
        for path in from_fields_v1(e.get("fieldsV1") or {}):
            if path in applied and live.get(path, _ITEM) != applied[path]:
                out.append((e.get("manager", ""), e.get("apiVersion", ""), path))
    return out


def record_apply(managed: list[dict[str, Any]], *, manager: str, api_version: str, now: str,
                 applied: set[Path], taken: set[Path], subresource: str = "") -> list[dict[str, Any]]:
    """managedFields after an apply: the applier owns exactly `applied`; `taken` (forced) leave others."""
    out = []
    for e in managed:
        if e.get("manager") == manager and e.get("operation") == "Apply" \
                and e.get("subresource", "") == subresource:
            continue
        paths = from_fields_v1(e.get("fieldsV1") or {}) - taken
        if paths:
            out.append({**e, "fieldsV1": to_fields_v1(paths)})
    out.append(entry(manager, "Apply", api_version, now, applied, subresource))
    return out


def owned_by_others(managed: list[dict[str, Any]], manager: str) -> set[Path]:
    out: set[Path] = set()
    for e in managed:
        if not (e.get("manager") == manager and e.get("operation") == "Apply"):
            out |= from_fields_v1(e.get("fieldsV1") or {})
    return out


def applied_by(managed: list[dict[str, Any]], manager: str, subresource: str = "") -> set[Path]:
    for e in managed:
        if e.get("manager") == manager and e.get("operation") == "Apply" \
                and e.get("subresource", "") == subresource:
            return from_fields_v1(e.get("fieldsV1") or {})
    return set()
