"""hold-finalizer: a deleted object stays (Terminating) until the fault is cleared, then goes."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes.client.exceptions import ApiException

from simulator.faults import FINALIZER
from simulator.store.errors import NotFound
from tests.simulator.controllers.conftest import Cluster


def test_a_deleted_configmap_stays_until_cleared(cluster: Cluster, tmp_path: Path):
    ns = cluster.namespace("hold")
    cluster.core.create_namespaced_config_map(ns, {"metadata": {"name": "quay-config"}})
    fault = cluster.sim.faults.add("hold-finalizer", f"configmaps/{ns}/quay-config")
    assert cluster.core.read_namespaced_config_map("quay-config", ns).metadata.finalizers == [FINALIZER]
    cluster.kubectl("delete", "configmap", "quay-config", "-n", ns, "--wait=false", tmp=tmp_path)
    cluster.settle(60)
    held = cluster.core.read_namespaced_config_map("quay-config", ns)
    assert held.metadata.deletion_timestamp and held.metadata.finalizers == [FINALIZER]

    cluster.sim.faults.clear(fault.id)
    with pytest.raises(ApiException) as caught:
        cluster.core.read_namespaced_config_map("quay-config", ns)
    assert caught.value.status == 404


def test_a_namespace_stays_terminating_until_cleared(cluster: Cluster):
    ns = cluster.namespace("hold-ns")
    fault = cluster.sim.faults.add("hold-finalizer", f"namespace/{ns}")
    cluster.core.delete_namespace(ns)
    cluster.settle(60)
    assert cluster.core.read_namespace(ns).status.phase == "Terminating"
    cluster.sim.faults.clear(fault.id)
    cluster.settle()
    with pytest.raises(ApiException) as caught:
        cluster.core.read_namespace(ns)
    assert caught.value.status == 404


def test_a_missing_object_is_refused(cluster: Cluster):
    with pytest.raises(NotFound, match='configmaps "nope" not found'):
        cluster.sim.faults.add("hold-finalizer", "cm/default/nope")
    assert cluster.sim.faults.list() == []
