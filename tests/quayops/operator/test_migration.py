"""QuayEcosystem → QuayRegistry migration decisions and failures (operator-facts §11)."""

import base64
import random
from datetime import UTC, datetime

from ruamel.yaml import YAML

from quayops.model.conditions import EcosystemReason
from quayops.operator.migration import PostgresDataMigration, plan_ecosystem_failure, plan_ecosystem_migration

NOW = datetime(2024, 5, 1, tzinfo=UTC)
CONFIG = """SERVER_HOSTNAME: quay.example.com
PREFERRED_URL_SCHEME: https
EXTERNAL_TLS_TERMINATION: false
DB_URI: postgresql://quay:pw@quay-postgresql/quay
BUILDLOGS_REDIS: {host: quay-redis}
FEATURE_REPO_MIRROR: true
FEATURE_SECURITY_SCANNER: true
FEATURE_SIGNING: false
DISTRIBUTED_STORAGE_CONFIG: {s3: [S3Storage, {}]}
"""


def ecosystem(spec=None, labels=None, status=None):
    return {"apiVersion": "redhatcop.redhat.io/v1alpha1", "kind": "QuayEcosystem",
            "metadata": {"name": "quayecosystem", "namespace": "quay-enterprise",
                         "labels": {"quay-operator/migrate": "true"} if labels is None else labels},
            "spec": spec if spec is not None else {"quay": {"registryBackends": [{"name": "s3", "s3": {}}]}},
            "status": status or {}}


def old_secret(config=CONFIG, **files):
    return {"kind": "Secret", "metadata": {"name": "quay-enterprise-config-secret"},
            "stringData": {"config.yaml": config, **files}}


def migrate(eco, secret=None):
    return plan_ecosystem_migration(eco, old_secret() if secret is None else secret, random=random.Random(0), now=NOW)


def condition(result):
    (c,) = result.status["conditions"]
    return c["type"], c["status"], c["reason"], c["message"]


def migrated_config(result):
    return YAML(typ="safe").load(base64.b64decode(result.bundle["data"]["config.yaml"]))


def test_unlabelled_ecosystem_is_ignored():
    result = migrate(ecosystem(labels={}))
    assert (result.registry, result.status) == (None, None)


def test_completed_migration_clears_failure_conditions():
    status = {"conditions": [{"type": "QuayEcosystemConfigMigrationFailure"}, {"type": "Other"},
                             {"type": "QuayEcosystemComponentMigrationFailure"}]}
    result = migrate(ecosystem(labels={"quay-operator/migrate": "true", "quay-operator/migration-complete": "true"},
                               status=status))
    assert result.status["conditions"] == [{"type": "Other"}] and result.registry is None


def test_missing_config_secret():
    result = plan_ecosystem_migration(ecosystem(), None, random=random.Random(0), now=NOW)
    assert condition(result) == ("QuayEcosystemConfigMigrationFailure", "True", "ConfigBundleSecretInvalid",
                                 ("failed to retrieve `quay-enterprise-config-secret`: "
                                  'secrets "quay-enterprise-config-secret" not found'))
    assert result.registry is None


def test_unparsable_config():
    (_, _, reason, message) = condition(migrate(ecosystem(), old_secret("a: [\n")))
    assert reason == "ConfigBundleSecretInvalid" and message.startswith("failed to unmarshal config.yaml: yaml: ")


def test_local_storage_cannot_migrate():
    spec = {"quay": {"registryBackends": [{"name": "local", "local": {"storagePath": "/datastorage"}}]}}
    result = migrate(ecosystem(spec))
    assert condition(result) == ("QuayEcosystemComponentMigrationFailure", "True", "ComponentUnsupported",
                                 "failed to migrate object storage: cannot migrate local object storage")
    assert result.registry is None


