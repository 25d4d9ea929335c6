"""A ServiceMonitor in a user namespace becomes a scrape target of a real Prometheus once user-workload monitoring
is on (guide 8.2), its PrometheusRule is loaded, and kube-state-metrics reports the Store's pods."""

from __future__ import annotations

import contextlib

import pytest
import requests

from quayops.kube.client import Cluster
from quayops.kube.errors import NotFoundError
from simulator.controllers.base import Runner
from simulator.controllers.prometheus_operator import PrometheusOperator
from simulator.kube_state_metrics import KubeStateMetricsServer

POD_IP, PORT = "10.128.9.9", 8080


@pytest.fixture
def cluster(api) -> Cluster:
    return Cluster(api)


@pytest.fixture
def operator(sim, prometheus, exporter, cluster):
    """The look-alike on the session simulator's Store, stepped by its own Runner; the exporter plays pod exp-0."""
    def resolve(namespace: str, pod: str, port: int) -> str | None:
        return exporter if (pod, port) == ("exp-0", PORT) else None

    runner = Runner(sim.runner.ctx, [PrometheusOperator(sim.runner.ctx, prometheus=prometheus,
                                                        resolve_endpoint=resolve)])
    yield runner
    runner.stop()
    with contextlib.suppress(NotFoundError):
        cluster.delete("v1", "ConfigMap", "cluster-monitoring-config", namespace="openshift-monitoring")


def create_exporter_objects(cluster: Cluster, ns: str) -> None:
    """A selector-less Service with hand-written Endpoints (the Endpoints controller leaves those alone)."""
    cluster.create({"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": "exp", "namespace": ns, "labels": {"app": "exp"}},
                    "spec": {"ports": [{"name": "metrics", "port": 80, "targetPort": PORT}]}})
    cluster.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "exp", "namespace": ns},
                    "subsets": [{"addresses": [{"ip": POD_IP, "targetRef": {"kind": "Pod", "namespace": ns,
                                                                              "name": "exp-0"}}],
                                 "ports": [{"name": "metrics", "port": PORT}]}]})
    cluster.create({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                    "metadata": {"name": "exp", "namespace": ns},
                    "spec": {"endpoints": [{"port": "metrics"}], "selector": {"matchLabels": {"app": "exp"}}}})
    cluster.create({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
                    "metadata": {"name": "exp-rules", "namespace": ns},
                    "spec": {"groups": [{"name": "exp", "rules": [{"record": "exp:answer", "expr": "exporter_answer"}]}]}})


def test_user_namespace_is_scraped_only_with_user_workload_monitoring(operator, cluster, ns, prometheus, prom_api,
                                                                       poll):
    create_exporter_objects(cluster, ns)
    operator.step()
    assert not [t for t in prom_api(prometheus, "/api/v1/targets")["activeTargets"]
                if t["labels"].get("namespace") == ns]
    assert prom_api(prometheus, "/api/v1/rules")["groups"] == []

    cluster.create({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "cluster-monitoring-config", "namespace": "openshift-monitoring"},
                    "data": {"config.yaml": "enableUserWorkload: true\n"}})
    operator.step()
    target = poll(lambda: [t for t in prom_api(prometheus, "/api/v1/targets")["activeTargets"]
                           if t["labels"].get("namespace") == ns and t["health"] == "up"], what="target up")[0]
    assert target["scrapePool"] == f"serviceMonitor/{ns}/exp/0"
    assert target["labels"] == {"namespace": ns, "service": "exp", "pod": "exp-0", "endpoint": "metrics",
                                "job": "exp", "instance": f"{POD_IP}:{PORT}"}
    up = poll(lambda: prom_api(prometheus, "/api/v1/query", query=f'up{{namespace="{ns}", service="exp"}}')["result"],
              what="up sample")
    assert up[0]["value"][1] == "1"
    assert [g["name"] for g in prom_api(prometheus, "/api/v1/rules")["groups"]] == ["exp"]


def test_kube_state_metrics_reports_pods_from_the_store(sim, cluster, ns):
    cluster.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "restarting", "namespace": ns},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    cluster.patch("v1", "Pod", "restarting", {"status": {"phase": "Running", "containerStatuses": [
        {"name": "c", "image": "busybox", "imageID": "", "ready": True, "restartCount": 7,
         "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}}, namespace=ns, subresource="status")
    with KubeStateMetricsServer(sim.store) as ksm:
        text = requests.get(f"http://{ksm.address}/metrics", timeout=10).text
    lines = [line for line in text.splitlines() if f'namespace="{ns}"' in line]
    assert any(line.startswith("kube_pod_container_status_restarts_total{") and 'pod="restarting"' in line
               and line.endswith(" 7.0") for line in lines)
    assert any(line.startswith("kube_pod_status_phase{") and 'phase="Running"' in line and line.endswith(" 1.0")
               for line in lines)
