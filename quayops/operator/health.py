"""Component health → the eleven `Component*Ready` conditions and `Available`, and what blocks them in words.

Mirrors quay-operator pkg/cmpstatus (Evaluate and one checker per component) and
controllers/quay/quayregistry_status_controller.go (operator-facts §8.2). Objects are plain dicts as
the API returns them, keyed by (kind, name). Also reads the v3.6.0 `status.unhealthyComponents` shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from quayops.model.conditions import (
    ALL_HEALTHY,
    SOME_NOT_READY,
    ConditionType,
    Reason,
    Status,
    get_condition,
    render_condition,
    set_condition,
)
from quayops.operator.components import Kind, is_managed
from quayops.operator.plan import SUCCESS_REQUEUE_SECONDS, UPGRADE_JOB_SUFFIX, Plan, Step
from quayops.operator.rendering.hpa import BOUNDS as HPA_TARGETS
from quayops.operator.rendering.registry import owns
from quayops.operator.upgrades import detect_job_failure

STATUS_INTERVAL_SECONDS = SUCCESS_REQUEUE_SECONDS
AWAITING = "Awaiting for component {names} to become available"
AWAITING_QUAY = AWAITING.format(names="quay")
# Generic Deployment check (deploy.check)
ZERO_REPLICAS = "Deployment {dep} has zero replicas available"
AVAILABLE_NOT_FOUND = "Available condition not found for {dep}"
DEPLOYMENT_NOT_AVAILABLE = "Deployment {dep}: {message}"
DEPLOYMENT_HEALTHY = "Deployment {dep} healthy"
DEPLOYMENT_NOT_FOUND = "Deployment {dep} not found"
DEPLOYMENT_NOT_OWNED = "Deployment {dep} not owned by QuayRegistry"
JOB_NOT_FOUND = "Job {job} not found"
JOB_NOT_FINISHED = "Job {job} not finished"
NOT_MANAGED = {
    Kind.HPA: "Horizontal pod autoscaler not managed by the operator",
    Kind.ROUTE: "Route is not managed by the operator",
    Kind.MONITORING: "Monitoring not managed by the operator",
    Kind.POSTGRES: "Postgres not managed by the operator",
    Kind.OBJECTSTORAGE: "Object storage not managed by the operator",
    Kind.CLAIR: "Clair not managed by the operator",
    Kind.CLAIRPOSTGRES: "ClairPostgres not managed by the operator",
    Kind.REDIS: "Redis not managed by the operator",
    Kind.MIRROR: "Mirror not managed by the operator",
}
CONDITION_TYPES = {
    Kind.QUAY: ConditionType.COMPONENT_QUAY_READY,
    Kind.POSTGRES: ConditionType.COMPONENT_POSTGRES_READY,
    Kind.CLAIR: ConditionType.COMPONENT_CLAIR_READY,
    Kind.CLAIRPOSTGRES: ConditionType.COMPONENT_CLAIR_POSTGRES_READY,
    Kind.REDIS: ConditionType.COMPONENT_REDIS_READY,
    Kind.HPA: ConditionType.COMPONENT_HPA_READY,
    Kind.OBJECTSTORAGE: ConditionType.COMPONENT_OBJECT_STORAGE_READY,
    Kind.ROUTE: ConditionType.COMPONENT_ROUTE_READY,
    Kind.MIRROR: ConditionType.COMPONENT_MIRROR_READY,
    Kind.MONITORING: ConditionType.COMPONENT_MONITORING_READY,
    Kind.TLS: ConditionType.COMPONENT_TLS_READY,
}
# Checked before Quay; any not True keeps Quay and Mirror awaiting (in this order in the message).
QUAY_DEPENDENCIES = (Kind.POSTGRES, Kind.OBJECTSTORAGE, Kind.CLAIR, Kind.CLAIRPOSTGRES, Kind.TLS, Kind.REDIS)
# v3.6.0 named the quay component "base".
LEGACY_KINDS = {"base": Kind.QUAY}


@dataclass(frozen=True)
class Health:
    """One component's verdict: the condition's content plus what blocks it, in words."""

    kind: Kind
    ready: bool
    reason: Reason
    message: str
    blockers: tuple[str, ...] = ()

    def condition(self, *, now: datetime) -> dict:
        return render_condition(CONDITION_TYPES[self.kind], Status.TRUE if self.ready else Status.FALSE,
                                self.reason, self.message, now=now)


@dataclass(frozen=True)
class ComponentRow:
    """One component of a registry status, whichever shape it has: ready, reason, message."""

    component: str
    ready: bool
    reason: str
    message: str


def _ok(kind: Kind, message: str) -> Health:
    return Health(kind, True, Reason.COMPONENT_READY, message)


def _fail(kind: Kind, message: str, *blockers: str) -> Health:
    return Health(kind, False, Reason.COMPONENT_NOT_READY, message, blockers or (message,))


class _Checker:
    """The checkers of pkg/cmpstatus over one registry and the objects observed in its namespace."""

    def __init__(self, registry: dict, objects: Mapping[tuple[str, str], dict]):
        self.registry = registry
        self.objects = objects
        self.name = registry["metadata"]["name"]
        self.components = list((registry.get("spec") or {}).get("components") or [])

    def n(self, suffix: str) -> str:
        return f"{self.name}-{suffix}"

    def unmanaged(self, kind: Kind) -> Health | None:
        if is_managed(self.components, kind):
            return None
        return Health(kind, True, Reason.COMPONENT_NOT_MANAGED, NOT_MANAGED[kind])

    def scaled_to_zero(self, kind: Kind) -> bool:
        """The component's `replicas` override is 0 (Clair, Mirror and Quay honour it)."""
        for component in self.components:
            if component.get("kind") == kind:
                return (component.get("overrides") or {}).get("replicas") == 0
        return False

    def owned(self, kind: str) -> list[dict]:
        return [o for (k, _), o in sorted(self.objects.items()) if k == kind and owns(self.registry, o)]

    def find_deployment(self, kind: Kind, suffix: str, not_found: str, not_owned: str) -> tuple[dict | None, Health | None]:
        dep = self.n(suffix)
        obj = self.objects.get(("Deployment", dep))
        if obj is None:
            return None, _fail(kind, not_found.format(dep=dep))
        if not owns(self.registry, obj):
            return None, _fail(kind, not_owned.format(dep=dep))
        return obj, None

    def deployment(self, kind: Kind, obj: dict) -> Health:
        """deploy.check: replicas available, then the Deployment's Available condition."""
        dep = obj["metadata"]["name"]
        status = obj.get("status") or {}
        if not status.get("availableReplicas"):
            short = f"{dep.removeprefix(self.name + '-')} has zero replicas available"
            return _fail(kind, ZERO_REPLICAS.format(dep=dep), short, *self.pvc_blockers(obj))
        available = get_condition(status.get("conditions") or [], "Available")
        if available is None:
            return _fail(kind, AVAILABLE_NOT_FOUND.format(dep=dep))
        if available.get("status") != Status.TRUE:
            return _fail(kind, DEPLOYMENT_NOT_AVAILABLE.format(dep=dep, message=available.get("message", "")))
        return _ok(kind, DEPLOYMENT_HEALTHY.format(dep=dep))

    def pvc_blockers(self, deployment: dict) -> list[str]:
        """The claims a Deployment's pods mount that are not Bound, e.g. "PVC x-quay-database Pending"."""
        volumes = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes") or []
        blockers = []
        for volume in volumes:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.objects.get(("PersistentVolumeClaim", claim))
            phase = "missing" if pvc is None else (pvc.get("status") or {}).get("phase") or "Pending"
            if phase != "Bound":
                blockers.append(f"PVC {claim} {phase}")
        return blockers

    def simple(self, kind: Kind, suffix: str, label: str) -> Health:
        """Postgres and Redis: "<label> deployment not found/not owned", then the generic check."""
        if unmanaged := self.unmanaged(kind):
            return unmanaged
        obj, failed = self.find_deployment(kind, suffix, f"{label} deployment not found",
                                           f"{label} deployment not owned by QuayRegistry")
        return failed or self.deployment(kind, obj)

    def scalable(self, kind: Kind, suffix: str, label: str, *, not_found: str, not_owned: str,
                 healthy: str | None) -> Health:
        """Clair and Mirror: a `replicas: 0` override makes "manually scaled down" healthy."""
        if unmanaged := self.unmanaged(kind):
            return unmanaged
        obj, failed = self.find_deployment(kind, suffix, not_found, not_owned)
        if failed:
            return failed
        if self.scaled_to_zero(kind):
            if not (obj.get("status") or {}).get("availableReplicas"):
                return _ok(kind, f"{label} manually scaled down")
            return _fail(kind, f"{label} component is being scaled down")
        result = self.deployment(kind, obj)
        return _ok(kind, healthy) if result.ready and healthy else result

    def hpa(self) -> Health:
        if unmanaged := self.unmanaged(Kind.HPA):
            return unmanaged
        for target, _, _ in HPA_TARGETS:
            obj = self.objects.get(("HorizontalPodAutoscaler", self.n(target)))
            if obj is None:
                return _fail(Kind.HPA, "Horizontal pod autoscaler not found", f"HPA {self.n(target)} not found")
            if not owns(self.registry, obj):
                return _fail(Kind.HPA, "Horizontal pod autoscaler not owned by QuayRegistry",
                             f"HPA {self.n(target)} not owned by QuayRegistry")
        return _ok(Kind.HPA, "Horizontal pod autoscaler found")

    def route(self) -> Health:
        if unmanaged := self.unmanaged(Kind.ROUTE):
            return unmanaged
        routes = self.owned("Route")
        if not routes:
            return _fail(Kind.ROUTE, "Route not found")
        route = routes[0]
        ingress = (route.get("status") or {}).get("ingress") or []
        if not ingress:
            return _fail(Kind.ROUTE, "Route found but no ingress", f"route {route['metadata']['name']} has no ingress")
        for entry in ingress:
            admitted = get_condition(entry.get("conditions") or [], "Admitted")
            if not admitted or admitted.get("status") != Status.TRUE:
                return _fail(Kind.ROUTE, "Route not fully admitted",
                             f"route {route['metadata']['name']} not admitted by router {entry.get('routerName', '')}")
        return _ok(Kind.ROUTE, "Route admitted")

    def monitoring(self) -> Health:
        if unmanaged := self.unmanaged(Kind.MONITORING):
            return unmanaged
        for kind, suffix in (("PrometheusRule", "quay-prometheus-rules"), ("ServiceMonitor", "quay-metrics-monitor")):
            obj = self.objects.get((kind, self.n(suffix)))
            if obj is None:
                return _fail(Kind.MONITORING, f"{kind} {self.n(suffix)} not found")
            if not owns(self.registry, obj):
                return _fail(Kind.MONITORING, f"{kind} {self.n(suffix)} not owned by QuayRegistry")
        return _ok(Kind.MONITORING, "ServiceMonitor and PrometheusRules created")

    def objectstorage(self) -> Health:
        if unmanaged := self.unmanaged(Kind.OBJECTSTORAGE):
            return unmanaged
        claims = self.owned("ObjectBucketClaim")
        if not claims:
            return _fail(Kind.OBJECTSTORAGE, "Unable to locate object bucket claim")
        phase = (claims[0].get("status") or {}).get("phase") or "Pending"
        if phase != "Bound":
            return _fail(Kind.OBJECTSTORAGE, "Object bucket claim not bound",
                         f"ObjectBucketClaim {claims[0]['metadata']['name']} {phase}")
        return _ok(Kind.OBJECTSTORAGE, "Object bucket claim bound")

    def tls(self) -> Health:
        bundle_name = (self.registry.get("spec") or {}).get("configBundleSecret") or ""
        if not bundle_name:
            return _fail(Kind.TLS, "Config bundle secret not populated")
        secret = self.objects.get(("Secret", bundle_name))
        if secret is None:
            return _fail(Kind.TLS, "Config bundle does not exist", f"config bundle Secret {bundle_name} not found")
        keys = set(secret.get("data") or {}) | set(secret.get("stringData") or {})
        if is_managed(self.components, Kind.TLS):
            if keys & {"ssl.cert", "ssl.key"}:
                return _fail(Kind.TLS, "TLS managed but config bundle contain certs")
            return _ok(Kind.TLS, "Using cluster wildcard certs")
        if not {"ssl.cert", "ssl.key"} <= keys:
            return _fail(Kind.TLS, "TLS unmanaged but config bundle does not contain certs")
        return _ok(Kind.TLS, "Config bundle contains certs")

    def quay(self) -> Health:
        job_name = self.n(UPGRADE_JOB_SUFFIX)
        job = self.objects.get(("Job", job_name))
        if job is None:
            return _fail(Kind.QUAY, JOB_NOT_FOUND.format(job=job_name), f"migrations not started: job {job_name} not found")
        status = job.get("status") or {}
        if not status.get("succeeded"):
            words = (f"migrations failed: job {job_name}: {detect_job_failure(job)}"
                     if status.get("failed") and not status.get("active")
                     else f"migrations still running: job {job_name} has 0 succeeded pods")
            return _fail(Kind.QUAY, JOB_NOT_FINISHED.format(job=job_name), words)
        for suffix in ("quay-app", "quay-config-editor"):
            obj, failed = self.find_deployment(Kind.QUAY, suffix, DEPLOYMENT_NOT_FOUND, DEPLOYMENT_NOT_OWNED)
            if failed:
                return failed
            if suffix == "quay-app" and self.scaled_to_zero(Kind.QUAY):
                if not (obj.get("status") or {}).get("availableReplicas"):
                    continue
                return _fail(Kind.QUAY, "Quay component is being scaled down")
            result = self.deployment(Kind.QUAY, obj)
            if not result.ready:
                return result
        return _ok(Kind.QUAY, "Quay component healthy")


