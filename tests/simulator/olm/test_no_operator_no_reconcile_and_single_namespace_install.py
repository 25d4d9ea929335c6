"""The Quay Operator runs only as the Deployment OLM installed: without it a QuayRegistry sits untouched; an
own-namespace install reconciles only its namespace and leaves monitoring unmanaged."""

from __future__ import annotations

from tests.simulator.controllers.conftest import Cluster
from tests.simulator.olm.conftest import installed, operator_group, subscribe

QUAY = ("quay.redhat.com", "v1")


def create_registry(cluster: Cluster, ns: str) -> None:
    cluster.custom.create_namespaced_custom_object(*QUAY, ns, "quayregistries", {
        "apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry", "metadata": {"name": "example-registry"}})


def registry(cluster: Cluster, ns: str) -> dict:
    return cluster.custom.get_namespaced_custom_object(*QUAY, ns, "quayregistries", "example-registry")


def test_single_namespace_install_reconciles_its_namespace_only_with_monitoring_unmanaged(cluster: Cluster):
    own, other = cluster.namespace("quay-own"), cluster.namespace("elsewhere")
    for ns in (own, other):
        create_registry(cluster, ns)
    cluster.settle(30)
    assert (registry(cluster, own).get("spec"), registry(cluster, own).get("status")) == (None, None)

    operator_group(cluster, own, targets=[own])
    subscribe(cluster, own, channel="stable-3.7")
    cluster.until(lambda: installed(cluster, own, "3.7.14"))

    def available() -> bool:
        conditions = (registry(cluster, own).get("status") or {}).get("conditions") or []
        return any(c["type"] == "Available" and c["status"] == "True" for c in conditions)

    cluster.until(available, within=180)
    components = {c["kind"]: c["managed"] for c in registry(cluster, own)["spec"]["components"]}
    assert components["monitoring"] is False and components["route"] is True
    monitoring = next(c for c in registry(cluster, own)["status"]["conditions"]
                      if c["type"] == "ComponentMonitoringReady")
    assert (monitoring["status"], monitoring["reason"], monitoring["message"]) == \
        ("True", "ComponentNotManaged", "Monitoring not managed by the operator")
    assert cluster.custom.list_namespaced_custom_object("monitoring.coreos.com", "v1", own,
                                                        "servicemonitors")["items"] == []
    assert "openshift.io/cluster-monitoring" not in (cluster.core.read_namespace(own).metadata.labels or {})
    assert registry(cluster, other).get("status") is None
