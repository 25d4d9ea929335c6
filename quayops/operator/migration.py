"""QuayEcosystem (the old redhat-cop operator) → QuayRegistry: what migrates and what blocks it.

Mirrors quay-operator controllers/redhatcop/quayecosystem_controller.go and docs/upgrades.md
(operator-facts §11). Pure: the caller creates the returned objects and writes the returned status.
"""

from __future__ import annotations

import base64
import random as random_module
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from quayops.config.bundle import bundle_from_secret
from quayops.model.conditions import (
    EcosystemConditionType,
    EcosystemReason,
    Status,
    remove_condition,
    render_condition,
    set_condition,
)
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.operator.checks import CONFIG_KEYS, parse_bundle_yaml
from quayops.operator.components import Kind
from quayops.operator.plan import SECRET_NOT_FOUND, render_generated_name
from quayops.operator.rendering.configmerge import dump_yaml

MIGRATE_LABEL = "quay-operator/migrate"
MIGRATION_COMPLETE_LABEL = "quay-operator/migration-complete"
MIGRATED_FROM_ANNOTATION = "quay-operator/migrated-from"
OLD_CONFIG_SECRET = "quay-enterprise-config-secret"
SECRET_UNREADABLE = "failed to retrieve `quay-enterprise-config-secret`: {err}"
CONFIG_UNREADABLE = "failed to unmarshal config.yaml: {err}"
LOCAL_STORAGE_UNSUPPORTED = "failed to migrate object storage: cannot migrate local object storage"
REGISTRY_CREATE_FAILED = "failed to create `QuayRegistry` from `QuayEcosystem`: {err}"
LABEL_FAILED = "failed to mark `QuayEcosystem` with migration completed label: {err}"
# Removed from every migrated config.yaml (signing is gone from Quay 3.4+).
ALWAYS_REMOVED = ("GPG2_PRIVATE_KEY_FILENAME", "GPG2_PRIVATE_KEY_NAME", "GPG2_PUBLIC_KEY_FILENAME", "SIGNING_ENGINE",
                  "FEATURE_SIGNING")
# A managed route keeps SERVER_HOSTNAME; the rest of the host settings go.
ROUTE_REMOVED = tuple(k for k in CONFIG_KEYS[Kind.ROUTE] if k != "SERVER_HOSTNAME")
CLEARED_ON_SKIP = (EcosystemConditionType.CONFIG_MIGRATION_FAILURE, EcosystemConditionType.COMPONENT_MIGRATION_FAILURE)


@dataclass(frozen=True)
class PostgresDataMigration:
    """The managed-postgres data move: a migration Deployment copies the old database into a new PVC.

    The old role and database are renamed to `database`, and `POSTGRESQL_ADMIN_PASSWORD` is added to
    `old_deployment`.
    """

    volume_size: str
    deployment: str
    pvc: str
    old_deployment: str
    database: str


@dataclass(frozen=True)
class EcosystemMigration:
    """The decision for one QuayEcosystem: objects to create, or the failure written on its status.

    `status` None leaves the QuayEcosystem's status alone. After creating `registry`, the caller labels
    the QuayEcosystem `quay-operator/migration-complete: "true"` (`label_complete`); failures of those
    writes are `plan_ecosystem_failure(...)`.
    """

    registry: dict | None = None
    bundle: dict | None = None
    postgres: PostgresDataMigration | None = None
    status: dict | None = None
    label_complete: bool = False


def _failure_status(ecosystem: Mapping, type_: str, reason: str, message: str, *, now: datetime) -> dict:
    status = dict(ecosystem.get("status") or {})
    status["conditions"] = set_condition(list(status.get("conditions") or []),
                                         render_condition(type_, Status.TRUE, reason, message, now=now))
    return status


def plan_ecosystem_failure(ecosystem: Mapping, reason: EcosystemReason, err: str, *, now: datetime) -> dict:
    """The QuayEcosystem status after the caller's create (QuayRegistryCreationError) or label write failed."""
    template = REGISTRY_CREATE_FAILED if reason == EcosystemReason.QUAY_REGISTRY_CREATION_ERROR else LABEL_FAILED
    return _failure_status(ecosystem, EcosystemConditionType.MIGRATION_FAILURE, reason, template.format(err=err), now=now)


def _objectstorage_migratable(quay: Mapping) -> bool:
    backends = quay.get("registryBackends") or []
    return quay.get("registryStorage") is None and bool(backends) and not any("local" in b for b in backends)


