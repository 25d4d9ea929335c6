"""`/openapi/v2` and `/openapi/v3` documents from the same schemas admission uses.

kubectl reads v3 for `explain`, for strategic-merge keys in client-side `apply`, and to see that
PATCH accepts `fieldValidation` (so validation happens server-side and `--validate=false` is never needed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from quayops.kube.kinds import Kind
from simulator.store import schemas
from simulator.store.resources import Resources

_DEFS = "#/$defs/"
_META_DEFS = ("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
              "io.k8s.apimachinery.pkg.apis.meta.v1.Patch")


def _crd_def_name(k: Kind) -> str:
    return ".".join(reversed(k.group.split("."))) + f".{k.version}.{k.kind}"


def _def_name(k: Kind) -> str:
    if k.crd is not None:
        return _crd_def_name(k)
    return schemas.definition_name(k.group, k.version, k.kind) or _crd_def_name(k)


def _convert(node: Any, prefix: str) -> Any:
    """kubernetes-validate's JSON Schema 2020-12 node → an OpenAPI node (refs under `prefix`)."""
    if isinstance(node, list):
        return [_convert(n, prefix) for n in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = prefix + value[len(_DEFS):] if value.startswith(_DEFS) else value
        elif key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            if types:
                out[key] = types[0]
        elif key in ("oneOf", "anyOf") and all("type" in (v or {}) for v in value):
            kinds = {t for v in value for t in ([v["type"]] if isinstance(v["type"], str) else v["type"])} - {"null"}
            out["type"] = "string"
            if kinds == {"string", "integer"}:
                out["format"] = "int-or-string"
        elif key in ("properties", "$defs"):
            out[key] = {k: _convert(v, prefix) for k, v in value.items()}
        else:
            out[key] = _convert(value, prefix)
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out["allOf"] = [{"$ref": ref}]
    return out


def _refs(node: Any, into: set[str]) -> None:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS):
            into.add(ref[len(_DEFS):])
        for v in node.values():
            _refs(v, into)
    elif isinstance(node, list):
        for v in node:
            _refs(v, into)


def _closure(roots: dict[str, Any]) -> dict[str, Any]:
    """The root definitions plus every built-in definition they reach."""
    defs = schemas.builtin_definitions()
    out = dict(roots)
    todo: set[str] = set()
    for node in roots.values():
        _refs(node, todo)
    for name in _META_DEFS:
        todo.add(name)
    while todo:
        name = todo.pop()
        if name in out or name not in defs:
            continue
        out[name] = defs[name]
        _refs(defs[name], todo)
    return out


def _root_schema(resources: Resources, k: Kind) -> dict[str, Any]:
    if k.crd is None:
        name = schemas.definition_name(k.group, k.version, k.kind)
        if name:
            return schemas.builtin_definitions()[name]
    root = dict(schemas.crd_root(k.crd.get("schema") or {} if k.crd else {}))
    props = dict(root.get("properties") or {})
    props["metadata"] = {"$ref": _DEFS + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
                         "description": "Standard object's metadata."}
    root["properties"] = props
    root["x-kubernetes-group-version-kind"] = [{"group": k.group, "kind": k.kind, "version": k.version}]
    return root


def _param(name: str, description: str, schema_type: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": {"type": schema_type},
            "uniqueItems": True}


_FIELD_VALIDATION = _param("fieldValidation", "fieldValidation instructs the server on how to handle objects in "
                           "the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: "
                           "Ignore, Warn (default), Strict.")
_FIELD_MANAGER = _param("fieldManager", "fieldManager is a name associated with the actor or entity that is "
                        "making these changes.")
_DRY_RUN = _param("dryRun", "When present, indicates that modifications should not be persisted.")
_FORCE = _param("force", "Force is going to \"force\" Apply requests.", "boolean")


