"""Endpoints controller: each selector Service's Endpoints list its pods, ready or not yet ready.

Mirrors `pkg/controller/endpoint`: one subset of addresses/notReadyAddresses with the service's
ports resolved against container ports (named targetPorts too); removed with the Service.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from simulator.controllers.base import Context, Key, Obj, Watched
from simulator.controllers.pods import ready_since
from simulator.store.errors import NotFound
from simulator.store.selectors import match_labels, parse_label_selector


def _target_port(port: Mapping[str, Any], pod: Mapping[str, Any]) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target:
                return p.get("containerPort")
    return int(target) if str(target).isdigit() else None


def render_subsets(service: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The Endpoints subsets for `service` over `pods` (those with an IP, not terminating)."""
    ports = (service.get("spec") or {}).get("ports") or []
    addresses, not_ready = [], []
    resolved: list[dict[str, Any]] = []
    for pod in sorted(pods, key=lambda p: (p.get("status") or {}).get("podIP", "")):
        ip = (pod.get("status") or {}).get("podIP")
        if not ip or pod["metadata"].get("deletionTimestamp") or (pod.get("status") or {}).get("phase") in (
                "Succeeded", "Failed"):
            continue
        meta = pod["metadata"]
        address = {"ip": ip, "nodeName": pod["spec"].get("nodeName"),
                   "targetRef": {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
                                 "uid": meta["uid"]}}
        (addresses if ready_since(pod) else not_ready).append(address)
        if not resolved:
            for p in ports:
                number = _target_port(p, pod)
                if number is not None:
                    resolved.append({k: v for k, v in (("name", p.get("name")), ("port", number),
                                                       ("protocol", p.get("protocol", "TCP"))) if v is not None})
    if not addresses and not not_ready:
        return []
    subset: dict[str, Any] = {"ports": resolved}
    if addresses:
        subset["addresses"] = addresses
    if not_ready:
        subset["notReadyAddresses"] = not_ready
    return [subset]


class Endpoints:
    name = "endpoints"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.watches = (Watched("v1", "Service"), Watched("v1", "Pod", self._services_of))

    def _services_of(self, _etype: str, pod: Obj) -> Iterable[Key]:
        ns = pod["metadata"]["namespace"]
        out = []
        for svc in self.ctx.list("v1", "Service", ns):
            selector = (svc.get("spec") or {}).get("selector")
            if selector and match_labels(parse_label_selector(",".join(f"{k}={v}" for k, v in selector.items())), pod):
                out.append((ns, svc["metadata"]["name"]))
        return out

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        kind = self.ctx.kind("v1", "Endpoints")
        svc = self.ctx.read("v1", "Service", name, ns)
        if svc is None:
            with contextlib.suppress(NotFound):
                self.ctx.store.delete(kind, name, ns)
            return None
        selector = (svc.get("spec") or {}).get("selector")
        if not selector:
            return None  # endpoints of a selector-less service are the user's
        pods = self.ctx.list("v1", "Pod", ns, label_selector=",".join(f"{k}={v}" for k, v in selector.items()))
        subsets = render_subsets(svc, pods)
        current = self.ctx.get("v1", "Endpoints", name, ns)
        labels = dict(svc["metadata"].get("labels") or {})
        filled = {"subsets": subsets} if subsets else {}  # the API omits an empty list
        if current is None:
            self.ctx.store.create(kind, {"apiVersion": "v1", "kind": "Endpoints",
                                         "metadata": {"name": name, "namespace": ns, "labels": labels}, **filled},
                                  field_manager="endpoint-controller")
        elif current.get("subsets", []) != subsets or (current["metadata"].get("labels") or {}) != labels:
            current.pop("subsets", None)
            current.update(filled)
            current["metadata"]["labels"] = labels
            self.ctx.store.update(kind, current, namespace=ns, field_manager="endpoint-controller")
        return None