def plan_ecosystem_migration(ecosystem: Mapping, old_secret: Mapping | None, *, random: random_module.Random,
                             now: datetime) -> EcosystemMigration:
    """Decide the migration of a QuayEcosystem, given Secret `quay-enterprise-config-secret` (or None).

    Only QuayEcosystems labelled `quay-operator/migrate: "true"` act; already migrated ones just clear
    the two failure conditions. Components are listed only where they differ from what reconcile
    defaults, in the operator's order: objectstorage, postgres, tls/route, redis, mirror, clair.
    """
    meta = ecosystem["metadata"]
    labels = meta.get("labels") or {}
    if labels.get(MIGRATE_LABEL) != "true":
        return EcosystemMigration()
    if labels.get(MIGRATION_COMPLETE_LABEL) == "true":
        status = dict(ecosystem.get("status") or {})
        conditions = list(status.get("conditions") or [])
        for type_ in CLEARED_ON_SKIP:
            conditions = remove_condition(conditions, type_)
        return EcosystemMigration(status={**status, "conditions": conditions})
    name, namespace = meta["name"], meta["namespace"]

    def failed(type_: EcosystemConditionType, reason: EcosystemReason, message: str) -> EcosystemMigration:
        return EcosystemMigration(status=_failure_status(ecosystem, type_, reason, message, now=now))

    if old_secret is None:
        return failed(EcosystemConditionType.CONFIG_MIGRATION_FAILURE, EcosystemReason.CONFIG_BUNDLE_SECRET_INVALID,
                      SECRET_UNREADABLE.format(err=SECRET_NOT_FOUND.format(name=OLD_CONFIG_SECRET)))
    files = dict(bundle_from_secret(dict(old_secret)).files)
    config, err = parse_bundle_yaml(files.get("config.yaml"))
    if err:
        return failed(EcosystemConditionType.CONFIG_MIGRATION_FAILURE, EcosystemReason.CONFIG_BUNDLE_SECRET_INVALID,
                      CONFIG_UNREADABLE.format(err=err))
    spec = ecosystem.get("spec") or {}
    quay = spec.get("quay") or {}
    if not _objectstorage_migratable(quay):
        return failed(EcosystemConditionType.COMPONENT_MIGRATION_FAILURE, EcosystemReason.COMPONENT_UNSUPPORTED,
                      LOCAL_STORAGE_UNSUPPORTED)
    components = [{"kind": Kind.OBJECTSTORAGE, "managed": False}]
    removed = list(ALWAYS_REMOVED)
    database = quay.get("database") or {}
    postgres = None
    if not database.get("server") and database.get("volumeSize"):
        postgres = PostgresDataMigration(volume_size=str(database["volumeSize"]),
                                         deployment=f"{name}-quay-postgres-migration", pvc=f"{name}-quay-database",
                                         old_deployment=f"{name}-quay-postgresql", database=f"{name}-quay-database")
        removed += CONFIG_KEYS[Kind.POSTGRES]
    else:
        components.append({"kind": Kind.POSTGRES, "managed": False})
    if (quay.get("externalAccess") or {}).get("type") == "Route":
        if "ssl.key" in files and "ssl.cert" in files:
            components.append({"kind": Kind.TLS, "managed": False})
        removed += ROUTE_REMOVED
    else:
        components.append({"kind": Kind.ROUTE, "managed": False})
    redis = spec.get("redis")
    managed = {
        Kind.REDIS: redis is not None and not redis.get("hostname"),
        Kind.MIRROR: quay.get("enableRepoMirroring") is True,
        Kind.CLAIR: (spec.get("clair") or {}).get("enabled") is True,
    }
    for kind, keep in managed.items():
        if keep:
            removed += CONFIG_KEYS[kind]
        else:
            components.append({"kind": kind, "managed": False})
    files["config.yaml"] = dump_yaml({k: v for k, v in config.items() if k not in removed}).encode()
    bundle_name = render_generated_name(f"{name}-config-bundle-", random)
    bundle = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": bundle_name, "generateName": f"{name}-config-bundle-", "namespace": namespace},
              "data": {k: base64.b64encode(v).decode() for k, v in files.items()}}
    registry = {"apiVersion": API_VERSION, "kind": KIND,
                "metadata": {"name": name, "namespace": namespace, "annotations": {MIGRATED_FROM_ANNOTATION: name}},
                "spec": {"configBundleSecret": bundle_name, "components": [{**c, "kind": str(c["kind"])} for c in components]}}
    return EcosystemMigration(registry=registry, bundle=bundle, postgres=postgres, label_complete=True)
