"""The operator Deployment follows its CSV: an env edit (guide 8.4.2) rolls the pod, and the OperatorGroup
decides WATCH_NAMESPACE."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.controllers.quay_operator import container_env
from tests.simulator.controllers.conftest import Cluster
from tests.simulator.olm.conftest import get, installed, operator_group, subscribe

OVERRIDE = "quay.example.com/mirror/quay-rhel8@sha256:" + "1" * 64


def operator_pods(cluster: Cluster, ns: str) -> list[dict]:
    pods = cluster.core.list_namespaced_pod(ns, label_selector="name=quay-operator-alm-owned").items
    return [cluster.api.sanitize_for_serialization(p) for p in pods if not p.metadata.deletion_timestamp]


def test_editing_the_csv_deployment_env_rolls_the_operator_pod(cluster: Cluster, tmp_path: Path):
    ns = cluster.namespace("csvenv")
    operator_group(cluster, ns)
    subscribe(cluster, ns, channel="stable-3.7")
    cluster.until(lambda: installed(cluster, ns, "3.7.14"))
    (before,) = operator_pods(cluster, ns)
    csv = get(cluster, ns, "clusterserviceversions", "quay-operator.v3.7.14")
    env = csv["spec"]["install"]["spec"]["deployments"][0]["spec"]["template"]["spec"]["containers"][0]["env"]
    index = next(i for i, e in enumerate(env) if e["name"] == "RELATED_IMAGE_COMPONENT_QUAY")
    patch = [{"op": "replace", "value": OVERRIDE,
              "path": f"/spec/install/spec/deployments/0/spec/template/spec/containers/0/env/{index}/value"}]
    cluster.kubectl("-n", ns, "patch", "csv", "quay-operator.v3.7.14", "--type", "json", "-p", json.dumps(patch),
                    tmp=tmp_path)
    cluster.until(lambda: [p["metadata"]["name"] for p in operator_pods(cluster, ns)] not in
                  ([before["metadata"]["name"]], []) and len(operator_pods(cluster, ns)) == 1
                  and installed(cluster, ns, "3.7.14"))
    (after,) = operator_pods(cluster, ns)
    assert container_env(after, "quay-operator")["RELATED_IMAGE_COMPONENT_QUAY"] == OVERRIDE
    assert container_env(before, "quay-operator")["RELATED_IMAGE_COMPONENT_QUAY"] != OVERRIDE


def test_operator_group_decides_watch_namespace(cluster: Cluster):
    own, everywhere = cluster.namespace("own"), cluster.namespace("all")
    operator_group(cluster, own, targets=[own])
    operator_group(cluster, everywhere)
    for ns in (own, everywhere):
        subscribe(cluster, ns, channel="stable-3.7")
    cluster.until(lambda: installed(cluster, own, "3.7.14") and installed(cluster, everywhere, "3.7.14"))
    (pod,) = operator_pods(cluster, own)
    env = container_env(pod, "quay-operator")
    assert (env["WATCH_NAMESPACE"], env["MY_POD_NAMESPACE"], env["QUAY_VERSION"]) == (own, own, "v3.7.14")
    assert env["RELATED_IMAGE_COMPONENT_QUAY"].startswith("registry.redhat.io/quay/quay-rhel8@sha256:")
    (pod,) = operator_pods(cluster, everywhere)
    assert container_env(pod, "quay-operator")["WATCH_NAMESPACE"] == ""
    group = cluster.custom.get_namespaced_custom_object("operators.coreos.com", "v1", own, "operatorgroups",
                                                        f"{own}-og")
    assert group["status"]["namespaces"] == [own]
