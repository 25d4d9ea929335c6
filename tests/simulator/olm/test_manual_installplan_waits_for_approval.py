"""Manual approval: each InstallPlan waits for `spec.approved: true`; z-streams follow replaces/skipRange."""

from __future__ import annotations

from pathlib import Path

from tests.simulator.controllers.conftest import Cluster
from tests.simulator.olm.conftest import csv_phases, get, installed, items, operator_group, subscribe


def test_manual_installplan_waits_then_installs_and_offers_the_next_z_stream(cluster: Cluster, tmp_path: Path):
    ns = cluster.namespace("manual")
    operator_group(cluster, ns, targets=[ns])
    subscribe(cluster, ns, channel="stable-3.6", approval="Manual", starting="3.6.8")
    cluster.settle(5)
    (plan,) = items(cluster, ns, "installplans")
    assert plan["spec"]["clusterServiceVersionNames"] == ["quay-operator.v3.6.8"]
    assert (plan["spec"]["approval"], plan["spec"]["approved"], plan["status"]["phase"]) == \
        ("Manual", False, "RequiresApproval")
    assert csv_phases(cluster, ns) == {} and cluster.apps.list_namespaced_deployment(ns).items == []
    sub = get(cluster, ns, "subscriptions", "quay-operator")["status"]
    assert (sub["state"], sub["currentCSV"], sub["installPlanRef"]["name"]) == \
        ("UpgradePending", "quay-operator.v3.6.8", plan["metadata"]["name"])
    assert [(c["type"], c["reason"]) for c in sub["conditions"]] == [("InstallPlanPending", "RequiresApproval")]

    cluster.kubectl("-n", ns, "patch", "installplan", plan["metadata"]["name"], "--type", "merge",
                    "-p", '{"spec":{"approved":true}}', tmp=tmp_path)
    cluster.until(lambda: installed(cluster, ns, "3.6.8"))
    assert get(cluster, ns, "installplans", plan["metadata"]["name"])["status"]["phase"] == "Complete"
    (dep,) = cluster.apps.list_namespaced_deployment(ns).items
    assert dep.metadata.name == "quay-operator.v3.6.8" and dep.metadata.owner_references[0].kind == \
        "ClusterServiceVersion"

    # the channel's head skips 3.6.9 (olm.skipRange), and waits for approval too
    cluster.settle(5)
    pending = [p for p in items(cluster, ns, "installplans") if p["status"]["phase"] == "RequiresApproval"]
    assert [p["spec"]["clusterServiceVersionNames"] for p in pending] == [["quay-operator.v3.6.10"]]
    sub = get(cluster, ns, "subscriptions", "quay-operator")["status"]
    assert (sub["state"], sub["installedCSV"], sub["currentCSV"]) == \
        ("UpgradePending", "quay-operator.v3.6.8", "quay-operator.v3.6.10")
    assert installed(cluster, ns, "3.6.8")

    cluster.kubectl("-n", ns, "patch", "installplan", pending[0]["metadata"]["name"], "--type", "merge",
                    "-p", '{"spec":{"approved":true}}', tmp=tmp_path)
    cluster.until(lambda: installed(cluster, ns, "3.6.10"))
    csv = get(cluster, ns, "clusterserviceversions", "quay-operator.v3.6.10")
    assert csv["spec"]["replaces"] == "quay-operator.v3.6.8"
    assert csv["metadata"]["annotations"]["olm.skipRange"] == ">=3.3.x <3.6.10"
    cluster.until(lambda: [d.metadata.name for d in cluster.apps.list_namespaced_deployment(ns).items] ==
                  ["quay-operator.v3.6.10"])
    sub = get(cluster, ns, "subscriptions", "quay-operator")["status"]
    assert (sub["state"], sub["installedCSV"]) == ("AtLatestKnown", "quay-operator.v3.6.10")
    reasons = [e.reason for e in cluster.events(ns, "quay-operator.v3.6.8")]
    assert "BeingReplaced" in reasons


def test_csv_without_an_operator_group_fails(cluster: Cluster):
    ns = cluster.namespace("no-og")
    subscribe(cluster, ns, channel="stable-3.7")
    cluster.settle(2)
    (csv,) = items(cluster, ns, "clusterserviceversions")
    assert (csv["status"]["phase"], csv["status"]["reason"], csv["status"]["message"]) == \
        ("Failed", "NoOperatorGroup", "csv in namespace with no operatorgroups")
    assert cluster.apps.list_namespaced_deployment(ns).items == []
