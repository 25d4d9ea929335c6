"""The pod network on loopback: which real server answers a Service's port, and in-cluster DNS names → addresses.

Controllers register a Service's ports as they bring its backend up; the router, the Quay app's `resolve` and
the monitoring scrape read them. Route hosts resolve to the router through the published resolve map.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from quayops.kube.resolve import Resolve, lookup

CLUSTER_DOMAIN = "svc.cluster.local"

PortKey = str | int  # a Service port's name, number or target port, as a Route or a URL names it


@dataclass(frozen=True)
class Address:
    """Where a backend really listens; `tls` when it speaks TLS there."""

    host: str
    port: int
    tls: bool = False

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class ServiceDirectory:
    """(namespace, service, port) → Address, thread-safe; `route_hosts` maps admitted route hosts to the router."""

    def __init__(self) -> None:
        self._services: dict[tuple[str, str], dict[PortKey, Address]] = {}
        self._lock = threading.Lock()
        self.route_hosts: Resolve = {}

    def register(self, namespace: str, service: str, ports: Mapping[PortKey, Address]) -> None:
        """Answer `service`'s ports (each under its name, service port and target port) from these addresses."""
        with self._lock:
            self._services[(namespace, service)] = {_key(k): v for k, v in ports.items()}

    def unregister(self, namespace: str, service: str) -> None:
        with self._lock:
            self._services.pop((namespace, service), None)

    def lookup(self, namespace: str, service: str, port: PortKey) -> Address | None:
        with self._lock:
            return (self._services.get((namespace, service)) or {}).get(_key(port))

    def lookup_pod(self, namespace: str, labels: Mapping[str, str], port: int,
                   services: Iterable[Mapping[str, Any]]) -> Address | None:
        """A pod's container port (port-forward, exec's localhost) → the backend of a Service in `services` that
        selects the pod and targets that port: pods have no address of their own here, their Services' do."""
        for service in services:
            spec = service.get("spec") or {}
            selector = spec.get("selector") or {}
            if not selector or any(labels.get(k) != v for k, v in selector.items()):
                continue
            name = service["metadata"]["name"]
            keys: list[PortKey] = [port]
            for p in spec.get("ports") or []:
                if _key(p.get("targetPort", p.get("port"))) == port:
                    keys += [p["port"], *([p["name"]] if p.get("name") else [])]
            for key in keys:
                found = self.lookup(namespace, name, key)
                if found is not None:
                    return found
        return None

    def resolve(self, host: str, port: int, *, namespace: str) -> Address | None:
        """A Service DNS name (`svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`) seen from `namespace`,
        or an admitted route host; None for anything else (an external server, used as written)."""
        name = host.lower().rstrip(".")
        for suffix in (f".{CLUSTER_DOMAIN}", ".svc"):
            name = name.removesuffix(suffix)
        parts = name.split(".")
        if len(parts) <= 2:
            found = self.lookup(parts[1] if len(parts) == 2 else namespace, parts[0], port)
            if found is not None:
                return found
        routed = lookup(self.route_hosts, host, port)
        return Address(routed[0], routed[1], tls=port == 443) if routed else None


def _key(port: PortKey) -> PortKey:
    return int(port) if isinstance(port, str) and port.isdigit() else port