def evaluate_components(registry: dict, objects: Mapping[tuple[str, str], dict]) -> list[Health]:
    """Evaluate: every component's health, in the order the status controller writes them."""
    check = _Checker(registry, objects)
    clair = {"not_found": DEPLOYMENT_NOT_FOUND, "not_owned": DEPLOYMENT_NOT_OWNED}
    results = [check.hpa(), check.route(), check.monitoring()]
    dependencies = {
        Kind.POSTGRES: lambda: check.simple(Kind.POSTGRES, "quay-database", "Postgres"),
        Kind.OBJECTSTORAGE: check.objectstorage,
        Kind.CLAIR: lambda: check.scalable(Kind.CLAIR, "clair-app", "Clair", healthy="Clair component healthy",
                                           **clair),
        Kind.CLAIRPOSTGRES: lambda: check.scalable(Kind.CLAIRPOSTGRES, "clair-postgres", "ClairPostgres",
                                                   healthy="ClairPostgres component healthy", **clair),
        Kind.TLS: check.tls,
        Kind.REDIS: lambda: check.simple(Kind.REDIS, "quay-redis", "Redis"),
    }
    checked = [dependencies[kind]() for kind in QUAY_DEPENDENCIES]
    results += checked
    failed = [h.kind for h in checked if not h.ready]
    if failed:
        return results + [Health(Kind.QUAY, False, Reason.COMPONENT_NOT_READY, AWAITING.format(names=",".join(failed))),
                          Health(Kind.MIRROR, False, Reason.COMPONENT_NOT_READY, AWAITING_QUAY)]
    quay = check.quay()
    if not quay.ready:
        return results + [quay, Health(Kind.MIRROR, False, Reason.COMPONENT_NOT_READY, AWAITING_QUAY)]
    mirror = check.scalable(Kind.MIRROR, "quay-mirror", "Mirror", healthy=None, not_found="Mirror deployment not found",
                            not_owned="Mirror deployment not owned by QuayRegistry")
    return results + [quay, mirror]


