"""crash-loop: a Deployment's pods restart with CrashLoopBackOff while the fault lasts, and run again after."""

from __future__ import annotations

from tests.simulator.controllers.conftest import Cluster, deployment


def _statuses(cluster: Cluster, ns: str) -> list:
    return [p.status.container_statuses[0] for p in cluster.core.list_namespaced_pod(ns).items
            if p.status.container_statuses]


def _all_ready(cluster: Cluster, ns: str, replicas: int = 2) -> bool:
    statuses = _statuses(cluster, ns)
    return len(statuses) == replicas and all(s.ready for s in statuses)


def test_crash_loop_grows_restart_count_then_clears(cluster: Cluster):
    ns = cluster.namespace("crash")
    cluster.apps.create_namespaced_deployment(ns, deployment("web"))
    cluster.until(lambda: _all_ready(cluster, ns))

    fault = cluster.sim.faults.add("crash-loop", f"{ns}/web")
    assert (fault.kind, fault.target, fault.until) == ("crash-loop", f"{ns}/web", None)
    cluster.settle(60)
    statuses = _statuses(cluster, ns)
    assert all(s.restart_count >= 3 for s in statuses)
    assert any(s.state.waiting and s.state.waiting.reason == "CrashLoopBackOff" for s in statuses)
    assert [f.id for f in cluster.sim.faults.list()] == [fault.id]

    cluster.sim.faults.clear(fault.id)
    assert cluster.sim.faults.list() == []
    restarts = max(s.restart_count for s in _statuses(cluster, ns))
    cluster.until(lambda: _all_ready(cluster, ns))
    cluster.settle(120)
    statuses = _statuses(cluster, ns)
    assert all(s.ready and s.state.running for s in statuses)
    assert max(s.restart_count for s in statuses) <= restarts + 1  # no more crashes once cleared
    pods = cluster.core.list_namespaced_pod(ns).items
    assert all("simulator.quayops.dev/crash-loop" not in (p.metadata.annotations or {}) for p in pods)


def test_crash_loop_for_a_while_expires_on_the_clock(cluster: Cluster):
    ns = cluster.namespace("crash-timed")
    cluster.apps.create_namespaced_deployment(ns, deployment("api", replicas=1))
    cluster.until(lambda: _all_ready(cluster, ns, 1))

    fault = cluster.sim.faults.add("crash-loop", f"{ns}/api", for_seconds="30s")
    assert fault.until == cluster.clock.now() + 30
    cluster.settle(29)
    assert cluster.sim.faults.list() and _statuses(cluster, ns)[0].restart_count >= 1
    cluster.settle(2)
    assert cluster.sim.faults.list() == []
    cluster.until(lambda: _all_ready(cluster, ns, 1))


def test_crash_loop_reaches_pods_created_while_it_lasts(cluster: Cluster):
    ns = cluster.namespace("crash-new")
    cluster.sim.faults.add("crash-loop", f"{ns}/late")
    cluster.apps.create_namespaced_deployment(ns, deployment("late", replicas=1))
    cluster.settle(60)
    assert _statuses(cluster, ns)[0].restart_count >= 2
