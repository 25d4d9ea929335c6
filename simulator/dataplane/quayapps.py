"""The Quay application behind each registry's quay-app pods: one QuayAppServer per QuayRegistry, serving while
the `<name>-quay-app` Deployment has a ready pod, stopped at 0 (writes really stop), restarted with the new
config when the Deployment mounts another config Secret (a config change rolls the pods)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg

from simulator.controllers.base import Context, Key, Watched
from simulator.dataplane.directory import Address, ServiceDirectory
from simulator.dataplane.processes import LOOPBACK, StartGate, run_each
from simulator.dataplane.quayapp import QuayAppServer
from simulator.dataplane.registries import (
    final_config,
    mounted_secret,
    read_secret,
    ready_replicas,
    registry_keys,
)

log = logging.getLogger(__name__)

METRICS_PORT = 9091
RETRY = 2.0  # seconds before another start attempt (database or bucket not there yet)


@dataclass
class QuayApp:
    server: QuayAppServer
    source: tuple[str | None, str | None] | None  # (config Secret, TLS Secret) it serves; None: not started


class QuayApps:
    """Controller: quay-app Deployments → running Quay apps, registered as the `<name>-quay-app` Service."""

    name = "quay-apps"

    def __init__(self, ctx: Context, directory: ServiceDirectory, *, storage_verify: bool | str = True) -> None:
        self.ctx, self.directory, self.storage_verify = ctx, directory, storage_verify
        self.apps: dict[Key, QuayApp] = {}
        self._gate = StartGate()
        self.watches = (Watched("apps/v1", "Deployment", registry_keys),)

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        deployment = self.ctx.read("apps/v1", "Deployment", f"{name}-quay-app", ns)
        current = self.apps.get(key)
        if ready_replicas(deployment) < 1:
            self._stop(key, forget=deployment is None)
            return None
        assert deployment is not None
        hostname = self._pod_name(deployment, keep=current.server.hostname if current is not None else None)
        config_secret, config = final_config(self.ctx, deployment)
        tls_secret = mounted_secret(deployment, "-quay-config-tls-")
        source = (config_secret, tls_secret)
        if current is not None and current.source == source and current.server.running:
            current.server.hostname = hostname
            return None
        if not config:
            return RETRY
        files = read_secret(self.ctx, tls_secret, ns)
        tls = (files["ssl.cert"], files["ssl.key"]) if files.get("ssl.cert") and files.get("ssl.key") else None
        old = current.server if current is not None else None
        if old is not None:
            old.stop()
        server = QuayAppServer(config, port=old.port if old else 0, metrics_port=old.metrics_port if old else 0,
                               tls_port=old.tls_port if old else 0, tls=tls, resolve=self._resolver(ns),
                               storage_verify=self.storage_verify, hostname=hostname)
        with self._gate as open_:
            if not open_:
                return None  # the data plane is stopping
            self.apps[key] = QuayApp(server, None)  # known before it serves: stop() sees it
            try:
                server.start()
            except (OSError, ValueError, RuntimeError, psycopg.Error) as e:
                log.warning("Quay for %s/%s not serving yet: %s: %s", ns, name, type(e).__name__, str(e)[:200])
                return RETRY
        self.apps[key] = QuayApp(server, source)
        self._register(ns, name, server)
        log.info("Quay for %s/%s serving on %s (config %s)", ns, name, server.url, config_secret)
        return None

    def _pod_name(self, deployment: dict, *, keep: str | None) -> str | None:
        """A ready pod of the Deployment, `keep` while it stays ready (else the first by name): the `host` Quay's
        metrics carry, stable so that their series do not restart when replicas come and go."""
        labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        pods = self.ctx.list("v1", "Pod", deployment["metadata"]["namespace"],
                             label_selector=",".join(f"{k}={v}" for k, v in sorted(labels.items())))
        ready = sorted(p["metadata"]["name"] for p in pods if any(
            c.get("type") == "Ready" and c.get("status") == "True" for c in (p.get("status") or {}).get("conditions") or []))
        return keep if keep in ready else ready[0] if ready else None

    def _resolver(self, namespace: str):
        def resolve(host: str, port: int) -> tuple[str, int, bool] | tuple[str, int]:
            found = self.directory.resolve(host, port, namespace=namespace)
            return (found.host, found.port, found.tls) if found is not None else (host, port)
        return resolve

    def _register(self, ns: str, name: str, server: QuayAppServer) -> None:
        plain = Address(LOOPBACK, server.port)
        ports: dict[str | int, Address] = {p: plain for p in ("http", 80, 8080)}
        if server.tls_port:
            ports |= {p: Address(LOOPBACK, server.tls_port, tls=True) for p in ("https", 443, 8443)}
        metrics = Address(LOOPBACK, server.metrics_port)
        self.directory.register(ns, f"{name}-quay-app", {**ports, METRICS_PORT: metrics})
        self.directory.register(ns, f"{name}-quay-metrics", {p: metrics for p in (METRICS_PORT, "quay-metrics")})

    def _stop(self, key: Key, *, forget: bool) -> None:
        app = self.apps.pop(key, None) if forget else self.apps.get(key)
        if app is not None:
            app.server.stop()
            app.source = None
        for service in ("quay-app", "quay-metrics"):
            self.directory.unregister(key[0], f"{key[1]}-{service}")

    def metrics_endpoint(self, namespace: str, pod: str, port: int) -> str | None:
        """`resolve_endpoint` for monitoring: a quay-app pod's 9091 → its registry's Quay metrics listener."""
        if port != METRICS_PORT:
            return None
        for (ns, name), app in self.apps.items():
            if ns == namespace and pod.startswith(f"{name}-quay-app-") and app.source and app.server.running:
                return f"{LOOPBACK}:{app.server.metrics_port}"
        return None

    def stop(self) -> None:
        """Start no more apps (waiting for a start in progress), then stop every one."""
        self._gate.close()
        run_each([lambda key=key: self._stop(key, forget=True) for key in list(self.apps)])
