"""One simulator with monitoring attached per session, and a Quay-like exporter with known dashboard values.

The exporter stands in for every quay-app pod's port 9091 until the data-plane wiring runs a Quay app per pod.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from quayops.kube.client import Cluster
from quayops.monitoring.client import PrometheusClient
from simulator.dataplane.prometheus import PrometheusServer
from simulator.monitoring import Monitoring, attach_monitoring
from simulator.server import Simulator, start_simulator

ROWS = {"quay_org_rows": 4, "quay_repository_rows": 9, "quay_user_rows": 3, "quay_robot_rows": 2}
ROUTES = ("api.repository", "v2.pull")
_counter = itertools.count()


@dataclass
class Exporter:
    address: str
    stop: threading.Event
    rows: dict[str, int]
    routes: tuple[str, ...]


@pytest.fixture(scope="session")
def exporter() -> Iterator[Exporter]:
    """Row gauges at ROWS; pulls, pushes, logins, CPU and requests on ROUTES counted five times a second."""
    registry = CollectorRegistry()
    for name, value in ROWS.items():
        Gauge(name, name, registry=registry).set(value)
    pulls = Counter("quay_registry_image_pulls_total", "pulls", ["protocol"], registry=registry)
    pushes = Counter("quay_registry_image_pushes_total", "pushes", ["protocol"], registry=registry)
    logins = Counter("quay_authentication_attempts_total", "logins", ["auth_kind", "success"], registry=registry)
    requests = Histogram("quay_request_duration_seconds", "requests", ["method", "route", "status"],
                         registry=registry)
    cpu = Counter("process_cpu_seconds", "cpu", ["process_name"], registry=registry)
    Gauge("process_resident_memory_bytes", "memory", ["host", "process_name"], registry=registry).labels(
        "example-quay-app-1", "gunicorn-web").set(300e6)
    server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
    stop = threading.Event()

    def traffic() -> None:
        while not stop.wait(0.2):
            pulls.labels("v2").inc()
            pushes.labels("v2").inc()
            logins.labels("basic", "True").inc()
            cpu.labels("gunicorn-web").inc(0.02)
            for i, route in enumerate(ROUTES):
                requests.labels("GET", route, "200").observe(0.02 * (i + 1))

    threading.Thread(target=traffic, daemon=True).start()
    yield Exporter(f"127.0.0.1:{server.server_address[1]}", stop, ROWS, ROUTES)
    stop.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def monitored(exporter: Exporter) -> Iterator[tuple[Simulator, Monitoring]]:
    """A simulator running its controllers, with Prometheus scraping the exporter for every quay-app pod."""
    if not PrometheusServer.available():
        pytest.skip("Debian package prometheus is not installed")

    def resolve(namespace: str, pod: str, port: int) -> str | None:
        return exporter.address if "-quay-app-" in pod and port == 9091 else None

    with start_simulator(seed=11, run_controllers=True) as sim, \
            attach_monitoring(sim, resolve_endpoint=resolve) as monitoring:
        yield sim, monitoring


@pytest.fixture(scope="session")
def cluster(monitored) -> Cluster:
    return Cluster(monitored[0].api_client())


@pytest.fixture(scope="session")
def prom(monitored) -> PrometheusClient:
    return PrometheusClient(monitored[1].url)


@pytest.fixture
def namespace(cluster: Cluster) -> str:
    name = f"mon-{next(_counter)}"
    cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


def quay_app(cluster: Cluster, name: str, namespace: str, *, replicas: int = 1) -> None:
    """The quay-app Deployment's shape as the operator renders it: labels and the metrics port."""
    labels = {"quay-component": "quay-app", "quay-operator/quayregistry": name}
    cluster.create({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": f"{name}-quay-app", "namespace": namespace, "labels": labels},
                    "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                             "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                                 "name": "quay-app", "image": "quay.io/projectquay/quay:3.7",
                                 "ports": [{"containerPort": 8080}, {"containerPort": 9091}]}]}}}})


@pytest.fixture(scope="session")
def deploy_quay_app():
    """`deploy_quay_app(cluster, name, namespace)`: a quay-app Deployment whose pods the exporter serves."""
    return quay_app


@pytest.fixture
def poll_until():
    """`poll_until(read, timeout=20)`: the first non-empty, all-finite DataFrame `read()` returns."""
    import time

    def poll(read, *, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while True:
            frame = read()
            if not frame.empty and frame["value"].notna().all() and (frame["value"] > 0).any():
                return frame
            if time.monotonic() > deadline:
                raise AssertionError(f"{frame.attrs.get('query')}: no positive data within {timeout:.0f} s")
            time.sleep(0.5)

    return poll
