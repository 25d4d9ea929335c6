"""node-not-ready: the node turns NotReady, its pods are evicted and rescheduled elsewhere; clearing heals it."""

from __future__ import annotations

import pytest

from simulator.store.errors import NotFound
from tests.simulator.controllers.conftest import Cluster, deployment

UNREACHABLE = "node.kubernetes.io/unreachable"


def _ready(cluster: Cluster, node: str) -> str:
    return next(c.status for c in cluster.core.read_node(node).status.conditions if c.type == "Ready")


def _pods(cluster: Cluster, ns: str) -> list:
    return [p for p in cluster.core.list_namespaced_pod(ns).items if not p.metadata.deletion_timestamp]


def _running_ready(cluster: Cluster, ns: str, replicas: int) -> bool:
    pods = _pods(cluster, ns)
    return len(pods) == replicas and all(
        any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or []) for p in pods)


def test_node_goes_not_ready_its_pods_move_and_it_heals(cluster: Cluster):
    ns = cluster.namespace("node")
    cluster.apps.create_namespaced_deployment(ns, deployment("spread", replicas=6))
    cluster.until(lambda: _running_ready(cluster, ns, 6))
    node = _pods(cluster, ns)[0].spec.node_name
    before = {p.metadata.name for p in _pods(cluster, ns) if p.spec.node_name == node}

    fault = cluster.sim.faults.add("node-not-ready", node, for_seconds=600)
    cluster.settle()
    assert _ready(cluster, node) == "Unknown"
    assert {t.key for t in cluster.core.read_node(node).spec.taints or []} == {UNREACHABLE}
    cluster.until(lambda: _running_ready(cluster, ns, 6) and not before & {p.metadata.name for p in _pods(cluster, ns)})
    assert all(p.spec.node_name != node for p in _pods(cluster, ns))
    reasons = {e.reason for e in cluster.core.list_namespaced_event(ns).items}
    assert "TaintManagerEviction" in reasons

    cluster.sim.faults.clear(fault.id)
    cluster.settle()
    assert _ready(cluster, node) == "True"
    assert not cluster.core.read_node(node).spec.taints


def test_unknown_node_is_refused(cluster: Cluster):
    with pytest.raises(NotFound, match='nodes "no-such-node" not found'):
        cluster.sim.faults.add("node-not-ready", "no-such-node")
