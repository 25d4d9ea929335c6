"""The Runner and clock: manual jumps walk every due stage, threads drive a real-time cluster, the
`openshift` profile boots like a fresh cluster (and again after a reset), StatefulSets go in order."""

from __future__ import annotations

import time

import pytest
from kubernetes import client

from simulator.clock import Clock
from simulator.profiles import PROFILES
from simulator.server import start_simulator
from simulator.stages import PACES, parse_duration
from tests.simulator.controllers.conftest import Cluster, deployment


def test_clock_advance_walks_through_each_stage(cluster: Cluster):
    ns = cluster.namespace()
    cluster.apps.create_namespaced_deployment(ns, deployment("web", replicas=1))
    cluster.settle()
    before = cluster.clock.now()
    cluster.clock.advance(3600)  # one jump: the pod still passes ContainerCreating → Running at its own times
    assert cluster.clock.now() == pytest.approx(before + 3600)
    (pod,) = cluster.core.list_namespaced_pod(ns).items
    started = pod.status.container_statuses[0].state.running.started_at.timestamp()
    assert before <= started < before + 5


def test_profile_boots_a_fresh_openshift_cluster(cluster: Cluster):
    names = {n.metadata.name for n in cluster.core.list_namespace().items}
    assert {"openshift-operators", "openshift-marketplace", "openshift-monitoring",
            "openshift-user-workload-monitoring", "openshift-config-managed", "openshift-storage"} <= names
    nodes = cluster.core.list_node().items
    masters = [n for n in nodes if "node-role.kubernetes.io/master" in n.metadata.labels]
    assert (len(masters), len(nodes)) == (3, 9)
    assert all(n.spec.taints[0].key == "node-role.kubernetes.io/master" for n in masters)
    assert {n.status.allocatable["cpu"] for n in nodes} == {"7500m"}
    og = cluster.custom.get_namespaced_custom_object("operators.coreos.com", "v1", "openshift-operators",
                                                     "operatorgroups", "global-operators")
    assert og["status"]["namespaces"] == [""]
    noobaa = cluster.custom.get_namespaced_custom_object("noobaa.io", "v1alpha1", "openshift-storage", "noobaas",
                                                         "noobaa")
    assert noobaa["status"]["phase"] == "Ready"
    classes = client.StorageV1Api(cluster.api).list_storage_class().items
    assert "openshift-storage.noobaa.io" in {c.metadata.name for c in classes}


def test_reset_boots_the_profile_again(make_cluster):
    cluster: Cluster = make_cluster()
    cluster.sim.store.reset()
    cluster.settle(1)
    assert len(cluster.core.list_node().items) == 9
    ns = cluster.namespace()
    cluster.apps.create_namespaced_deployment(ns, deployment("web", replicas=1))
    cluster.until(lambda: cluster.apps.read_namespaced_deployment("web", ns).status.ready_replicas == 1)


def test_kubernetes_profile_has_no_openshift_namespaces(make_cluster):
    cluster: Cluster = make_cluster(PROFILES["kubernetes"])
    names = {n.metadata.name for n in cluster.core.list_namespace().items}
    assert not any(n.startswith("openshift-") for n in names)
    assert len(cluster.core.list_node().items) == 4


def test_controllers_in_threads_roll_out_in_real_time():
    with start_simulator(seed=3, run_controllers=True) as sim:
        apps, core = client.AppsV1Api(sim.api_client()), client.CoreV1Api(sim.api_client())
        core.create_namespace({"metadata": {"name": "live"}})
        apps.create_namespaced_deployment("live", deployment("web", replicas=3))
        deadline = time.monotonic() + 20
        while apps.read_namespaced_deployment("web", "live").status.ready_replicas != 3:
            assert time.monotonic() < deadline, "rollout did not finish in 20 s at the fast pace"
            time.sleep(0.05)
        assert not sim.runner.errors


def test_accelerated_clock_runs_faster_than_real_time():
    clock = Clock.accelerated(100.0)
    start = clock.now()
    time.sleep(0.05)
    assert clock.now() - start >= 4.0


def test_paces_and_durations():
    assert PACES["immediate"].stage("pod-start").delay == 0
    assert PACES["fast"].stage("pod-start").delay < 1 < PACES["realistic"].stage("pod-start").delay
    assert [parse_duration(t) for t in ("30s", "2m", "250ms", "1.5")] == [30, 120, 0.25, 1.5]


def test_statefulset_creates_ordinals_in_order(cluster: Cluster):
    ns = cluster.namespace()
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "redis"},
           "spec": {"replicas": 3, "serviceName": "redis", "selector": {"matchLabels": {"app": "redis"}},
                    "template": {"metadata": {"labels": {"app": "redis"}},
                                 "spec": {"containers": [{"name": "redis", "image": "redis:7"}]}},
                    "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}
    cluster.apps.create_namespaced_stateful_set(ns, sts)
    cluster.settle()
    assert [p.metadata.name for p in cluster.core.list_namespaced_pod(ns).items] == ["redis-0"]
    cluster.until(lambda: cluster.apps.read_namespaced_stateful_set("redis", ns).status.ready_replicas == 3)
    assert sorted(p.metadata.name for p in cluster.core.list_namespaced_persistent_volume_claim(ns).items) == [
        "data-redis-0", "data-redis-1", "data-redis-2"]
    status = cluster.apps.read_namespaced_stateful_set("redis", ns).status
    assert status.current_revision == status.update_revision and status.updated_replicas == 3
