"""`start_simulator(without=...)`: the optional OpenShift APIs are not served, NooBaa goes with bucket claims, and
the Quay Operator defaults the components that need them to unmanaged (operator-facts §2.2)."""

from __future__ import annotations

import pytest
from kubernetes import client

from quayops.kube.kinds import kinds_for
from simulator.clock import Clock
from simulator.server import start_simulator
from tests.simulator.controllers.conftest import Cluster
from tests.simulator.operator.conftest import create_registry, operator_running, registry


def test_the_operator_defaults_route_tls_objectstorage_and_monitoring_to_unmanaged():
    with start_simulator(seed=9, clock=Clock.manual(start=1_767_225_600.0), with_operator="3.7.14",
                         without=("routes", "objectbucketclaims", "monitoring")) as sim:
        cluster = Cluster(sim)
        groups = {g.name for g in client.ApisApi(cluster.api).get_api_versions().groups}
        assert not groups & {"route.openshift.io", "objectbucket.io", "noobaa.io", "monitoring.coreos.com"}
        assert "operators.coreos.com" in groups
        classes = {sc.metadata.name for sc in client.StorageV1Api(cluster.api).list_storage_class().items}
        assert "openshift-storage.noobaa.io" not in classes

        cluster.until(lambda: operator_running(cluster))
        ns = cluster.namespace("quay")
        create_registry(cluster, ns)

        def managed() -> dict[str, bool]:
            components = (registry(cluster, ns).get("spec") or {}).get("components") or []
            return {c["kind"]: c["managed"] for c in components}

        cluster.until(lambda: "route" in managed())
        assert {k: v for k, v in managed().items() if not v} == {
            "route": False, "tls": False, "objectstorage": False, "monitoring": False}


def test_unknown_apis_are_refused():
    with pytest.raises(ValueError, match="unknown API 'ingresses' to go without"):
        kinds_for("openshift", without=("ingresses",))
