"""QuayRegistry status condition types and reasons, spelled as on the wire.

Mirrors quay-operator apis/quay/v1/quayregistry_types.go (operator-facts §8.1).
"""

from __future__ import annotations

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
