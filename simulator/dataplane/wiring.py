"""`DataPlane`: the real servers beside a running Simulator and the controllers that tie them to its Store.

PostgreSQL (the "external" one; each managed database gets its own), SeaweedFS, Redis (when installed) and
Prometheus on 127.0.0.1; the router; real buckets; a Quay app per registry; config editors. Where things listen is published for runbooks in ConfigMap
and Secret `simulator/simulator-dataplane` and, as the resolve map, in the kubeconfig extension
`quayops.dev/resolve` on the `simulator` context.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from quayops.kube.resolve import EXTENSION, parse_resolve
from simulator.controllers.base import Runner
from simulator.controllers.prometheus_operator import MONITORING_NAMESPACE
from simulator.dataplane.backends import ManagedBackends
from simulator.dataplane.configeditor import ConfigEditors
from simulator.dataplane.directory import Address, ServiceDirectory
from simulator.dataplane.loop import LoopThread
from simulator.dataplane.objectstore import REGION, SeaweedServer
from simulator.dataplane.postgres import SERVER_USER, PostgresServer
from simulator.dataplane.processes import LOOPBACK, run_each, start_on_free_ports
from simulator.dataplane.provisioner import SeaweedBuckets
from simulator.dataplane.quayapps import QuayApps
from simulator.dataplane.redis import RedisServer
from simulator.dataplane.router import Router, RouteTable
from simulator.kubeconfig import issue_certificate
from simulator.monitoring import QUERIER, Monitoring, attach_monitoring
from simulator.profiles import NOOBAA_NAMESPACE
from simulator.store import Store
from simulator.store.errors import AlreadyExists, NotFound

if TYPE_CHECKING:
    from simulator.server import Simulator

log = logging.getLogger(__name__)

NAMESPACE = "simulator"
PUBLISHED = "simulator-dataplane"
INGRESS_NAMESPACE, ROUTER_CERTS = "openshift-ingress", "router-certs-default"
FIELD_MANAGER = "simulator-dataplane"


class DataPlane:
    """Create it before the Simulator (its `buckets` is the simulator's bucket provisioner); the Simulator calls
    `start(sim)` once its API serves and `stop()` when it stops. `data_dir` keeps PostgreSQL's and SeaweedFS's
    data across runs; otherwise everything lives in temp dirs removed on stop."""

    def __init__(self, *, data_dir: str | Path | None = None, redis: bool | None = None) -> None:
        root = Path(data_dir) if data_dir is not None else None
        self._data_dir = root
        self.postgres = PostgresServer(data_dir=root / "postgres" if root else None)
        self.seaweed = SeaweedServer(data_dir=root / "s3" if root else None)
        self.redis = RedisServer() if (RedisServer.available() if redis is None else redis) else None
        self.buckets = SeaweedBuckets(self.seaweed)
        self.directory = ServiceDirectory()
        self.loop = LoopThread()
        self.router: Router | None = None
        self.monitoring: Monitoring | None = None
        self.quay_apps: QuayApps | None = None
        self.editors: ConfigEditors | None = None
        self.backends: ManagedBackends | None = None
        self.runner: Runner | None = None
        self._sim: Simulator | None = None
        self._workdir: Path | None = None
        self._extra_hosts: set[str] = set()
        self._certificate: tuple[bytes, bytes] = (b"", b"")
        self._publish_lock = threading.Lock()

    # ---- life cycle ---------------------------------------------------------------------------

    def start(self, sim: Simulator) -> DataPlane:
        """Start the servers side by side, then the router and the controllers; raises ServerStartError."""
        self._sim = sim
        self._workdir = Path(tempfile.mkdtemp(prefix="quayops-dataplane-"))
        ca_file = self._workdir / "ca.crt"
        ca_file.write_bytes(sim.tls.ca_pem)
        servers: list[Any] = [self.postgres, self.seaweed, *([self.redis] if self.redis else [])]
        with ThreadPoolExecutor(len(servers) + 1) as pool:
            started = [pool.submit(start_on_free_ports, s) for s in servers]
            monitoring = pool.submit(attach_monitoring, sim, resolve_endpoint=self._metrics_endpoint)
            apps_domain = sim.profile.apps_domain
            self._certificate = issue_certificate(sim.tls, [f"*.{apps_domain}", apps_domain])
            self.loop.start()
            self.router = Router(self.directory, certificate=self._certificate, on_hosts=self._on_hosts)
            self.loop.run(self.router.start())
            for future in [*started, monitoring]:
                future.result()
        self.monitoring = monitoring.result()
        self._register_platform_services()
        ctx = sim.runner.ctx
        self.quay_apps = QuayApps(ctx, self.directory, storage_verify=str(ca_file))
        self.editors = ConfigEditors(ctx, self.directory, self.loop)
        self.backends = ManagedBackends(ctx, self.directory, redis=self.redis,
                                        data_dir=self._data_dir / "databases" if self._data_dir else None)
        self.runner = Runner(ctx, [RouteTable(ctx, self.router), self.backends, self.quay_apps, self.editors])
        sim.store.bootstrappers.append(self._bootstrap)
        self._bootstrap(sim.store)
        self.runner.run()
        return self

    def stop(self) -> None:
        """Stop controllers, apps, router and servers; leaves no process and no temp dir behind, even when a
        step fails (every step runs; the first failure is raised at the end).

        The controllers that start servers close their gates first: a reconcile still running (the runner's
        join may time out) cannot start a server after this point, and one starting now is waited for.
        """
        first = (self.backends, self.quay_apps, self.runner, self.editors)  # the gates first; None: not started
        run_each([
            *[part.stop for part in first if part is not None],
            *([self._stop_router] if self.router is not None else []),
            self.loop.stop,
            *([self.monitoring.stop] if self.monitoring is not None else []),
            self._unhook_bootstrap,
            self._stop_servers,
            self._remove_workdir,
        ])

    def _stop_router(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError):
            self.loop.run(self.router.stop(), timeout=10)

    def _unhook_bootstrap(self) -> None:
        if self._sim is not None and self._bootstrap in self._sim.store.bootstrappers:
            self._sim.store.bootstrappers.remove(self._bootstrap)

    def _stop_servers(self) -> None:
        servers = [s for s in (self.postgres, self.seaweed, self.redis) if s is not None]
        with ThreadPoolExecutor(len(servers)) as pool:
            futures = [pool.submit(s.stop) for s in servers]
        run_each([f.result for f in futures])

    def _remove_workdir(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    # ---- where things are -----------------------------------------------------------------------

    @property
    def resolve_entries(self) -> list[str]:
        """`host:port:address:port` entries: every route host under the apps domain, plus other admitted hosts."""
        assert self.router is not None and self._sim is not None
        https, http = self.router.https_port, self.router.http_port
        hosts = [f"*.{self._sim.profile.apps_domain}", *sorted(self._extra_hosts)]
        return [entry for host in hosts
                for entry in (f"{host}:443:{LOOPBACK}:{https}", f"{host}:80:{LOOPBACK}:{http}")]

    @property
    def resolve(self) -> str:
        """The map as `QUAYOPS_RESOLVE` takes it."""
        return ",".join(self.resolve_entries)

    def addresses(self) -> dict[str, str]:
        """Where the servers listen, for runbooks that point an unmanaged component at them (no secrets)."""
        assert self.router is not None and self._sim is not None
        data = {"postgres.host": self.postgres.host, "postgres.port": str(self.postgres.port),
                "postgres.user": SERVER_USER, "s3.endpoint": self.seaweed.endpoint, "s3.region": REGION,
                "router.https": f"{LOOPBACK}:{self.router.https_port}",
                "router.http": f"{LOOPBACK}:{self.router.http_port}",
                "apps-domain": self._sim.profile.apps_domain, "resolve": self.resolve}
        if self.redis is not None:
            data |= {"redis.host": self.redis.host, "redis.port": str(self.redis.port)}
        if self.monitoring is not None:
            data["prometheus.url"] = self.monitoring.url
        return data

    def _metrics_endpoint(self, namespace: str, pod: str, port: int) -> str | None:
        return self.quay_apps.metrics_endpoint(namespace, pod, port) if self.quay_apps is not None else None

    def _register_platform_services(self) -> None:
        """NooBaa's `s3` Service → SeaweedFS (plain HTTP), `thanos-querier` → Prometheus."""
        s3 = Address(LOOPBACK, self.seaweed.s3_port)
        self.directory.register(NOOBAA_NAMESPACE, "s3", {p: s3 for p in ("s3", "s3-https", 80, 443, 6001, 6443)})
        if self.monitoring is not None:
            prometheus = Address(LOOPBACK, self.monitoring.prometheus.port)
            self.directory.register(MONITORING_NAMESPACE, QUERIER, {p: prometheus for p in ("web", 9091, 9090)})

    # ---- publishing -----------------------------------------------------------------------------

    def _on_hosts(self, hosts: set[str]) -> None:
        """Admitted hosts changed: hosts outside the apps domain need their own resolve entries."""
        assert self._sim is not None
        extra = {h for h in hosts if not h.endswith(f".{self._sim.profile.apps_domain}")}
        if extra != self._extra_hosts:
            self._extra_hosts = extra
            self._publish(self._sim.store)

    def _bootstrap(self, store: Store) -> None:
        """Publish addresses, the S3 admin keys and the router's certificate (again after a reset)."""
        assert self._sim is not None
        for obj in ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
                    {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                     "metadata": {"name": PUBLISHED, "namespace": NAMESPACE},
                     "stringData": {"s3.access-key": self.seaweed.admin_access_key,
                                    "s3.secret-key": self.seaweed.admin_secret_key}},
                    router_certs_secret(self._certificate), noobaa_endpoint()):
            with contextlib.suppress(AlreadyExists):
                store.create(store.kind(obj["apiVersion"], obj["kind"]), obj, field_manager=FIELD_MANAGER)
        self._publish(store)

    def _publish(self, store: Store) -> None:
        with self._publish_lock:
            self.directory.route_hosts = parse_resolve(self.resolve)
            config_map = {"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"name": PUBLISHED, "namespace": NAMESPACE}, "data": self.addresses()}
            kind = store.kind("v1", "ConfigMap")
            try:
                store.patch(kind, PUBLISHED, {"data": config_map["data"]}, "application/merge-patch+json",
                            namespace=NAMESPACE, field_manager=FIELD_MANAGER)
            except NotFound:
                store.create(kind, config_map, field_manager=FIELD_MANAGER)
            assert self._sim is not None
            write_resolve_extension(self._sim.kubeconfig_path, self.resolve_entries)


def write_resolve_extension(kubeconfig: Path, entries: list[str]) -> None:
    """Set extension `quayops.dev/resolve` on the current context (atomically; the file stays 0600)."""
    doc = yaml.safe_load(kubeconfig.read_text()) or {}
    for context in doc.get("contexts") or []:
        if context.get("name") == doc.get("current-context"):
            body = context.setdefault("context", {})
            others = [e for e in body.get("extensions") or [] if e.get("name") != EXTENSION]
            body["extensions"] = [*others, {"name": EXTENSION, "extension": {"resolve": entries}}]
    tmp = kubeconfig.with_name(f".{kubeconfig.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as sink:
        sink.write(yaml.safe_dump(doc, sort_keys=False))
    os.replace(tmp, kubeconfig)


def noobaa_endpoint() -> dict[str, Any]:
    """NooBaa's S3 endpoint Deployment: its pods are what the `s3` Service selects, so `oc port-forward` to the
    Service (or a pod) reaches SeaweedFS."""
    labels = {"app": "noobaa", "noobaa-s3": "noobaa"}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "noobaa-endpoint", "namespace": NOOBAA_NAMESPACE, "labels": {"app": "noobaa"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"noobaa-s3": "noobaa"}},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                         "name": "endpoint", "image": "registry.redhat.io/odf4/mcg-core-rhel9:v4.16",
                         "ports": [{"containerPort": 6001, "name": "s3"}, {"containerPort": 6443, "name": "s3-https"}],
                     }]}}}}


def router_certs_secret(certificate: tuple[bytes, bytes]) -> dict[str, Any]:
    """OpenShift's default ingress certificate Secret, `openshift-ingress/router-certs-default`."""
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": ROUTER_CERTS, "namespace": INGRESS_NAMESPACE},
            "data": {"tls.crt": base64.b64encode(certificate[0]).decode(),
                     "tls.key": base64.b64encode(certificate[1]).decode()}}
