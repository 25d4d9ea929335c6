"""The URL table: `/api/v1/...` and `/apis/<group>/<version>/...` paths → (kind, namespace, name, subresource).

Handlers are named after the Kubernetes verbs; this module only decides which one a request is.
"""

from __future__ import annotations

from dataclasses import dataclass

from quayops.kube.kinds import Kind
from simulator.store.errors import MethodNotAllowed, NotFound
from simulator.store.resources import Resources

_NOT_FOUND = "the server could not find the requested resource"


@dataclass(frozen=True)
class Target:
    """What a resource URL names."""

    kind: Kind
    namespace: str | None
    name: str | None
    subresource: str | None
    legacy_watch: bool = False


@dataclass(frozen=True)
class RequestInfo:
    """The verb and target of one API request, as fault hooks and logs see it."""

    verb: str
    group: str
    version: str
    resource: str
    namespace: str | None
    name: str | None
    subresource: str | None


def parse_target(resources: Resources, group: str, version: str, rest: list[str]) -> Target:
    """Resolve the part of a resource URL after the group version; NotFound for unknown resources."""
    legacy_watch = bool(rest) and rest[0] == "watch"
    if legacy_watch:
        rest = rest[1:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces" and resources.by_path(group, version, rest[2]) is not None:
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise NotFound(_NOT_FOUND)
    kind = resources.by_path(group, version, rest[0])
    if kind is None:
        raise NotFound(_NOT_FOUND)
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in kind.subresources:
        raise NotFound(_NOT_FOUND)
    if namespace is not None and not kind.namespaced:
        raise NotFound(_NOT_FOUND)
    return Target(kind, namespace, name, sub, legacy_watch)


def verb_for(method: str, target: Target, watch: bool) -> str:
    """The Kubernetes verb of a request (list/watch on collections, get on items, ...)."""
    collection = target.name is None
    if method == "GET":
        if watch or target.legacy_watch:
            return "watch"
        return "list" if collection else "get"
    verbs = {("POST", True): "create", ("DELETE", True): "deletecollection", ("PUT", False): "update",
             ("PATCH", False): "patch", ("DELETE", False): "delete"}
    verb = verbs.get((method, collection))
    if verb is None or (verb not in target.kind.verbs and target.subresource is None):
        raise MethodNotAllowed("the server does not allow this method on the requested resource")
    return verb
