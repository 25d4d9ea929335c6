"""A simulator started with the Quay Operator installed through OLM, on a manual clock the tests advance."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.clock import Clock
from simulator.server import start_simulator
from tests.simulator.controllers.conftest import Cluster

QUAY = ("quay.redhat.com", "v1")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with start_simulator(seed=9, clock=Clock.manual(start=1_767_225_600.0), with_operator="3.7.14") as sim:
        running = Cluster(sim)
        running.until(lambda: operator_running(running))
        yield running


def operator_running(cluster: Cluster, ns: str = "openshift-operators") -> bool:
    pods = cluster.core.list_namespaced_pod(ns, label_selector="name=quay-operator-alm-owned").items
    return any(c.type == "Ready" and c.status == "True" for p in pods for c in p.status.conditions or [])


def registry(cluster: Cluster, ns: str, name: str = "example-registry") -> dict:
    return cluster.custom.get_namespaced_custom_object(*QUAY, ns, "quayregistries", name)


def create_registry(cluster: Cluster, ns: str, name: str = "example-registry", **spec) -> dict:
    return cluster.custom.create_namespaced_custom_object(*QUAY, ns, "quayregistries", {
        "apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry", "metadata": {"name": name}, "spec": spec})


def condition(cluster: Cluster, ns: str, type_: str, name: str = "example-registry") -> tuple[str, str, str] | None:
    for c in (registry(cluster, ns, name).get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return c["status"], c["reason"], c["message"]
    return None


def available(cluster: Cluster, ns: str, name: str = "example-registry") -> bool:
    found = condition(cluster, ns, "Available", name)
    return found is not None and found[0] == "True"
