"""The default IngressController's router: admits Routes, generating hosts `<name>-<ns>.<apps-domain>`.

Mirrors openshift/router's status writer: `status.ingress[0]` with routerName `default`,
routerCanonicalHostname and Admitted=True, or HostAlreadyClaimed for a host an older route holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simulator.controllers.base import Context, Key, Obj, Watched

COMPONENT = "openshift-router"
MERGE = "application/merge-patch+json"


class Router:
    name = "routes"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._due: dict[str, float] = {}
        self.watches = (Watched("route.openshift.io/v1", "Route", self._keys),)

    def _keys(self, etype: str, route: Obj) -> Iterable[Key]:
        if etype == "DELETED":
            self._due.pop(route["metadata"]["uid"], None)
        return ((route["metadata"]["namespace"], route["metadata"]["name"]),)

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        route = self.ctx.read("route.openshift.io/v1", "Route", name, ns)
        if route is None or (self.ctx.knob(route, "hold") or "").lower() == "true":
            return None
        kind = self.ctx.kind("route.openshift.io/v1", "Route")
        spec = route.get("spec") or {}
        if not spec.get("host"):
            # openshift-apiserver's host allocation: `<name>-<namespace>.<apps domain>`
            host = f"{name}-{ns}.{self.ctx.profile.apps_domain}"
            route = self.ctx.store.patch(kind, name, {"metadata": {"annotations": {
                "openshift.io/host.generated": "true"}}, "spec": {"host": host}}, MERGE, namespace=ns,
                field_manager="openshift-apiserver")
            spec = route["spec"]
        now = self.ctx.clock.now()
        due = self._due.setdefault(route["metadata"]["uid"], now + self.ctx.delay("route-admit", route))
        if now < due:
            return due - now
        ingress = self._ingress(route, spec)
        if ((route.get("status") or {}).get("ingress") or [None])[0] != ingress:
            self.ctx.store.patch(kind, name, {"status": {"ingress": [ingress]}}, MERGE, namespace=ns,
                                 subresource="status", field_manager=COMPONENT)
        return None

    def _ingress(self, route: Obj, spec: dict[str, Any]) -> dict[str, Any]:
        host = spec["host"]
        holder = self._older_holder(route, host, spec.get("path", ""))
        if holder is None:
            condition = {"type": "Admitted", "status": "True"}
        else:
            condition = {"type": "Admitted", "status": "False", "reason": "HostAlreadyClaimed",
                         "message": f"route {holder['metadata']['name']} already exposes {host} and is older"}
        current = ((route.get("status") or {}).get("ingress") or [{}])[0]
        previous = next((c for c in current.get("conditions") or [] if c.get("type") == "Admitted"), None)
        stamp = previous.get("lastTransitionTime") if previous and previous.get("status") == condition["status"] \
            else self.ctx.now()
        return {"host": host, "routerName": "default", "wildcardPolicy": spec.get("wildcardPolicy", "None"),
                "routerCanonicalHostname": self.ctx.profile.router_hostname,
                "conditions": [{**condition, "lastTransitionTime": stamp}]}

    def _older_holder(self, route: Obj, host: str, path: str) -> Obj | None:
        """An older route in another namespace with the same host and path (the router's host claim)."""
        mine = (route["metadata"].get("creationTimestamp", ""), route["metadata"]["namespace"], route["metadata"]["name"])
        for other in self.ctx.list("route.openshift.io/v1", "Route"):
            spec = other.get("spec") or {}
            meta = other["metadata"]
            if spec.get("host") != host or spec.get("path", "") != path or meta["namespace"] == mine[1]:
                continue
            if (meta.get("creationTimestamp", ""), meta["namespace"], meta["name"]) < mine:
                return other
        return None

