"""The HPA scales its Deployment up and down from simulated utilization, capped by min/max."""

from __future__ import annotations

from tests.simulator.controllers.conftest import Cluster, deployment

KNOB = "simulator.quayops.dev/cpu-utilization"


def hpa(name: str, *, low: int = 2, high: int = 5, window: int = 300) -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                     "minReplicas": low, "maxReplicas": high,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": window}}}}


def _load(cluster: Cluster, ns: str, percent: int) -> None:
    cluster.apps.patch_namespaced_deployment("quay", ns, {"metadata": {"annotations": {KNOB: str(percent)}}})


def _replicas(cluster: Cluster, ns: str) -> int:
    return cluster.apps.read_namespaced_deployment("quay", ns).spec.replicas


def _limited(cluster: Cluster, ns: str) -> str:
    h = cluster.autoscaling.read_namespaced_horizontal_pod_autoscaler("quay", ns)
    return next(c.reason for c in h.status.conditions if c.type == "ScalingLimited")


def test_scales_up_to_max_and_back_down_to_min(cluster: Cluster):
    ns = cluster.namespace()
    cluster.apps.create_namespaced_deployment(ns, deployment("quay", replicas=2, requests={"cpu": "2000m"},
                                                             annotations={KNOB: "50"}))
    cluster.autoscaling.create_namespaced_horizontal_pod_autoscaler(ns, hpa("quay", window=60))
    cluster.settle(1)
    assert _replicas(cluster, ns) == 2 and _limited(cluster, ns) == "DesiredWithinRange"

    _load(cluster, ns, 200)
    cluster.until(lambda: _replicas(cluster, ns) == 5, within=60)
    assert _limited(cluster, ns) == "TooManyReplicas"
    status = cluster.autoscaling.read_namespaced_horizontal_pod_autoscaler("quay", ns).status
    assert status.desired_replicas == 5 and status.last_scale_time is not None
    metric = status.current_metrics[0].resource
    assert (metric.name, metric.current.average_utilization, metric.current.average_value) == ("cpu", 200, "4")
    rescales = [e.message for e in cluster.events(ns, "quay") if e.reason == "SuccessfulRescale"]
    assert rescales[0] == "New size: 5; reason: cpu resource utilization (percentage of request) above target"

    _load(cluster, ns, 5)
    cluster.settle(30)
    assert _replicas(cluster, ns) == 5  # held by the scale-down stabilization window
    cluster.until(lambda: _replicas(cluster, ns) == 2, within=120)
    assert _limited(cluster, ns) == "TooFewReplicas"
    read = cluster.autoscaling.read_namespaced_horizontal_pod_autoscaler
    h = cluster.until(lambda: (h := read("quay", ns)).status.current_replicas == 2 and h)  # at the next sync
    assert {c.type: c.reason for c in h.status.conditions}["ScalingActive"] == "ValidMetricFound"
