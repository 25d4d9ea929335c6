"""What one reconcile pass sees (`Observed`) and what it decides (`Plan`), as plain data.

Mirrors the reads and writes of quay-operator controllers/quay/quayregistry_controller.go and
controllers/quay/features.go (operator-facts §1, §7, §8.1, §9): every Get/List becomes a field or an
accessor of `Observed`, every Create/Update/Delete/Status().Update a field of `Plan`.
"""

from __future__ import annotations

import hashlib
import random as random_module
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from quayops.config.bundle import Bundle, bundle_from_secret
from quayops.model.conditions import Status, render_condition, render_last_updated, set_condition
from quayops.operator.platform import OperatorEnv, Platform
from quayops.operator.rendering.keys import MANAGED_KEYS_SUFFIX, ManagedKeys
from quayops.operator.rendering.registry import REGISTRY_LABEL, Rendered, owner_reference

FINALIZER = "quay-operator/finalizer"
FIELD_OWNER = "quay-operator"
# Requeue intervals (operator-facts §9): early returns, full success, and the probe Route's poll.
REQUEUE_SECONDS = 10
SUCCESS_REQUEUE_SECONDS = 60
ROUTE_PROBE_POLL_SECONDS = 1
ROUTE_PROBE_TIMEOUT_SECONDS = 300
# Jobs are deleted (foreground) and re-created, retrying AlreadyExists every 2 s for up to 600 s.
JOB_RECREATE_RETRY_SECONDS = 2
JOB_RECREATE_TIMEOUT_SECONDS = 600
UPGRADE_JOB_SUFFIX = "quay-app-upgrade"
PROBE_ROUTE_SUFFIX = "test-route"
DATASTORE_SUFFIX = "quay-datastore"
# checkClusterCAHash: ConfigMap suffix (also the annotation key) and the data key hashed.
CLUSTER_CA = (("cluster-service-ca", "service-ca.crt"), ("cluster-trusted-ca", "ca-bundle.crt"))
SECRET_NOT_FOUND = 'secrets "{name}" not found'
# The API server's generateName suffix: 5 characters of this alphabet (SimpleNameGenerator).
GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class Step(StrEnum):
    """Where a pass ended, named after the reconcile step of operator-facts §9 (number in comments)."""

    NOT_FOUND = "not-found"  # 1
    DELETION = "deletion"  # 2, §12
    MIGRATIONS = "migrations"  # 3, §10
    INITIAL_BUNDLE = "initial-bundle"  # 4
    BUNDLE_SECRET = "bundle-secret"  # 5
    CLUSTER_CA = "cluster-ca"  # 7
    MANAGED_KEYS = "managed-keys"  # 8
    ROUTES = "routes"  # 9
    ROUTE_PROBE_CREATED = "route-probe-created"  # 9: the probe Route was just created
    ROUTE_PROBE_WAITING = "route-probe-waiting"  # 9: no `status.ingress` yet
    OBJECT_STORAGE = "object-storage"  # 10
    BUILD_MANAGER = "build-manager"  # 11
    MONITORING = "monitoring"  # 12
    DEFAULTING = "defaulting"  # 13
    OVERRIDES = "overrides"  # 14
    WRITE_BACK = "write-back"  # 15
    CONFIG = "config"  # 16
    COMPONENT_CONFIG = "component-config"  # 18
    RENDER = "render"  # 19
    APPLY = "apply"  # 20 (failures reported by the driver)
    NAMESPACE_LABELS = "namespace-labels"  # 21 (failures reported by the driver)
    STORAGE_PENDING = "objectstorage-pending"  # 24
    MIGRATIONS_STARTED = "migrations-started"  # 26
    COMPLETE = "complete"  # 28
    HEALTH = "health"  # the 60-second status loop, §8.2


