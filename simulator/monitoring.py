"""OpenShift monitoring for a running Simulator: a real Prometheus, kube-state-metrics and prometheus-operator.

`attach_monitoring(sim, resolve_endpoint=...)` starts them beside the simulator and returns a `Monitoring`
handle; the Route `thanos-querier` in openshift-monitoring names where quayops finds the query API.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from simulator.controllers.base import Runner
from simulator.controllers.prometheus_operator import (
    MONITORING_NAMESPACE,
    PrometheusOperator,
    ResolveEndpoint,
)
from simulator.dataplane.prometheus import PrometheusServer
from simulator.kube_state_metrics import KubeStateMetricsServer
from simulator.store import Store
from simulator.store.errors import AlreadyExists, NotFound

if TYPE_CHECKING:
    from simulator.server import Simulator

QUERIER = "thanos-querier"
ROUTE = "route.openshift.io/v1"


def kube_state_metrics_job(address: str) -> dict[str, Any]:
    """The platform's kube-state-metrics scrape job; honor_labels keeps the exporter's namespace and pod."""
    return {"job_name": "kube-state-metrics", "honor_labels": True,
            "static_configs": [{"targets": [address], "labels": {
                "job": "kube-state-metrics", "namespace": MONITORING_NAMESPACE, "service": "kube-state-metrics",
                "container": "kube-rbac-proxy-main", "endpoint": "https-main"}}]}


def querier_route(apps_domain: str) -> dict[str, Any]:
    """OpenShift's `thanos-querier` Route; plain HTTP here because the simulator's Prometheus serves HTTP."""
    return {"apiVersion": ROUTE, "kind": "Route",
            "metadata": {"name": QUERIER, "namespace": MONITORING_NAMESPACE,
                         "labels": {"app.kubernetes.io/name": QUERIER}},
            "spec": {"host": f"{QUERIER}-{MONITORING_NAMESPACE}.{apps_domain}",
                     "to": {"kind": "Service", "name": QUERIER, "weight": 100}, "port": {"targetPort": "web"},
                     "wildcardPolicy": "None"}}


@dataclass
class Monitoring:
    """What `attach_monitoring` started; `resolve` is the `QUAYOPS_RESOLVE` entry for the querier Route."""

    store: Store
    prometheus: PrometheusServer
    kube_state_metrics: KubeStateMetricsServer
    operator: PrometheusOperator
    runner: Runner
    route_host: str
    _bootstrap: Callable[[Store], None] = field(repr=False)

    @property
    def url(self) -> str:
        return self.prometheus.url

    @property
    def resolve(self) -> str:
        """`host:port:address:port` mapping the Route's host to Prometheus on loopback."""
        return f"{self.route_host}:80:127.0.0.1:{self.prometheus.port}"

    def stop(self) -> None:
        self.runner.stop()
        if self._bootstrap in self.store.bootstrappers:
            self.store.bootstrappers.remove(self._bootstrap)
        if self.store.resources.by_gvk(ROUTE, "Route") is not None:
            with contextlib.suppress(NotFound):
                self.store.delete(self.store.kind(ROUTE, "Route"), QUERIER, MONITORING_NAMESPACE)
        self.kube_state_metrics.stop()
        self.prometheus.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def attach_monitoring(sim: Simulator, *, resolve_endpoint: ResolveEndpoint, scrape_interval: str = "1s",
                      evaluation_interval: str = "1s", time_scale: float | None = None,
                      run: bool = True) -> Monitoring:
    """Start Prometheus and kube-state-metrics on loopback and a prometheus-operator over `sim`'s Store.

    The operator gets its own Runner on the simulator's Context: a thread with `run`, else the caller
    steps `monitoring.runner`. `resolve_endpoint(namespace, pod, port)` maps a pod's metrics port to the
    loopback address its data-plane server listens on, or None when nothing runs for it.
    """
    ctx = sim.runner.ctx
    route = querier_route(ctx.profile.apps_domain)

    def bootstrap(store: Store) -> None:
        if store.resources.by_gvk(ROUTE, "Route") is not None:
            with contextlib.suppress(AlreadyExists):
                store.create(store.kind(ROUTE, "Route"), route, field_manager="cluster-monitoring-operator")

    prometheus = PrometheusServer(scrape_interval=scrape_interval, evaluation_interval=evaluation_interval)
    ksm = KubeStateMetricsServer(sim.store)
    operator = PrometheusOperator(ctx, prometheus=prometheus, resolve_endpoint=resolve_endpoint,
                                  time_scale=time_scale)
    monitoring = Monitoring(sim.store, prometheus, ksm, operator, Runner(ctx, [operator]), route["spec"]["host"],
                            bootstrap)
    try:
        prometheus.start()
        ksm.start()
        operator.extra_scrape_configs = [kube_state_metrics_job(ksm.address)]
        sim.store.bootstrappers.append(bootstrap)
        bootstrap(sim.store)
        if run:
            monitoring.runner.run()
        else:
            monitoring.runner.step()
    except BaseException:
        monitoring.stop()
        raise
    return monitoring
