"""An OpenShift simulator on a manual clock whose OLM the tests drive, one namespace per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.clock import Clock
from simulator.server import start_simulator
from tests.simulator.controllers.conftest import Cluster

OLM = ("operators.coreos.com", "v1alpha1")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with start_simulator(seed=5, clock=Clock.manual(start=1_767_225_600.0)) as sim:
        yield Cluster(sim)


def operator_group(cluster: Cluster, ns: str, *, targets: list[str] | None = None) -> None:
    """An OperatorGroup in `ns`: for `targets` only, or (None) for all namespaces."""
    spec = {"targetNamespaces": targets} if targets is not None else {}
    cluster.custom.create_namespaced_custom_object("operators.coreos.com", "v1", ns, "operatorgroups", {
        "apiVersion": "operators.coreos.com/v1", "kind": "OperatorGroup", "metadata": {"name": f"{ns}-og"},
        "spec": spec})


def subscribe(cluster: Cluster, ns: str, *, channel: str, approval: str = "Automatic",
              starting: str | None = None) -> None:
    spec = {"channel": channel, "installPlanApproval": approval, "name": "quay-operator",
            "source": "redhat-operators", "sourceNamespace": "openshift-marketplace"}
    if starting:
        spec["startingCSV"] = f"quay-operator.v{starting}"
    cluster.custom.create_namespaced_custom_object(*OLM, ns, "subscriptions", {
        "apiVersion": "operators.coreos.com/v1alpha1", "kind": "Subscription",
        "metadata": {"name": "quay-operator"}, "spec": spec})


def get(cluster: Cluster, ns: str, plural: str, name: str) -> dict:
    return cluster.custom.get_namespaced_custom_object(*OLM, ns, plural, name)


def items(cluster: Cluster, ns: str, plural: str) -> list[dict]:
    return cluster.custom.list_namespaced_custom_object(*OLM, ns, plural)["items"]


def csv_phases(cluster: Cluster, ns: str) -> dict[str, str]:
    return {c["metadata"]["name"]: (c.get("status") or {}).get("phase", "") for c in items(cluster, ns, "clusterserviceversions")}


def installed(cluster: Cluster, ns: str, version: str) -> bool:
    return csv_phases(cluster, ns) == {f"quay-operator.v{version}": "Succeeded"}
