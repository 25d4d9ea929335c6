"""What the operator does with a running registry: a bundle edit rolls the Quay pods, and image overrides on
the operator's CSV (guide 8.4.2) reach the Deployments."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.simulator.controllers.conftest import Cluster
from tests.simulator.operator.conftest import available, create_registry, operator_running, registry

CSV = "quay-operator.v3.7.14"
OVERRIDE = "quay.example.com/mirror/quay-rhel8@sha256:" + "2" * 64


def quay_app(cluster: Cluster, ns: str):
    return cluster.apps.read_namespaced_deployment("example-registry-quay-app", ns)


def config_secret(cluster: Cluster, ns: str) -> str:
    volumes = quay_app(cluster, ns).spec.template.spec.volumes
    sources = next(v for v in volumes if v.name == "configvolume").projected.sources
    return next(s.secret.name for s in sources if s.secret and "quay-config-secret" in s.secret.name)


def running_quay_pods(cluster: Cluster, ns: str) -> set[str]:
    pods = cluster.core.list_namespaced_pod(ns, label_selector="quay-component=quay-app").items
    return {p.metadata.name for p in pods if p.status.phase == "Running" and not p.metadata.deletion_timestamp}


def test_editing_the_bundle_secret_rolls_the_quay_pods(cluster: Cluster):
    ns = cluster.namespace("bundle")
    create_registry(cluster, ns)
    cluster.until(lambda: available(cluster, ns), within=180)
    before_secret, before_pods = config_secret(cluster, ns), running_quay_pods(cluster, ns)
    bundle = registry(cluster, ns)["spec"]["configBundleSecret"]
    config = base64.b64decode(cluster.core.read_namespaced_secret(bundle, ns).data["config.yaml"]).decode()
    cluster.core.patch_namespaced_secret(bundle, ns, {"data": {"config.yaml": base64.b64encode(
        (config + "FEATURE_USER_INITIALIZE: true\n").encode()).decode()}})
    # the operator notices on its next full pass (requeue after 1 minute, paced)
    cluster.until(lambda: config_secret(cluster, ns) != before_secret)
    cluster.until(lambda: running_quay_pods(cluster, ns) and not running_quay_pods(cluster, ns) & before_pods
                  and len(running_quay_pods(cluster, ns)) == 2)
    rendered = cluster.core.read_namespaced_secret(config_secret(cluster, ns), ns)
    assert b"FEATURE_USER_INITIALIZE: true" in base64.b64decode(rendered.data["config.yaml"])


def test_image_overrides_on_the_csv_reach_the_deployments(cluster: Cluster, tmp_path: Path):
    ns = cluster.namespace("images")
    create_registry(cluster, ns)
    cluster.until(lambda: available(cluster, ns), within=180)
    csv = cluster.custom.get_namespaced_custom_object("operators.coreos.com", "v1alpha1", "openshift-operators",
                                                      "clusterserviceversions", CSV)
    env = csv["spec"]["install"]["spec"]["deployments"][0]["spec"]["template"]["spec"]["containers"][0]["env"]
    index = next(i for i, e in enumerate(env) if e["name"] == "RELATED_IMAGE_COMPONENT_QUAY")
    original = env[index]["value"]
    path = f"/spec/install/spec/deployments/0/spec/template/spec/containers/0/env/{index}/value"
    try:
        cluster.kubectl("-n", "openshift-operators", "patch", "csv", CSV, "--type", "json",
                        "-p", json.dumps([{"op": "replace", "path": path, "value": OVERRIDE}]), tmp=tmp_path)
        cluster.until(lambda: quay_app(cluster, ns).spec.template.spec.containers[0].image == OVERRIDE)
        editor = cluster.apps.read_namespaced_deployment("example-registry-quay-config-editor", ns)
        assert editor.spec.template.spec.containers[0].image == OVERRIDE
        cluster.until(lambda: available(cluster, ns))
    finally:
        cluster.kubectl("-n", "openshift-operators", "patch", "csv", CSV, "--type", "json",
                        "-p", json.dumps([{"op": "replace", "path": path, "value": original}]), tmp=tmp_path)
        cluster.until(lambda: operator_running(cluster) and
                      quay_app(cluster, ns).spec.template.spec.containers[0].image == original)