@dataclass(frozen=True)
class ObjectRef:
    """An object to delete; `propagation` is the DeleteOptions propagationPolicy."""

    api_version: str
    kind: str
    name: str
    namespace: str
    propagation: str = "Background"

    @classmethod
    def of(cls, obj: Mapping, *, propagation: str = "Background") -> ObjectRef:
        meta = obj["metadata"]
        return cls(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace", ""), propagation)


@dataclass(frozen=True)
class Patch:
    """A JSON merge patch of an existing object (a `None` value removes the key)."""

    ref: ObjectRef
    patch: dict


@dataclass(frozen=True)
class Event:
    """A Kubernetes Event on the QuayRegistry: Warning for a True condition, else Normal (§8.1)."""

    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class Observed:
    """What the operator reads for one QuayRegistry.

    `objects` holds the namespace's objects by (kind, name) as the API returns them (Secrets with
    base64 `data` or `stringData`): the config bundle, the managed-keys Secret (or the ≤3.6.4 hashed
    one), the CA ConfigMaps, the probe Route, the upgrade Job, the bucket claim with its Secret and
    ConfigMap, and every rendered object. `platform` says which APIs exist (`routes`: the probe Route
    can be created) and carries the wildcard cert read from the probe Route's host. `read_errors`
    holds API errors other than NotFound by what was read: "bundle", "cluster-ca", "managed-keys".
    """

    registry: dict | None
    objects: Mapping[tuple[str, str], dict] = field(default_factory=dict)
    platform: Platform = field(default_factory=Platform)
    operator: OperatorEnv = field(default_factory=OperatorEnv)
    # The registry's Namespace object (monitoring labels) and how many QuayRegistries it holds.
    namespace: dict | None = None
    registries_in_namespace: int = 1
    read_errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.registry["metadata"]["name"]

    def get(self, kind: str, suffix: str) -> dict | None:
        """The observed object `<name>-<suffix>` of `kind`, or None."""
        return self.objects.get((kind, f"{self.name}-{suffix}"))

    @property
    def bundle(self) -> Bundle | None:
        """The Secret named by `spec.configBundleSecret`, or None when it does not exist."""
        secret_name = (self.registry.get("spec") or {}).get("configBundleSecret") or ""
        secret = self.objects.get(("Secret", secret_name))
        return bundle_from_secret(secret) if secret is not None else None

    @property
    def managed_keys(self) -> ManagedKeys | None:
        """checkManagedKeys: `<name>-quay-registry-managed-secret-keys`, else the ≤3.6.4 hashed Secret."""
        exact = self.get("Secret", MANAGED_KEYS_SUFFIX)
        if exact is None:
            wanted = f"{self.name}-{MANAGED_KEYS_SUFFIX}"
            exact = next((o for (kind, n), o in sorted(self.objects.items()) if kind == "Secret" and wanted in n
                          and (o["metadata"].get("labels") or {}).get(REGISTRY_LABEL) == self.name), None)
        return ManagedKeys.from_secret_data(bundle_from_secret(exact).files) if exact is not None else None

    @property
    def ca_hashes(self) -> tuple[str, str]:
        """checkClusterCAHash: last 8 hex digits of the sha256 of each CA ConfigMap's key, "" when absent."""
        return tuple(_ca_hash(self.get("ConfigMap", suffix), key) for suffix, key in CLUSTER_CA)

    @property
    def probe_route(self) -> dict | None:
        return self.get("Route", PROBE_ROUTE_SUFFIX)

    @property
    def upgrade_job(self) -> dict | None:
        return self.get("Job", UPGRADE_JOB_SUFFIX)

    @property
    def bucket_claim_pending(self) -> bool:
        """The claim `<name>-quay-datastore` exists but its Secret or ConfigMap does not yet."""
        return self.get("ObjectBucketClaim", DATASTORE_SUFFIX) is not None and not self.storage_initialized

    @property
    def storage_initialized(self) -> bool:
        """The claim and its Secret and ConfigMap all exist ("storage initialized", §9 step 10)."""
        return all(self.get(kind, DATASTORE_SUFFIX) is not None
                   for kind in ("ObjectBucketClaim", "Secret", "ConfigMap"))

    @property
    def bucket(self) -> dict[str, str]:
        """The datastore credentials and location, as the objectstorage field group reads them."""
        if not self.storage_initialized:
            return {}
        secret = bundle_from_secret(self.get("Secret", DATASTORE_SUFFIX)).files
        config = self.get("ConfigMap", DATASTORE_SUFFIX).get("data") or {}
        return {**{k: secret.get(k, b"").decode() for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")},
                **{k: config.get(k, "") for k in ("BUCKET_NAME", "BUCKET_HOST")}}


def _ca_hash(configmap: dict | None, key: str) -> str:
    data = (configmap or {}).get("data") or {}
    return hashlib.sha256(data[key].encode()).hexdigest()[-8:] if key in data else ""


@dataclass(frozen=True)
class Plan:
    """What one pass does, for a driver to carry out in this order.

    1. `delete` (Jobs with Foreground propagation; re-creating them retries AlreadyExists every 2 s
       for up to 600 s), 2. `create`, 3. `apply` (server-side apply, field owner `quay-operator`,
       force), 4. `patch`, 5. `spec` (update), 6. `status` (status update), 7. the finalizer change,
       8. `events`. If a write in 2–4 fails, the driver discards the rest and carries out
       `plan_failure(...)` instead, as the operator's early return does. `status` and `spec` are the
       whole new values, not diffs. `requeue_after` None with an `error` means controller-runtime's
       backoff; None without one means no requeue.
    """

    reason: Step
    requeue_after: float | None = REQUEUE_SECONDS
    error: str = ""
    create: tuple[dict, ...] = ()
    delete: tuple[ObjectRef, ...] = ()
    apply: tuple[dict, ...] = ()
    patch: tuple[Patch, ...] = ()
    spec: dict | None = None
    status: dict | None = None
    # The conditions written this pass, in order; each becomes one Event.
    conditions: tuple[dict, ...] = ()
    add_finalizer: str = ""
    remove_finalizer: str = ""
    rendered: Rendered | None = None

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(Event("Warning" if c["status"] == Status.TRUE else "Normal", c["reason"], c["message"])
                     for c in self.conditions)


def render_status(status: Mapping | None, conditions: list[dict], *, now: datetime, **fields) -> dict:
    """A new status: `conditions` written with SetCondition, `fields` set, `lastUpdated` now."""
    result = dict(status or {})
    merged = list(result.get("conditions") or [])
    for condition in conditions:
        merged = set_condition(merged, condition)
    result.update(fields, conditions=merged, lastUpdated=render_last_updated(now))
    return result


def plan_condition(registry: dict, step: Step, type_: str, status: str, reason: str, message: str, *,
                   now: datetime, requeue_after: float | None = REQUEUE_SECONDS) -> Plan:
    """A pass that ends by writing one condition onto the registry as fetched (its others stay)."""
    condition = render_condition(type_, status, reason, message, now=now)
    return Plan(step, requeue_after=requeue_after, conditions=(condition,),
                status=render_status(registry.get("status"), [condition], now=now))


def render_probe_route(registry: dict) -> dict:
    """The Route `<name>-test-route` the operator creates to learn the cluster's apps domain (§3.1)."""
    meta = registry["metadata"]
    return {"apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": f"{meta['name']}-{PROBE_ROUTE_SUFFIX}", "namespace": meta["namespace"],
                         "ownerReferences": [owner_reference(registry)]},
            "spec": {"to": {"kind": "Service", "name": "none"}}}


def render_admitted_probe_route(registry: dict, cluster_hostname: str, *, router: str = "default") -> dict:
    """The probe Route as an OpenShift router leaves it: host set and one admitted ingress.

    For previews and tests, which have no router to wait for.
    """
    route = render_probe_route(registry)
    meta = registry["metadata"]
    host = f"{route['metadata']['name']}-{meta['namespace']}.{cluster_hostname}"
    route["spec"]["host"] = host
    route["status"] = {"ingress": [{"host": host, "routerName": router,
                                    "routerCanonicalHostname": f"router-{router}.{cluster_hostname}",
                                    "conditions": [{"type": "Admitted", "status": "True"}]}]}
    return route


def detect_cluster_hostname(probe_route: Mapping) -> str | None:
    """The apps domain from the probe Route's first ingress, or None while it has none.

    `routerCanonicalHostname` without the `router-<routerName>.` prefix (checkRoutesAvailable).
    """
    ingress = (probe_route.get("status") or {}).get("ingress") or []
    if not ingress:
        return None
    return ingress[0].get("routerCanonicalHostname", "").removeprefix(f"router-{ingress[0].get('routerName', '')}.")


def render_generated_name(prefix: str, random: random_module.Random) -> str:
    """A name as the API server draws it for `generateName: prefix`, so one Plan can refer to it."""
    return prefix + "".join(random.choice(GENERATE_NAME_ALPHABET) for _ in range(5))
