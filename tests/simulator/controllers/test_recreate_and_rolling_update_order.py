"""Recreate removes every old pod before a new one exists; RollingUpdate keeps availability within
maxSurge/maxUnavailable while old and new pods overlap."""

from __future__ import annotations

from tests.simulator.controllers.conftest import Cluster, deployment

NEW_IMAGE = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}}}}


def _trace(cluster: Cluster, ns: str, name: str) -> list[tuple[int, int, int]]:
    """(old pods, new pods, ready pods) at each tick until the update completes."""
    seen: list[tuple[int, int, int]] = []

    def done() -> bool:
        pods = cluster.core.list_namespaced_pod(ns).items
        new = sum(1 for p in pods if p.spec.containers[0].image == "nginx:1.26")
        ready = sum(1 for p in pods if p.status.container_statuses and p.status.container_statuses[0].ready)
        seen.append((len(pods) - new, new, ready))
        return new == 4 and len(pods) == 4 and ready == 4
    cluster.until(done, tick=0.05)
    return seen


def test_recreate_scales_old_to_zero_before_creating_new(cluster: Cluster):
    ns = cluster.namespace()
    cluster.apps.create_namespaced_deployment(ns, deployment("db", replicas=4, strategy={"type": "Recreate"}))
    cluster.until(lambda: cluster.apps.read_namespaced_deployment("db", ns).status.available_replicas == 4)
    cluster.apps.patch_namespaced_deployment("db", ns, NEW_IMAGE)
    trace = _trace(cluster, ns, "db")
    assert all(old == 0 for old, new, _ in trace if new), trace
    scaling = [e.message.split(" replica set ")[0] for e in cluster.events(ns, "db") if e.reason == "ScalingReplicaSet"]
    assert scaling == ["Scaled up", "Scaled down", "Scaled up"]


def test_rolling_update_overlaps_within_surge_and_unavailable(cluster: Cluster):
    ns = cluster.namespace()
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    cluster.apps.create_namespaced_deployment(ns, deployment("app", replicas=4, strategy=strategy))
    cluster.until(lambda: cluster.apps.read_namespaced_deployment("app", ns).status.available_replicas == 4)
    cluster.apps.patch_namespaced_deployment("app", ns, NEW_IMAGE)
    trace = _trace(cluster, ns, "app")
    assert any(old and new for old, new, _ in trace), "old and new pods should overlap"
    assert all(old + new <= 5 for old, new, _ in trace), trace
    assert all(ready >= 4 for _, _, ready in trace), trace
