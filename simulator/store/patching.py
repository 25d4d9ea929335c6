"""The four patch types kube-apiserver accepts: merge (RFC 7386), JSON (RFC 6902), strategic merge, apply.

Strategic merge reads `x-kubernetes-patch-strategy` / `-merge-key` from the kind's schema, so
containers, volumes and env merge by name and ports by containerPort, as upstream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from simulator.store import schemas
from simulator.store.documents import clone
from simulator.store.errors import BadRequest, Invalid, UnsupportedMediaType

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
APPLY_CBOR = "application/apply-patch+cbor"
PATCH_TYPES = (MERGE, JSON_PATCH, STRATEGIC, APPLY)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: maps merge recursively, null deletes, everything else replaces."""
    if not isinstance(patch, Mapping):
        return clone(patch)
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise Invalid(f'the server rejected our request due to an error in our request: invalid JSON '
                      f'pointer "{path}"')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str], path: str) -> Any:
    for p in parts:
        if isinstance(doc, list):
            try:
                doc = doc[int(p)]
            except (ValueError, IndexError):
                raise Invalid(f"the server rejected our request due to an error in our request: "
                              f"unable to find index {p} in {path}") from None
        elif isinstance(doc, dict) and p in doc:
            doc = doc[p]
        else:
            raise Invalid(f'the server rejected our request due to an error in our request: '
                          f'doc is missing path: "{path}": missing value')
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 add/remove/replace/move/copy/test on a copy of `target`."""
    if not isinstance(operations, list):
        raise BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = clone(target)
    for op in operations:
        if not isinstance(op, Mapping) or "op" not in op or "path" not in op:
            raise BadRequest(f"invalid JSON patch operation: {json.dumps(op)}")
        kind, path = op["op"], op["path"]
        parts = _pointer(path)
        if kind == "test":
            if _walk(doc, parts, path) != op.get("value"):
                raise Invalid(f"the server rejected our request due to an error in our request: "
                              f"testing value {path} failed: test failed")
            continue
        if kind in ("move", "copy"):
            from_parts = _pointer(op.get("from", ""))
            value = clone(_walk(doc, from_parts, op.get("from", "")))
            if kind == "move":
                doc = _remove(doc, from_parts, op.get("from", ""))
            doc = _add(doc, parts, value, path)
        elif kind == "add":
            doc = _add(doc, parts, clone(op.get("value")), path)
        elif kind == "remove":
            doc = _remove(doc, parts, path)
        elif kind == "replace":
            _walk(doc, parts, path)
            doc = _add(_remove(doc, parts, path), parts, clone(op.get("value")), path, replace=True)
        else:
            raise BadRequest(f"Unexpected kind: {kind}")
    return doc


def _add(doc: Any, parts: list[str], value: Any, path: str, replace: bool = False) -> Any:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
            return doc
        try:
            index = int(last)
        except ValueError:
            raise Invalid(f"the server rejected our request due to an error in our request: "
                          f"invalid index {last} in {path}") from None
        if index < 0 or index > len(parent):
            raise Invalid(f"the server rejected our request due to an error in our request: "
                          f"unable to access invalid index: {index}")
        parent.insert(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise Invalid(f'the server rejected our request due to an error in our request: '
                      f'doc is missing path: "{path}": missing value')
    return doc


def _remove(doc: Any, parts: list[str], path: str) -> Any:
    if not parts:
        return None
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    try:
        if isinstance(parent, list):
            del parent[int(last)]
        else:
            del parent[last]
    except (KeyError, ValueError, IndexError, TypeError):
        raise Invalid(f'the server rejected our request due to an error in our request: '
                      f'doc is missing path: "{path}": missing value') from None
    return doc


def _strategy(node: Mapping[str, Any] | None) -> tuple[str, str]:
    if node is None:
        return "", ""
    return node.get("x-kubernetes-patch-strategy", ""), node.get("x-kubernetes-patch-merge-key", "")


def strategic_merge_patch(target: Any, patch: Any, schema: Mapping[str, Any] | None) -> Any:
    """Strategic merge (apimachinery `strategicpatch.StrategicMergePatch`) driven by the schema."""
    if not isinstance(patch, Mapping):
        return clone(patch)
    if patch.get("$patch") == "replace":
        return {k: clone(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    out = dict(target) if isinstance(target, Mapping) else {}
    retain = patch.get("$retainKeys")
    orders = {k.split("/", 1)[1]: v for k, v in patch.items() if k.startswith("$setElementOrder/")}
    deletions = {k.split("/", 1)[1]: v for k, v in patch.items() if k.startswith("$deleteFromPrimitiveList/")}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        node = schemas.child(schema, key)
        if value is None:
            out.pop(key, None)
            continue
        strategy, merge_key = _strategy((schema or {}).get("properties", {}).get(key) if schema else None)
        if isinstance(value, list) and "merge" in strategy.split(","):
            out[key] = _merge_list(out.get(key) or [], value, merge_key, schemas.items(node))
        elif isinstance(value, Mapping):
            out[key] = strategic_merge_patch(out.get(key), value, node)
            if out[key] is None:
                out.pop(key)
        else:
            out[key] = clone(value)
    for key, values in deletions.items():
        if isinstance(out.get(key), list):
            out[key] = [v for v in out[key] if v not in values]
    for key, order in orders.items():
        if isinstance(out.get(key), list):
            out[key] = _reorder(out[key], order, _strategy(
                (schema or {}).get("properties", {}).get(key) if schema else None)[1])
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _merge_list(current: list[Any], patch: list[Any], merge_key: str,
                item_schema: Mapping[str, Any] | None) -> list[Any]:
    if not merge_key:  # a merged list of primitives: union, keeping order
        out = list(current)
        for v in patch:
            if v not in out:
                out.append(clone(v))
        return out
    out = [dict(i) if isinstance(i, Mapping) else i for i in current]
    for item in patch:
        if not isinstance(item, Mapping):
            continue
        directive = item.get("$patch")
        key = item.get(merge_key)
        index = next((i for i, cur in enumerate(out)
                      if isinstance(cur, Mapping) and cur.get(merge_key) == key), None)
        if directive == "delete":
            if index is not None:
                out.pop(index)
            continue
        if directive == "replace":
            return [clone({k: v for k, v in i.items() if k != "$patch"})
                    for i in patch if isinstance(i, Mapping)]
        if index is None:
            out.append(strategic_merge_patch({}, item, item_schema))
        else:
            out[index] = strategic_merge_patch(out[index], item, item_schema)
    return out


def _reorder(items: list[Any], order: list[Any], merge_key: str) -> list[Any]:
    def key_of(v: Any) -> Any:
        return json.dumps(v.get(merge_key) if merge_key and isinstance(v, Mapping) else v, sort_keys=True)

    rank = {key_of(v): i for i, v in enumerate(order)}
    return sorted(items, key=lambda v: rank.get(key_of(v), len(rank)))


def apply_merge(live: Any, applied: Any, schema: Mapping[str, Any] | None) -> Any:
    """Merge an applied configuration into the live object (structured-merge-diff semantics).

    Maps merge, associative lists merge by their keys, sets union, atomic lists and scalars replace.
    """
    if isinstance(applied, Mapping) and isinstance(live, Mapping):
        out = dict(live)
        for key, value in applied.items():
            out[key] = apply_merge(live.get(key), value, schemas.child(schema, key))
        return out
    if isinstance(applied, list) and isinstance(live, list):
        kind = schemas.list_type(schema)
        if kind == "map":
            keys = schemas.list_keys(schema)
            item_schema = schemas.items(schema)
            out = list(live)
            for item in applied:
                ident = item_identity(item, keys)
                index = next((i for i, cur in enumerate(out) if item_identity(cur, keys) == ident), None)
                if index is None:
                    out.append(clone(item))
                else:
                    out[index] = apply_merge(out[index], item, item_schema)
            return out
        if kind == "set":
            return list(live) + [clone(v) for v in applied if v not in live]
    return clone(applied)


def item_identity(item: Any, keys: tuple[str, ...]) -> str:
    """The `k:{...}` identity of an associative list item (JSON of its key fields, sorted)."""
    if not isinstance(item, Mapping):
        return json.dumps(item, sort_keys=True)
    return json.dumps({k: item.get(k) for k in keys if k in item}, sort_keys=True, separators=(",", ":"))


def apply_patch(obj: dict[str, Any], body: Any, patch_type: str,
                schema: Mapping[str, Any] | None, *, builtin: bool, kind_text: str) -> dict[str, Any]:
    """The object after a merge, JSON or strategic patch (apply is handled by the store)."""
    if patch_type == MERGE:
        result = merge_patch(obj, body)
    elif patch_type == JSON_PATCH:
        result = json_patch(obj, body)
    elif patch_type == STRATEGIC:
        if not builtin:
            raise UnsupportedMediaType(f"strategic merge patch is not supported for {kind_text}")
        if not isinstance(body, Mapping):
            raise BadRequest("json: cannot unmarshal array into Go value of type map[string]interface {}")
        result = strategic_merge_patch(obj, body, schema)
    else:
        raise UnsupportedMediaType(f"the body of the request was in an unknown format - accepted media types "
                                   f"include: {', '.join(PATCH_TYPES)}")
    if not isinstance(result, dict):
        raise BadRequest("the patch produced a non-object document")
    return result
