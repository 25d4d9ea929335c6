"""OpenAPI schemas of every served kind: built-ins from kubernetes-validate, OpenShift's few, CRDs'.

Admission (pruning, types), strategic merge (patch keys), managedFields (list types) and the
/openapi documents all read the same nodes, so they cannot disagree.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1.36.0"
_REF = "#/$defs/"
_META = _REF + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _obj(props: dict[str, Any], description: str = "", required: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if description:
        out["description"] = description
    if required:
        out["required"] = required
    return out


_S = {"type": "string"}
_INT = {"type": "integer", "format": "int32"}


def _kind_root(group: str, version: str, kind: str, spec: str, status: str | None, description: str,
               required: list[str] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this "
                       "representation of an object."},
        "kind": {"type": "string", "description": "Kind is a string value representing the REST resource "
                 "this object represents."},
        "metadata": {"$ref": _META, "description": "Standard object's metadata."},
        "spec": {"$ref": _REF + spec, "description": f"spec is the desired state of the {kind}."},
    }
    if status:
        props["status"] = {"$ref": _REF + status, "description": f"status is the current state of the {kind}."}
    node = _obj(props, description, required)
    node["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": version}]
    return node


# OpenShift's route.openshift.io/v1 and project.openshift.io/v1 (openshift/api), as far as quayops uses them.
OPENSHIFT_DEFINITIONS: dict[str, Any] = {
    "com.github.openshift.api.route.v1.Route": _kind_root(
        "route.openshift.io", "v1", "Route", "com.github.openshift.api.route.v1.RouteSpec",
        "com.github.openshift.api.route.v1.RouteStatus",
        "A route allows developers to expose services through an HTTP(S) aware load balancing and proxy "
        "layer via a public DNS entry.", ["spec"]),
    "com.github.openshift.api.route.v1.RouteSpec": _obj({
        "host": {**_S, "description": "host is an alias/DNS that points to the service."},
        "subdomain": _S,
        "path": {**_S, "description": "path that the router watches for, to route traffic for to the service."},
        "to": {"$ref": _REF + "com.github.openshift.api.route.v1.RouteTargetReference",
               "description": "to is an object the route should use as the primary backend."},
        "alternateBackends": {"type": "array", "x-kubernetes-list-type": "atomic",
                              "items": {"$ref": _REF + "com.github.openshift.api.route.v1.RouteTargetReference"}},
        "port": _obj({"targetPort": {"$ref": _REF + "io.k8s.apimachinery.pkg.util.intstr.IntOrString"}},
                     "RoutePort defines a port mapping from a router to an endpoint in the service endpoints."),
        "tls": _obj({
            "termination": {**_S, "description": "termination indicates termination type: edge, passthrough "
                            "or reencrypt.", "enum": ["edge", "reencrypt", "passthrough"]},
            "certificate": _S, "key": _S, "caCertificate": _S, "destinationCACertificate": _S,
            "insecureEdgeTerminationPolicy": {**_S, "enum": ["Allow", "None", "Redirect", ""]},
        }, "TLSConfig defines config used to secure a route and provide termination.", ["termination"]),
        "wildcardPolicy": _S,
    }, "RouteSpec describes the hostname or path the route exposes, any security information, and one to "
       "four backends (services) the route points to.", ["to"]),
    "com.github.openshift.api.route.v1.RouteTargetReference": _obj(
        {"kind": _S, "name": _S, "weight": _INT},
        "RouteTargetReference specifies the target that resolve into endpoints.", ["kind", "name"]),
    "com.github.openshift.api.route.v1.RouteStatus": _obj({
        "ingress": {"type": "array", "x-kubernetes-list-type": "atomic", "items": _obj({
            "host": _S, "routerName": _S, "routerCanonicalHostname": _S, "wildcardPolicy": _S,
            "conditions": {"type": "array", "items": _obj({
                "type": _S, "status": _S, "reason": _S, "message": _S,
                "lastTransitionTime": {"$ref": _REF + "io.k8s.apimachinery.pkg.apis.meta.v1.Time"},
            })},
        })},
    }, "RouteStatus provides relevant info about the status of a route, including which routers acknowledge it."),
    "com.github.openshift.api.project.v1.Project": _kind_root(
        "project.openshift.io", "v1", "Project", "com.github.openshift.api.project.v1.ProjectSpec",
        "com.github.openshift.api.project.v1.ProjectStatus",
        "Projects are the unit of isolation and collaboration in OpenShift."),
    "com.github.openshift.api.project.v1.ProjectSpec": _obj(
        {"finalizers": {"type": "array", "items": _S}}, "ProjectSpec describes the attributes on a Project"),
    "com.github.openshift.api.project.v1.ProjectStatus": _obj(
        {"phase": _S, "conditions": {"type": "array", "items": {"type": "object"}}},
        "ProjectStatus is information about the current status of a Project"),
}


def _kubernetes_validate_dir() -> Path:
    # only its data files are needed: importing the package pulls in jsonschema's format checkers (seconds)
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("kubernetes-validate is not installed; the simulator reads its OpenAPI schemas")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def builtin_definitions() -> dict[str, Any]:
    """Every built-in definition (kubernetes-validate's, for SCHEMA_VERSION) plus OpenShift's."""
    base = _kubernetes_validate_dir() / "kubernetes-json-schema" / f"v{SCHEMA_VERSION}-local"
    defs = json.loads((base / "_definitions.json").read_text())["$defs"]
    defs.update(OPENSHIFT_DEFINITIONS)
    return defs


@functools.cache
def _gvk_index() -> dict[tuple[str, str, str], str]:
    index = {}
    for name, node in builtin_definitions().items():
        for gvk in node.get("x-kubernetes-group-version-kind", ()):
            index.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
    return index


def definition_name(group: str, version: str, kind: str) -> str | None:
    return _gvk_index().get((group, version, kind))


def resolve(node: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Follow `$ref` (and a lone `allOf` wrapper) to the node that describes a value."""
    while node is not None:
        ref = node.get("$ref")
        if ref and ref.startswith(_REF):
            node = builtin_definitions().get(ref[len(_REF):])
            continue
        all_of = node.get("allOf")
        if all_of and len(all_of) == 1 and "properties" not in node:
            node = all_of[0]
            continue
        return node
    return None


class _Facts:
    """What admission asks of one schema node on every write, worked out once (nodes are never mutated)."""

    __slots__ = ("children", "extra", "node", "types")

    def __init__(self, node: Mapping[str, Any]) -> None:
        self.node = node  # keeps the id in the cache key from being reused
        self.types = frozenset(_types_of(node))
        self.children = {key: resolve(value) for key, value in (node.get("properties") or {}).items()}
        extra = node.get("additionalProperties")
        self.extra = resolve(extra) if isinstance(extra, Mapping) else None


_FACTS: dict[int, _Facts] = {}
_MISSING = object()


def _facts(node: Mapping[str, Any]) -> _Facts:
    found = _FACTS.get(id(node))
    if found is None or found.node is not node:
        if len(_FACTS) >= 100_000:  # a bound, should callers ever pass throwaway nodes
            _FACTS.clear()
        found = _FACTS[id(node)] = _Facts(node)
    return found


def types_of(node: Mapping[str, Any]) -> frozenset[str]:
    """The JSON types a node admits, without "null"; empty when anything goes."""
    return _facts(node).types


def _types_of(node: Mapping[str, Any]) -> set[str]:
    t = node.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if x != "null"}
    for alt in node.get("oneOf") or node.get("anyOf") or ():
        return set().union(*(_types_of(resolve(a) or {}) for a in node.get("oneOf") or node.get("anyOf")))
    if node.get("x-kubernetes-int-or-string"):
        return {"integer", "string"}
    return set()


