"""QuayEcosystem → QuayRegistry (operator-facts §11): a supported configuration migrates, local storage does not."""

from __future__ import annotations

import base64

from tests.simulator.controllers.conftest import Cluster
from tests.simulator.operator.conftest import registry

ECOSYSTEM = ("redhatcop.redhat.io", "v1alpha1")
CONFIG = """SERVER_HOSTNAME: quay.example.com
DB_URI: postgresql://quay:pw@db.example.com/quay
BUILDLOGS_REDIS: {host: redis.example.com}
USER_EVENTS_REDIS: {host: redis.example.com}
DISTRIBUTED_STORAGE_CONFIG: {s3: [S3Storage, {s3_bucket: quay, storage_path: /registry}]}
FEATURE_SIGNING: false
"""


def create_ecosystem(cluster: Cluster, ns: str, backends: list[dict], *, with_secret: bool = True) -> None:
    if with_secret:
        cluster.core.create_namespaced_secret(ns, {"metadata": {"name": "quay-enterprise-config-secret"},
                                                   "data": {"config.yaml": base64.b64encode(CONFIG.encode()).decode()}})
    cluster.custom.create_namespaced_custom_object(*ECOSYSTEM, ns, "quayecosystems", {
        "apiVersion": "redhatcop.redhat.io/v1alpha1", "kind": "QuayEcosystem",
        "metadata": {"name": "quayecosystem", "labels": {"quay-operator/migrate": "true"}},
        "spec": {"quay": {"registryBackends": backends, "externalAccess": {"type": "Route"}},
                 "database": {"server": "db.example.com"}}})


def ecosystem(cluster: Cluster, ns: str) -> dict:
    return cluster.custom.get_namespaced_custom_object(*ECOSYSTEM, ns, "quayecosystems", "quayecosystem")


def test_supported_configuration_becomes_a_quayregistry(cluster: Cluster):
    ns = cluster.namespace("ecosystem")
    create_ecosystem(cluster, ns, [{"name": "s3", "s3": {"bucketName": "quay"}}])
    cluster.settle(1)
    assert ecosystem(cluster, ns)["metadata"]["labels"]["quay-operator/migration-complete"] == "true"
    migrated = registry(cluster, ns, "quayecosystem")
    assert migrated["metadata"]["annotations"] == {"quay-operator/migrated-from": "quayecosystem"}
    declared = {c["kind"]: c["managed"] for c in migrated["spec"]["components"]}
    assert {k: declared[k] for k in ("objectstorage", "postgres", "redis", "mirror", "clair")} == \
        dict.fromkeys(("objectstorage", "postgres", "redis", "mirror", "clair"), False)
    bundle = cluster.core.read_namespaced_secret(migrated["spec"]["configBundleSecret"], ns)
    assert bundle.metadata.name.startswith("quayecosystem-config-bundle-")
    config = base64.b64decode(bundle.data["config.yaml"]).decode()
    assert "FEATURE_SIGNING" not in config and "SERVER_HOSTNAME: quay.example.com" in config
    # the operator then reconciles it like any other registry
    cluster.until(lambda: (registry(cluster, ns, "quayecosystem").get("status") or {}).get("conditions"))


def test_local_storage_is_refused_with_the_operators_condition(cluster: Cluster):
    ns = cluster.namespace("ecosystem-local")
    create_ecosystem(cluster, ns, [{"name": "default", "local": {"storagePath": "/datastorage"}}])
    cluster.settle(1)
    (cond,) = ecosystem(cluster, ns)["status"]["conditions"]
    assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
        "QuayEcosystemComponentMigrationFailure", "True", "ComponentUnsupported",
        "failed to migrate object storage: cannot migrate local object storage")
    assert cluster.custom.list_namespaced_custom_object("quay.redhat.com", "v1", ns, "quayregistries")["items"] == []


def test_missing_old_config_secret_is_reported(cluster: Cluster):
    ns = cluster.namespace("ecosystem-nosecret")
    create_ecosystem(cluster, ns, [{"name": "s3", "s3": {}}], with_secret=False)
    cluster.settle(1)
    (cond,) = ecosystem(cluster, ns)["status"]["conditions"]
    assert (cond["type"], cond["reason"], cond["message"]) == (
        "QuayEcosystemConfigMigrationFailure", "ConfigBundleSecretInvalid",
        'failed to retrieve `quay-enterprise-config-secret`: secrets "quay-enterprise-config-secret" not found')