def evaluate_health(registry: dict, observed_objects: Mapping[tuple[str, str], dict], *, now: datetime) -> list[dict]:
    """The eleven `Component*Ready` conditions in evaluation order, then `Available`.

    Available is False/ComponentNotReady when any condition has reason ComponentNotReady (HPA, route
    and monitoring included), else True/HealthChecksPassing.
    """
    results = evaluate_components(registry, observed_objects)
    conditions = [h.condition(now=now) for h in results]
    if any(h.reason == Reason.COMPONENT_NOT_READY for h in results):
        available = render_condition(ConditionType.AVAILABLE, Status.FALSE, Reason.COMPONENT_NOT_READY,
                                     SOME_NOT_READY, now=now)
    else:
        available = render_condition(ConditionType.AVAILABLE, Status.TRUE, Reason.HEALTH_CHECKS_PASSING,
                                     ALL_HEALTHY, now=now)
    return conditions + [available]


def plan_health(registry: dict, observed_objects: Mapping[tuple[str, str], dict], *, now: datetime) -> Plan:
    """One round of the 60-second status loop: the health conditions written, unknown types pruned.

    A condition whose status did not change keeps its `lastTransitionTime`.
    """
    status = dict(registry.get("status") or {})
    conditions = list(status.get("conditions") or [])
    for condition in evaluate_health(registry, observed_objects, now=now):
        previous = get_condition(conditions, condition["type"])
        if previous and previous.get("status") == condition["status"] and previous.get("lastTransitionTime"):
            condition = {**condition, "lastTransitionTime": previous["lastTransitionTime"]}
        conditions = set_condition(conditions, condition)
    known = set(ConditionType)
    status["conditions"] = [c for c in conditions if c.get("type") in known]
    return Plan(Step.HEALTH, requeue_after=STATUS_INTERVAL_SECONDS, status=status)