def _paths(k: Kind, ref: str, v3: bool) -> dict[str, Any]:
    base = f"/api/{k.version}" if not k.group else f"/apis/{k.group}/{k.version}"
    collection = f"{base}/namespaces/{{namespace}}/{k.plural}" if k.namespaced else f"{base}/{k.plural}"
    gvk = {"group": k.group, "version": k.version, "kind": k.kind}

    def op(action: str, params: list[dict[str, Any]], body: bool = False) -> dict[str, Any]:
        o: dict[str, Any] = {"operationId": f"{action}{k.kind}", "x-kubernetes-action": action,
                             "x-kubernetes-group-version-kind": gvk, "parameters": params,
                             "responses": {"200": {"description": "OK"}}}
        if v3:
            o["responses"]["200"]["content"] = {"application/json": {"schema": {"$ref": ref}}}
            if body:
                o["requestBody"] = {"content": {"*/*": {"schema": {"$ref": ref}}}, "required": True}
        else:
            o["responses"]["200"]["schema"] = {"$ref": ref}
            if body:
                o["parameters"] = [*params, {"name": "body", "in": "body", "required": True,
                                             "schema": {"$ref": ref}}]
            for p in o["parameters"]:
                if "schema" in p and p["in"] == "query":
                    p["type"] = p.pop("schema")["type"]
        return o

    write = [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION]
    item = {"get": op("get", []), "put": op("put", list(write), True),
            "patch": op("patch", [*write, _FORCE], True), "delete": op("delete", [_DRY_RUN])}
    out = {collection: {"get": op("list", []), "post": op("post", list(write), True)},
           f"{collection}/{{name}}": item}
    if "status" in k.subresources:
        out[f"{collection}/{{name}}/status"] = {"get": op("get", []), "put": op("put", list(write), True),
                                                "patch": op("patch", [*write, _FORCE], True)}
    return out


def _document(resources: Resources, kinds: list[Kind], v3: bool) -> dict[str, Any]:
    prefix = "#/components/schemas/" if v3 else "#/definitions/"
    roots = {_def_name(k): _root_schema(resources, k) for k in kinds}
    definitions = {name: _convert(node, prefix) for name, node in sorted(_closure(roots).items())}
    paths: dict[str, Any] = {}
    for k in kinds:
        paths.update(_paths(k, prefix + _def_name(k), v3))
    info = {"title": "Kubernetes", "version": "v1.36.0"}
    if v3:
        return {"openapi": "3.0.0", "info": info, "paths": paths, "components": {"schemas": definitions}}
    return {"swagger": "2.0", "info": info, "paths": paths, "definitions": definitions}


class OpenAPI:
    """Cached OpenAPI documents; `invalidate()` after CRDs change."""

    def __init__(self, resources_of: Any) -> None:
        self._resources_of = resources_of
        self._cache: dict[str, bytes] = {}

    def invalidate(self) -> None:
        self._cache.clear()

    def _gv_path(self, k: Kind) -> str:
        return f"api/{k.version}" if not k.group else f"apis/{k.group}/{k.version}"

    def v2(self) -> bytes:
        if "v2" not in self._cache:
            resources = self._resources_of()
            self._cache["v2"] = json.dumps(_document(resources, list(resources), v3=False)).encode()
        return self._cache["v2"]

    def v3_group_version(self, path: str) -> bytes | None:
        key = "v3:" + path
        if key not in self._cache:
            resources = self._resources_of()
            kinds = [k for k in resources if self._gv_path(k) == path]
            if not kinds:
                return None
            self._cache[key] = json.dumps(_document(resources, kinds, v3=True)).encode()
        return self._cache[key]

    def v3_root(self) -> dict[str, Any]:
        resources = self._resources_of()
        paths = {}
        for path in sorted({self._gv_path(k) for k in resources}):
            doc = self.v3_group_version(path) or b""
            digest = hashlib.sha512(doc).hexdigest()[:128].upper()
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
        return {"paths": paths}