def test_registry_storage_or_no_backends_cannot_migrate():
    for spec in ({"quay": {"registryStorage": {"persistentVolumeSize": "10Gi"},
                           "registryBackends": [{"name": "s3", "s3": {}}]}}, {"quay": {}}):
        assert condition(migrate(ecosystem(spec)))[2] == "ComponentUnsupported"


def test_minimal_external_everything_is_unmanaged():
    result = migrate(ecosystem())
    assert result.registry["metadata"]["annotations"] == {"quay-operator/migrated-from": "quayecosystem"}
    assert result.registry["spec"]["components"] == [
        {"kind": k, "managed": False} for k in ("objectstorage", "postgres", "route", "redis", "mirror", "clair")]
    assert result.registry["spec"]["configBundleSecret"] == result.bundle["metadata"]["name"]
    assert result.bundle["metadata"]["generateName"] == "quayecosystem-config-bundle-"
    assert result.label_complete and result.postgres is None
    assert migrated_config(result)["DB_URI"] == "postgresql://quay:pw@quay-postgresql/quay"
    assert "FEATURE_SIGNING" not in migrated_config(result)


def test_managed_components_stay_managed_and_lose_their_fields():
    spec = {"quay": {"registryBackends": [{"name": "s3", "s3": {}}], "database": {"volumeSize": "10Gi"},
                     "externalAccess": {"type": "Route"}, "enableRepoMirroring": True},
            "redis": {}, "clair": {"enabled": True}}
    result = migrate(ecosystem(spec))
    assert result.registry["spec"]["components"] == [{"kind": "objectstorage", "managed": False}]
    assert result.postgres == PostgresDataMigration(
        "10Gi", "quayecosystem-quay-postgres-migration", "quayecosystem-quay-database", "quayecosystem-quay-postgresql",
        "quayecosystem-quay-database")
    assert sorted(migrated_config(result)) == ["DISTRIBUTED_STORAGE_CONFIG", "SERVER_HOSTNAME"]


def test_route_with_old_certs_keeps_route_managed_and_tls_unmanaged():
    spec = {"quay": {"registryBackends": [{"name": "s3", "s3": {}}], "externalAccess": {"type": "Route"}}}
    result = migrate(ecosystem(spec), old_secret(**{"ssl.cert": "CERT", "ssl.key": "KEY", "extra_ca_cert_a.crt": "CA"}))
    assert {"kind": "tls", "managed": False} in result.registry["spec"]["components"]
    assert not any(c["kind"] == "route" for c in result.registry["spec"]["components"])
    assert set(result.bundle["data"]) == {"config.yaml", "ssl.cert", "ssl.key", "extra_ca_cert_a.crt"}


def test_load_balancer_access_leaves_route_unmanaged():
    spec = {"quay": {"registryBackends": [{"name": "s3", "s3": {}}], "externalAccess": {"type": "LoadBalancer"}}}
    assert {"kind": "route", "managed": False} in migrate(ecosystem(spec)).registry["spec"]["components"]


def test_redis_with_hostname_stays_external():
    spec = {"quay": {"registryBackends": [{"name": "s3", "s3": {}}]}, "redis": {"hostname": "redis.example.com"}}
    assert {"kind": "redis", "managed": False} in migrate(ecosystem(spec)).registry["spec"]["components"]


def test_create_and_label_failures():
    status = plan_ecosystem_failure(ecosystem(), EcosystemReason.QUAY_REGISTRY_CREATION_ERROR, "conflict", now=NOW)
    assert [(c["type"], c["reason"], c["message"]) for c in status["conditions"]] == [
        ("QuayEcosystemMigrationFailure", "QuayRegistryCreationError",
         "failed to create `QuayRegistry` from `QuayEcosystem`: conflict")]
    status = plan_ecosystem_failure(ecosystem(), EcosystemReason.QUAY_ECOSYSTEM_LABEL_ERROR, "conflict", now=NOW)
    assert status["conditions"][0]["message"] == (
        "failed to mark `QuayEcosystem` with migration completed label: conflict")
