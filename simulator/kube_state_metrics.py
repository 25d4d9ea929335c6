"""kube-state-metrics for the simulator: pod and deployment state from the Store, by kube-state-metrics' names.

Served on 127.0.0.1 with prometheus_client; values are read from the Store at scrape time, as the real
exporter reads its informers' caches. Mirrors kube-state-metrics v2 `internal/store/{pod,deployment}.go`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Self

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from simulator.store import Store

LOOPBACK = "127.0.0.1"
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
POD = ["namespace", "pod", "uid"]
CONTAINER = [*POD, "container"]
DEPLOYMENT = ["namespace", "deployment"]
# gauge name → (help, status field) of kube_deployment_status_*
DEPLOYMENT_STATUS = {
    "kube_deployment_status_replicas": ("The number of replicas per deployment.", "replicas"),
    "kube_deployment_status_replicas_available": ("The number of available replicas per deployment.",
                                                  "availableReplicas"),
    "kube_deployment_status_replicas_unavailable": ("The number of unavailable replicas per deployment.",
                                                    "unavailableReplicas"),
    "kube_deployment_status_replicas_updated": ("The number of updated replicas per deployment.",
                                                "updatedReplicas"),
    "kube_deployment_status_replicas_ready": ("The number of ready replicas per deployment.", "readyReplicas"),
    "kube_deployment_status_observed_generation": ("The generation observed by the deployment controller.",
                                                   "observedGeneration"),
}


def _pod_ready(status: Mapping[str, Any]) -> str:
    for c in status.get("conditions") or []:
        if c.get("type") == "Ready":
            return {"True": "true", "False": "false"}.get(c.get("status"), "unknown")
    return "unknown"


class KubeStateCollector(Collector):
    """The Store's pods and deployments as kube-state-metrics families, built anew on every scrape."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _items(self, api_version: str, kind: str) -> list[dict[str, Any]]:
        return self.store.list(self.store.kind(api_version, kind)).items

    def collect(self) -> Iterator[Metric]:
        yield from self._pods(self._items("v1", "Pod"))
        yield from self._deployments(self._items("apps/v1", "Deployment"))

    def _pods(self, pods: list[dict[str, Any]]) -> Iterator[Metric]:
        info = GaugeMetricFamily("kube_pod_info", "Information about pod.",
                                 labels=[*POD, "host_ip", "pod_ip", "node", "created_by_kind", "created_by_name"])
        phase = GaugeMetricFamily("kube_pod_status_phase", "The pods current phase.", labels=[*POD, "phase"])
        ready = GaugeMetricFamily("kube_pod_status_ready", "Describes whether the pod is ready to serve requests.",
                                  labels=[*POD, "condition"])
        restarts = CounterMetricFamily("kube_pod_container_status_restarts",
                                       "The number of container restarts per container.", labels=CONTAINER)
        c_ready = GaugeMetricFamily("kube_pod_container_status_ready",
                                    "Describes whether the containers readiness check succeeded.", labels=CONTAINER)
        running = GaugeMetricFamily("kube_pod_container_status_running",
                                    "Describes whether the container is currently in running state.",
                                    labels=CONTAINER)
        waiting = GaugeMetricFamily("kube_pod_container_status_waiting_reason",
                                    "Describes the reason the container is currently in waiting state.",
                                    labels=[*CONTAINER, "reason"])
        for pod in pods:
            meta, status = pod["metadata"], pod.get("status") or {}
            key = [meta["namespace"], meta["name"], meta["uid"]]
            owner = next((r for r in meta.get("ownerReferences") or [] if r.get("controller")), {})
            info.add_metric([*key, status.get("hostIP", ""), status.get("podIP", ""),
                             (pod.get("spec") or {}).get("nodeName", ""), owner.get("kind", "<none>"),
                             owner.get("name", "<none>")], 1)
            current = status.get("phase", "Pending")
            for p in PHASES:
                phase.add_metric([*key, p], float(p == current))
            state = _pod_ready(status)
            for condition in ("true", "false", "unknown"):
                ready.add_metric([*key, condition], float(condition == state))
            for c in status.get("containerStatuses") or []:
                labels = [*key, c["name"]]
                restarts.add_metric(labels, c.get("restartCount", 0))
                c_ready.add_metric(labels, float(bool(c.get("ready"))))
                running.add_metric(labels, float("running" in (c.get("state") or {})))
                reason = ((c.get("state") or {}).get("waiting") or {}).get("reason")
                if reason:
                    waiting.add_metric([*labels, reason], 1)
        yield from (info, phase, ready, restarts, c_ready, running, waiting)

    def _deployments(self, deployments: list[dict[str, Any]]) -> Iterator[Metric]:
        spec_replicas = GaugeMetricFamily("kube_deployment_spec_replicas",
                                          "Number of desired pods for a deployment.", labels=DEPLOYMENT)
        generation = GaugeMetricFamily("kube_deployment_metadata_generation",
                                       "Sequence number representing a specific generation of the desired state.",
                                       labels=DEPLOYMENT)
        families = {name: GaugeMetricFamily(name, help_, labels=DEPLOYMENT)
                    for name, (help_, _) in DEPLOYMENT_STATUS.items()}
        for d in deployments:
            meta, status = d["metadata"], d.get("status") or {}
            labels = [meta["namespace"], meta["name"]]
            spec_replicas.add_metric(labels, (d.get("spec") or {}).get("replicas", 1))
            generation.add_metric(labels, meta.get("generation", 0))
            for name, (_, field) in DEPLOYMENT_STATUS.items():
                families[name].add_metric(labels, status.get(field, 0))
        yield from (spec_replicas, generation, *families.values())


class KubeStateMetricsServer:
    """`/metrics` of a KubeStateCollector on 127.0.0.1 (`address`), served from prometheus_client's thread."""

    def __init__(self, store: Store, *, port: int = 0) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(KubeStateCollector(store))
        self._requested_port = port
        self.port = 0
        self._server: Any = None

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        self._server, _ = start_http_server(self._requested_port, addr=LOOPBACK, registry=self.registry)
        self.port = self._server.server_address[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.port = 0

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