def crd_root(version_schema: Mapping[str, Any]) -> dict[str, Any]:
    """A CRD version's openAPIV3Schema, with metadata typed as ObjectMeta as the API server does."""
    root = dict(version_schema.get("openAPIV3Schema") or {"type": "object",
                                                             "x-kubernetes-preserve-unknown-fields": True})
    props = dict(root.get("properties") or {})
    props["metadata"] = {"$ref": _META}
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    root["properties"] = props
    return root


def child(node: Mapping[str, Any] | None, key: str) -> Mapping[str, Any] | None:
    """The schema of `node[key]`, or None when the key is not declared (or the node is open)."""
    if node is None:
        return None
    facts = _facts(node)
    found = facts.children.get(key, _MISSING)
    return facts.extra if found is _MISSING else found


def items(node: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if node is None:
        return None
    it = node.get("items")
    return resolve(it) if isinstance(it, Mapping) else None


def is_open(node: Mapping[str, Any] | None) -> bool:
    """True where unknown keys are kept: no schema, preserve-unknown-fields, or a map of values."""
    if node is None:
        return True
    if node.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in node:
        return True
    return "properties" not in node and not types_of(node) - {"object"}


def list_keys(node: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The keys identifying items of an associative list (list-type map or patch merge key)."""
    if node is None:
        return ()
    keys = node.get("x-kubernetes-list-map-keys")
    if keys:
        return tuple(keys)
    merge_key = node.get("x-kubernetes-patch-merge-key")
    return (merge_key,) if merge_key else ()


def list_type(node: Mapping[str, Any] | None) -> str:
    """"map", "set" or "atomic" (the structured-merge-diff list semantics)."""
    if node is None:
        return "atomic"
    if list_keys(node):
        return "map"
    return node.get("x-kubernetes-list-type") or "atomic"
