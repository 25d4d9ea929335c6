"""Issue 5's end-to-end: the guide's minimal QuayRegistry (4.1) reaches Available with every object of
operator-facts §5, pods as guide 4.1.1 lists them (3.7: no postgres-init Job), and deleting it removes
everything it owned."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tests.simulator.controllers.conftest import Cluster
from tests.simulator.operator.conftest import available, condition, registry

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "operator" / "example-registry-upgrade.output.yaml"
MINIMAL = """apiVersion: quay.redhat.com/v1
kind: QuayRegistry
metadata:
  name: example-registry
  namespace: quay-enterprise
"""
API = {"ConfigMap": "configmaps", "Deployment": "deployments.apps", "HorizontalPodAutoscaler": "hpa",
       "Job": "jobs", "ObjectBucketClaim": "objectbucketclaims", "PersistentVolumeClaim": "pvc",
       "PrometheusRule": "prometheusrules", "Role": "roles", "RoleBinding": "rolebindings", "Route": "routes",
       "Secret": "secrets", "Service": "services", "ServiceAccount": "serviceaccounts",
       "ServiceMonitor": "servicemonitors"}
HASHED = re.compile(r"-[a-z0-9]{10}$")


def expected_objects() -> set[tuple[str, str, str]]:
    """(kind, namespace, name without the content hash) of the 48 objects + the upgrade Job of §5."""
    return {(d["kind"], d["metadata"]["namespace"], HASHED.sub("", d["metadata"]["name"]))
            for d in yaml.safe_load_all(GOLDEN.read_text())}


def live_objects(cluster: Cluster, tmp: Path) -> set[tuple[str, str, str]]:
    out = cluster.kubectl("get", ",".join(sorted(set(API.values()))), "-A", "-o", "json", tmp=tmp).stdout
    found = set()
    for item in json.loads(out)["items"]:
        meta = item["metadata"]
        name = meta["name"] if item["kind"] != "Secret" else HASHED.sub("", meta["name"])
        if meta["name"].startswith("example-registry-") and meta["namespace"] in ("quay-enterprise",
                                                                                "openshift-config-managed"):
            found.add((item["kind"], meta["namespace"], name))
    return found


def test_guide_minimal_registry_becomes_available_and_deleting_it_removes_what_it_owned(cluster: Cluster,
                                                                                         tmp_path: Path):
    cluster.kubectl("create", "namespace", "quay-enterprise", tmp=tmp_path)
    (tmp_path / "quayregistry.yaml").write_text(MINIMAL)
    cluster.kubectl("apply", "-f", str(tmp_path / "quayregistry.yaml"), tmp=tmp_path)
    cluster.until(lambda: available(cluster, "quay-enterprise"), within=180)

    status = registry(cluster, "quay-enterprise")["status"]
    assert status["currentVersion"] == "v3.7.14"
    assert status["registryEndpoint"] == "https://example-registry-quay-quay-enterprise.apps.sim.example.com"
    assert status["configEditorEndpoint"] == \
        "https://example-registry-quay-config-editor-quay-enterprise.apps.sim.example.com"
    assert status["configEditorCredentialsSecret"].startswith("example-registry-quay-config-editor-credentials-")
    assert condition(cluster, "quay-enterprise", "Available") == \
        ("True", "HealthChecksPassing", "All components reporting as healthy")
    assert condition(cluster, "quay-enterprise", "ComponentsCreated") == \
        ("True", "ComponentsCreationSuccess", "All registry components created")
    assert condition(cluster, "quay-enterprise", "RolloutBlocked") == \
        ("False", "ComponentsCreationSuccess", "All objects created/updated successfully")
    spec = registry(cluster, "quay-enterprise")["spec"]
    assert spec["configBundleSecret"].startswith("example-registry-config-bundle-")
    assert [c["kind"] for c in spec["components"]] == ["quay", "postgres", "clair", "redis", "horizontalpodautoscaler",
                                                       "objectstorage", "route", "mirror", "monitoring", "tls",
                                                       "clairpostgres"]
    expected = expected_objects()
    assert len(expected) == 49
    assert expected <= live_objects(cluster, tmp_path)

    pods = cluster.kubectl("get", "pods", "-n", "quay-enterprise", "--no-headers", tmp=tmp_path).stdout.splitlines()
    listing = sorted((re.sub(r"(-[a-z0-9]{8,10})?-[a-z0-9]{5}$", "", line.split()[0]), *line.split()[1:3])
                     for line in pods)
    assert listing == [
        ("example-registry-clair-app", "1/1", "Running"), ("example-registry-clair-app", "1/1", "Running"),
        ("example-registry-clair-postgres", "1/1", "Running"),
        ("example-registry-quay-app", "1/1", "Running"), ("example-registry-quay-app", "1/1", "Running"),
        ("example-registry-quay-app-upgrade", "0/1", "Completed"),
        ("example-registry-quay-config-editor", "1/1", "Running"),
        ("example-registry-quay-database", "1/1", "Running"),
        ("example-registry-quay-mirror", "1/1", "Running"), ("example-registry-quay-mirror", "1/1", "Running"),
        ("example-registry-quay-redis", "1/1", "Running"),
    ]
    events = {(e.type, e.reason, e.message) for e in cluster.events("quay-enterprise", "example-registry")}
    assert ("Normal", "MigrationsInProgress", "running database migrations") in events
    assert ("Normal", "ComponentsCreationSuccess", "All objects created/updated successfully") in events
    labels = cluster.core.read_namespace("quay-enterprise").metadata.labels
    assert labels["openshift.io/cluster-monitoring"] == labels["quay-operator/managed-label"] == "true"
    assert registry(cluster, "quay-enterprise")["metadata"]["finalizers"] == ["quay-operator/finalizer"]

    cluster.kubectl("delete", "quayregistry", "example-registry", "-n", "quay-enterprise", "--wait=false",
                    tmp=tmp_path)
    cluster.until(lambda: not live_objects(cluster, tmp_path))
    assert cluster.custom.list_namespaced_custom_object("quay.redhat.com", "v1", "quay-enterprise",
                                                        "quayregistries")["items"] == []
    assert cluster.core.list_namespaced_secret("quay-enterprise").items == []
    labels = cluster.core.read_namespace("quay-enterprise").metadata.labels
    assert "quay-operator/managed-label" not in labels and "openshift.io/cluster-monitoring" not in labels
