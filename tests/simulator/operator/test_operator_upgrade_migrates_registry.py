"""An OLM upgrade of the operator (channel stable-3.6 → stable-3.7) upgrades the registry it runs:
the new operator takes over, runs the upgrade Job and sets `currentVersion`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.clock import Clock
from simulator.server import start_simulator
from tests.simulator.controllers.conftest import Cluster
from tests.simulator.operator.conftest import available, create_registry, operator_running, registry


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with start_simulator(seed=13, clock=Clock.manual(start=1_767_225_600.0), with_operator="3.6.10") as sim:
        running = Cluster(sim)
        running.until(lambda: operator_running(running))
        yield running


def test_channel_change_upgrades_operator_then_registry(cluster: Cluster, tmp_path: Path):
    ns = cluster.namespace("upgrade")
    create_registry(cluster, ns)
    cluster.until(lambda: available(cluster, ns), within=180)
    assert registry(cluster, ns)["status"]["currentVersion"] == "v3.6.10"
    cluster.kubectl("-n", "openshift-operators", "patch", "subscription", "quay-operator", "--type", "merge",
                    "-p", '{"spec":{"channel":"stable-3.7"}}', tmp=tmp_path)
    cluster.until(lambda: registry(cluster, ns)["status"].get("currentVersion") == "v3.7.14", within=300)
    cluster.until(lambda: available(cluster, ns), within=180)
    quay_app = cluster.apps.read_namespaced_deployment("example-registry-quay-app", ns)
    env = {e.name: e.value for e in quay_app.spec.template.spec.containers[0].env}
    assert env["QUAY_VERSION"] == "v3.7.14"
    events = {(e.reason, e.message) for e in cluster.events(ns, "example-registry")}
    assert ("MigrationsInProgress", "running database migrations") in events
    csvs = cluster.custom.list_namespaced_custom_object("operators.coreos.com", "v1alpha1", "openshift-operators",
                                                        "clusterserviceversions")["items"]
    assert [c["metadata"]["name"] for c in csvs] == ["quay-operator.v3.7.14"]