def explain_not_ready(registry: dict, observed_objects: Mapping[tuple[str, str], dict]) -> list[str]:
    """What keeps the registry from Available, in words, most fundamental first.

    From the main controller's conditions (RolloutBlocked, ComponentsCreated) and a fresh health
    evaluation, e.g. "migrations still running: job example-registry-quay-app-upgrade has 0 succeeded
    pods", "clair-app has zero replicas available", "PVC example-registry-quay-database Pending".
    Components only awaiting others add nothing; they name no cause of their own.
    """
    conditions = (registry.get("status") or {}).get("conditions") or []
    words = []
    blocked = get_condition(conditions, ConditionType.ROLLOUT_BLOCKED)
    if blocked and blocked.get("status") == Status.TRUE:
        words.append(f"rollout blocked ({blocked.get('reason')}): {blocked.get('message')}")
    created = get_condition(conditions, ConditionType.COMPONENTS_CREATED)
    if created and created.get("status") == Status.FALSE and created.get("reason") != Reason.MIGRATIONS_IN_PROGRESS:
        words.append(f"components not created ({created.get('reason')}): {created.get('message')}")
    for health in evaluate_components(registry, observed_objects):
        words.extend(health.blockers)
    return list(dict.fromkeys(words))


def detect_component_rows(registry: dict) -> list[ComponentRow]:
    """Per-component (ready, reason, message) rows of a QuayRegistry status, 3.7 or v3.6.0 shape.

    3.7/3.8: one row per `Component*Ready` condition. v3.6.0: `status.unhealthyComponents` maps a
    component to its failing conditions; listed ones are not ready, other spec components are.
    """
    status = registry.get("status") or {}
    unhealthy = status.get("unhealthyComponents")
    if unhealthy is None:
        kinds = {str(t): kind for kind, t in CONDITION_TYPES.items()}
        return [ComponentRow(str(kinds[c["type"]]), c.get("status") == Status.TRUE, c.get("reason", ""),
                             c.get("message", ""))
                for c in status.get("conditions") or [] if c.get("type") in kinds]
    rows = {str(LEGACY_KINDS.get(k, k)): _legacy_row(LEGACY_KINDS.get(k, k), conds) for k, conds in unhealthy.items()}
    spec_kinds = [str(c.get("kind")) for c in (registry.get("spec") or {}).get("components") or []]
    for kind in spec_kinds:
        rows.setdefault(kind, ComponentRow(kind, True, "", ""))
    order = {k: i for i, k in enumerate(spec_kinds)}
    return sorted(rows.values(), key=lambda r: order.get(r.component, len(order)))


def _legacy_row(kind: str, conditions: Iterable[Mapping]) -> ComponentRow:
    conditions = list(conditions)
    reason = next((c.get("reason", "") for c in conditions), "")
    return ComponentRow(str(kind), False, reason, "; ".join(c.get("message", "") for c in conditions))
