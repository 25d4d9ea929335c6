"""QuayRegistry status condition types and reasons, spelled as on the wire.

Mirrors quay-operator apis/quay/v1/quayregistry_types.go SetCondition/RemoveCondition/GetCondition and
controllers/redhatcop/quayecosystem_controller.go (operator-facts §1, §8.1, §11).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum


class ConditionType(StrEnum):
    """The 14 condition types the operator writes; any other type is pruned."""

    AVAILABLE = "Available"
    ROLLOUT_BLOCKED = "RolloutBlocked"
    COMPONENTS_CREATED = "ComponentsCreated"
    COMPONENT_QUAY_READY = "ComponentQuayReady"
    COMPONENT_POSTGRES_READY = "ComponentPostgresReady"
    COMPONENT_CLAIR_READY = "ComponentClairReady"
    COMPONENT_CLAIR_POSTGRES_READY = "ComponentClairPostgresReady"
    COMPONENT_REDIS_READY = "ComponentRedisReady"
    COMPONENT_HPA_READY = "ComponentHPAReady"
    COMPONENT_OBJECT_STORAGE_READY = "ComponentObjectStorageReady"
    COMPONENT_ROUTE_READY = "ComponentRouteReady"
    COMPONENT_MIRROR_READY = "ComponentMirrorReady"
    COMPONENT_MONITORING_READY = "ComponentMonitoringReady"
    COMPONENT_TLS_READY = "ComponentTLSReady"


class Reason(StrEnum):
    """Condition reasons. `UPGRADE_UNSUPPORTED` is defined upstream but never set (operator-facts §3.5)."""

    COMPONENT_NOT_READY = "ComponentNotReady"
    COMPONENT_READY = "ComponentReady"
    COMPONENT_NOT_MANAGED = "ComponentNotManaged"
    HEALTH_CHECKS_PASSING = "HealthChecksPassing"
    MIGRATIONS_IN_PROGRESS = "MigrationsInProgress"
    MIGRATIONS_FAILED = "MigrationsFailed"
    MIGRATIONS_JOB_MISSING = "MigrationsJobMissing"
    COMPONENTS_CREATION_SUCCESS = "ComponentsCreationSuccess"
    UPGRADE_UNSUPPORTED = "UpgradeUnsupported"
    COMPONENT_CREATION_FAILED = "ComponentCreationFailed"
    ROUTE_COMPONENT_DEPENDENCY_ERROR = "RouteComponentDependencyError"
    OBJECT_STORAGE_COMPONENT_DEPENDENCY_ERROR = "ObjectStorageComponentDependencyError"
    MONITORING_COMPONENT_DEPENDENCY_ERROR = "MonitoringComponentDependencyError"
    CONFIG_INVALID = "ConfigInvalid"
    COMPONENT_OVERRIDE_INVALID = "ComponentOverrideInvalid"


class Status(StrEnum):
    """metav1.ConditionStatus."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class EcosystemConditionType(StrEnum):
    """QuayEcosystem conditions the migration controller writes (operator-facts §11)."""

    CONFIG_MIGRATION_FAILURE = "QuayEcosystemConfigMigrationFailure"
    COMPONENT_MIGRATION_FAILURE = "QuayEcosystemComponentMigrationFailure"
    MIGRATION_FAILURE = "QuayEcosystemMigrationFailure"


class EcosystemReason(StrEnum):
    """QuayEcosystem migration failure reasons (operator-facts §11)."""

    CONFIG_BUNDLE_SECRET_INVALID = "ConfigBundleSecretInvalid"
    COMPONENT_UNSUPPORTED = "ComponentUnsupported"
    QUAY_REGISTRY_CREATION_ERROR = "QuayRegistryCreationError"
    QUAY_ECOSYSTEM_LABEL_ERROR = "QuayEcosystemLabelError"


# The main controller's fixed messages (operator-facts §8.1, §10).
ALL_OBJECTS_CREATED = "All objects created/updated successfully"
ALL_COMPONENTS_CREATED = "All registry components created"
MIGRATIONS_RUNNING = "running database migrations"
UPGRADE_JOB_NOT_FOUND = "upgrade job not found"
MIGRATIONS_FAILED_DEFAULT = "failed to run migrations"
# The status controller's Available messages (operator-facts §8.2).
ALL_HEALTHY = "All components reporting as healthy"
SOME_NOT_READY = "Some components are not ready"


def render_condition_time(now: datetime) -> str:
    """metav1.Time on the wire: RFC 3339 in UTC, whole seconds."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_last_updated(now: datetime) -> str:
    """`status.lastUpdated`: Go's `time.Now().UTC().String()`, e.g. "2024-05-01 12:00:00.5 +0000 UTC"."""
    utc = now.astimezone(UTC)
    fraction = f".{utc.microsecond:06d}".rstrip("0").rstrip(".")
    return f"{utc:%Y-%m-%d %H:%M:%S}{fraction} +0000 UTC"


def render_condition(type_: str, status: str, reason: str, message: str, *, now: datetime) -> dict:
    """A condition as the operator writes it: both times set to now."""
    stamp = render_condition_time(now)
    return {"type": str(type_), "status": str(status), "reason": str(reason), "message": message,
            "lastUpdateTime": stamp, "lastTransitionTime": stamp}


def set_condition(conditions: list[dict], condition: dict) -> list[dict]:
    """SetCondition: a new list with `condition` replacing the first of its type in place, else appended."""
    result = [dict(c) for c in conditions]
    for i, existing in enumerate(result):
        if existing.get("type") == condition["type"]:
            result[i] = dict(condition)
            return result
    result.append(dict(condition))
    return result


def remove_condition(conditions: list[dict], type_: str) -> list[dict]:
    """RemoveCondition: a new list without any condition of that type."""
    return [dict(c) for c in conditions if c.get("type") != type_]


def get_condition(conditions: list[dict], type_: str) -> dict | None:
    """GetCondition: the first condition of that type, or None."""
    return next((c for c in conditions if c.get("type") == type_), None)
