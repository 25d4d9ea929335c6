"""pvc-pending keeps a claim Pending and route-stall keeps a Route unadmitted, until cleared or expired."""

from __future__ import annotations

from pathlib import Path

from tests.simulator.controllers.conftest import Cluster


def _pvc(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}}}}


def _route(name: str) -> dict:
    return {"apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": {"name": name},
            "spec": {"to": {"kind": "Service", "name": "quay-app"}, "tls": {"termination": "edge"}}}


def _phase(cluster: Cluster, ns: str, name: str) -> str:
    return cluster.core.read_namespaced_persistent_volume_claim(name, ns).status.phase


def _admitted(cluster: Cluster, ns: str, name: str) -> bool:
    route = cluster.custom.get_namespaced_custom_object("route.openshift.io", "v1", ns, "routes", name)
    ingress = (route.get("status") or {}).get("ingress") or []
    return bool(ingress) and ingress[0]["conditions"][0]["status"] == "True"


def test_pvc_stays_pending_until_cleared(cluster: Cluster, tmp_path: Path):
    ns = cluster.namespace("pvc")
    fault = cluster.sim.faults.add("pvc-pending", f"{ns}/postgres-data")
    cluster.core.create_namespaced_persistent_volume_claim(ns, _pvc("postgres-data"))
    cluster.settle(600)
    assert _phase(cluster, ns, "postgres-data") == "Pending"
    shown = cluster.kubectl("get", "pvc", "-n", ns, "--no-headers", tmp=tmp_path).stdout
    assert shown.split()[:2] == ["postgres-data", "Pending"]

    cluster.sim.faults.clear(fault.id)
    assert cluster.until(lambda: _phase(cluster, ns, "postgres-data") == "Bound")


def test_an_existing_pending_claim_binds_when_the_fault_expires(cluster: Cluster):
    ns = cluster.namespace("pvc-timed")
    cluster.core.create_namespaced_persistent_volume_claim(ns, _pvc("data"))
    cluster.sim.faults.add("pvc-pending", f"{ns}/data", for_seconds=120)
    cluster.settle(119)
    assert _phase(cluster, ns, "data") == "Pending"
    cluster.settle(1)
    assert cluster.sim.faults.list() == []
    assert cluster.until(lambda: _phase(cluster, ns, "data") == "Bound")


def test_route_is_not_admitted_until_cleared(cluster: Cluster):
    ns = cluster.namespace("route")
    fault = cluster.sim.faults.add("route-stall", f"{ns}/registry")
    cluster.custom.create_namespaced_custom_object("route.openshift.io", "v1", ns, "routes", _route("registry"))
    cluster.settle(300)
    assert not _admitted(cluster, ns, "registry")

    cluster.sim.faults.clear(fault.id)
    assert cluster.until(lambda: _admitted(cluster, ns, "registry"))
