"""Changing the channel, or a newer CSV in the channel, produces the next InstallPlan (OLM's update graph)."""

from __future__ import annotations

from pathlib import Path

from simulator.controllers.olm import Subscriptions
from tests.simulator.controllers.conftest import Cluster
from tests.simulator.olm.conftest import get, installed, items, operator_group, subscribe


def test_channel_change_produces_an_upgrade_installplan(cluster: Cluster, tmp_path: Path):
    ns = cluster.namespace("channel")
    operator_group(cluster, ns)
    subscribe(cluster, ns, channel="stable-3.5")
    cluster.until(lambda: installed(cluster, ns, "3.5.7"))
    cluster.kubectl("-n", ns, "patch", "subscription", "quay-operator", "--type", "merge",
                    "-p", '{"spec":{"channel":"stable-3.7"}}', tmp=tmp_path)
    cluster.until(lambda: installed(cluster, ns, "3.7.14"))
    plans = {p["spec"]["clusterServiceVersionNames"][0]: p for p in items(cluster, ns, "installplans")}
    assert sorted(plans) == ["quay-operator.v3.5.7", "quay-operator.v3.7.14"]
    assert plans["quay-operator.v3.7.14"]["status"]["phase"] == "Complete"
    assert plans["quay-operator.v3.7.14"]["spec"]["generation"] == 2
    # skipRange >=3.4.x <3.7.14 lets 3.5.7 jump straight to the head; the resolver points replaces at it
    assert get(cluster, ns, "clusterserviceversions", "quay-operator.v3.7.14")["spec"]["replaces"] == \
        "quay-operator.v3.5.7"
    sub = get(cluster, ns, "subscriptions", "quay-operator")["status"]
    assert (sub["state"], sub["installedCSV"], sub["currentCSV"]) == \
        ("AtLatestKnown", "quay-operator.v3.7.14", "quay-operator.v3.7.14")
    cluster.until(lambda: [p.metadata.name.rsplit("-", 2)[0] for p in cluster.core.list_namespaced_pod(ns).items]
                  == ["quay-operator.v3.7.14"])


def test_a_new_csv_in_the_channel_is_installed_automatically(cluster: Cluster):
    ns = cluster.namespace("zstream")
    operator_group(cluster, ns)
    subscribe(cluster, ns, channel="stable-3.4")
    cluster.until(lambda: installed(cluster, ns, "3.4.7"))
    olm = next(c for c in cluster.sim.runner.controllers if isinstance(c, Subscriptions))
    olm.publish("stable-3.4", "3.4.8")
    try:
        cluster.until(lambda: installed(cluster, ns, "3.4.8"))
    finally:
        olm.catalog.channels["stable-3.4"].pop()
    csv = get(cluster, ns, "clusterserviceversions", "quay-operator.v3.4.8")
    assert csv["metadata"]["annotations"]["quay-version"] == "v3.4.8"
    assert csv["spec"]["replaces"] == "quay-operator.v3.4.7"
