"""QuayEcosystem migration predicted by the operator's rules plus the guide's limits (12.6.2), from literals."""

import base64

from quayops.upgrade.ecosystem import BLOCK, INFO, MANUAL, predict_ecosystem_migration

CONFIG = b"SERVER_HOSTNAME: quay.example.com\nDB_URI: postgresql://quay:pw@db/quay\nFEATURE_SIGNING: false\n"
SECRET = {"metadata": {"name": "quay-enterprise-config-secret"},
          "data": {"config.yaml": base64.b64encode(CONFIG).decode()}}
S3 = [{"name": "s3", "s3": {"bucketName": "quay"}}]


def ecosystem(quay=None, **spec):
    quay = {"registryBackends": S3, "externalAccess": {"type": "Route"}, "database": {"server": "db"}, **(quay or {})}
    return {"metadata": {"name": "eco", "namespace": "q"}, "spec": {"quay": quay, **spec}}


def findings(prediction):
    return {(f.severity, f.what): f.message for f in prediction.findings}


def test_supported_configuration_predicts_the_components_and_no_blocker():
    p = predict_ecosystem_migration(ecosystem({"enableRepoMirroring": True}, redis={}), SECRET)
    assert not p.blocked
    after = {r["component"]: r["QuayRegistry"] for r in p.components}
    assert after == {"objectstorage": "unmanaged", "postgres": "unmanaged", "route": "managed", "tls": "managed",
                     "redis": "managed", "mirror": "managed", "clair": "unmanaged"}
    assert p.registry["metadata"]["annotations"] == {"quay-operator/migrated-from": "eco"}
    assert "FEATURE_SIGNING" in findings(p)[(INFO, "config")]


def test_local_storage_blocks_with_the_operators_message():
    p = predict_ecosystem_migration(ecosystem({"registryBackends": [{"name": "l", "local": {}}]}), SECRET)
    assert p.blocked and p.registry is None
    assert "failed to migrate object storage: cannot migrate local object storage" in \
        findings(p)[(BLOCK, "QuayEcosystemComponentMigrationFailure")]


def test_missing_old_secret_blocks():
    p = predict_ecosystem_migration(ecosystem(), None)
    assert "failed to retrieve `quay-enterprise-config-secret`" in \
        findings(p)[(BLOCK, "QuayEcosystemConfigMigrationFailure")]


def test_database_without_volume_size_blocks_and_with_it_moves_the_data():
    assert (BLOCK, "database") in findings(predict_ecosystem_migration(ecosystem({"database": {}}), SECRET))
    p = predict_ecosystem_migration(ecosystem({"database": {"volumeSize": "10Gi"}}), SECRET)
    assert not p.blocked and "eco-quay-database (10Gi)" in findings(p)[(INFO, "database")]
    assert {r["component"]: r["QuayRegistry"] for r in p.components}["postgres"] == "managed"


def test_non_passthrough_route_blocks():
    edge = {"externalAccess": {"type": "Route", "tls": {"termination": "edge"}}}
    assert "only passthrough" in findings(predict_ecosystem_migration(ecosystem(edge), SECRET))[(BLOCK, "route")]
    live = {"spec": {"tls": {"termination": "reencrypt"}}}
    assert predict_ecosystem_migration(ecosystem(), SECRET, route=live).blocked


def test_load_balancer_services_need_the_guides_manual_steps():
    lb = predict_ecosystem_migration(ecosystem({"externalAccess": {"type": "LoadBalancer"}}), SECRET)
    assert not lb.blocked and "remove metadata.ownerReferences from the old Service eco-quay" in \
        findings(lb)[(MANUAL, "service")]
    named = {"externalAccess": {"type": "NodePort", "hostname": "quay.example.com"}}
    assert "point your DNS" in findings(predict_ecosystem_migration(ecosystem(named), SECRET))[(MANUAL, "service")]
    assert {r["component"]: r["QuayRegistry"] for r in lb.components}["route"] == "unmanaged"


def test_already_migrated_ecosystem_is_predicted_as_if_labelled_fresh():
    eco = ecosystem()
    eco["metadata"]["labels"] = {"quay-operator/migration-complete": "true"}
    assert predict_ecosystem_migration(eco, SECRET).registry is not None
