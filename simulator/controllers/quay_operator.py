"""The Quay Operator as OLM runs it: `Observed` from the Store → `quayops.operator` → the Plan applied to the Store.

A thin driver of quay-operator's main and status controllers (operator-facts §8–§10, §12, §14): it acts
only while an operator pod is Ready, with the env that pod was given; every decision is quayops'.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from quayops.model.quayregistry import API_VERSION, KIND
from quayops.model.versions import VersionInvalid, parse_version
from quayops.operator.health import plan_health
from quayops.operator.plan import (
    FIELD_OWNER,
    JOB_RECREATE_RETRY_SECONDS,
    ObjectRef,
    Observed,
    Plan,
    Step,
)
from quayops.operator.platform import OperatorEnv, Platform
from quayops.operator.reconciling import plan_failure, reconcile
from simulator.controllers.base import Context, Key, Obj, Watched
from simulator.controllers.pods import ready_since
from simulator.olm_catalog import OPERATOR_CONTAINER, OPERATOR_POD_LABEL
from simulator.store.errors import AlreadyExists, NotFound, StatusError

MERGE = "application/merge-patch+json"
APPLY = "application/apply-patch+yaml"
RECORDER = "quayregistry-controller"
OPERATOR_SELECTOR = ",".join(f"{k}={v}" for k, v in OPERATOR_POD_LABEL.items())
# What the main controller reads in the registry's namespace (operator-facts §9 steps 5–10).
READ_KINDS = (("v1", "Secret"), ("v1", "ConfigMap"), ("batch/v1", "Job"), ("route.openshift.io/v1", "Route"),
              ("objectbucket.io/v1alpha1", "ObjectBucketClaim"))
# What the status controller's checks read (pkg/cmpstatus, operator-facts §8.2).
HEALTH_KINDS = (("apps/v1", "Deployment"), ("batch/v1", "Job"), ("v1", "Secret"), ("v1", "PersistentVolumeClaim"),
                ("autoscaling/v2", "HorizontalPodAutoscaler"), ("route.openshift.io/v1", "Route"),
                ("objectbucket.io/v1alpha1", "ObjectBucketClaim"), ("monitoring.coreos.com/v1", "ServiceMonitor"),
                ("monitoring.coreos.com/v1", "PrometheusRule"))
# The router's serving certificate, read as the operator reads it from the probe Route's host:443.
ROUTER_CERTS = ("openshift-ingress", "router-certs-default")
_FIELD = re.compile(r"^metadata\.(annotations|labels)\['(.+)'\]$")
# controller-runtime's per-item backoff for a returned error: 5 ms doubling, capped at 1000 s.
BACKOFF_BASE, BACKOFF_CAP = 0.005, 1000.0
# Immediate pace still waits this share of a requeue, so the periodic loops never spin.
MIN_REQUEUE_SCALE = 0.001


def container_env(pod: Mapping[str, Any], container: str) -> dict[str, str]:
    """The environment the kubelet gives `container`: values, and fieldRefs resolved against the pod."""
    spec = next((c for c in (pod.get("spec") or {}).get("containers") or [] if c.get("name") == container), {})
    meta = pod["metadata"]
    env: dict[str, str] = {}
    for var in spec.get("env") or []:
        path = ((var.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        if path is None:
            env[var["name"]] = str(var.get("value", ""))
        elif path in ("metadata.namespace", "metadata.name"):
            env[var["name"]] = meta.get(path.split(".")[1], "")
        elif m := _FIELD.match(path):
            env[var["name"]] = (meta.get(m.group(1)) or {}).get(m.group(2), "")
        elif path == "spec.nodeName":
            env[var["name"]] = (pod.get("spec") or {}).get("nodeName", "")
    return env


@dataclass(frozen=True)
class RunningOperator:
    """One Ready operator pod: its settings and the namespaces it watches (empty: all)."""

    pod: str
    env: OperatorEnv
    watch_namespaces: tuple[str, ...]

    def watches(self, namespace: str) -> bool:
        return not self.watch_namespaces or namespace in self.watch_namespaces

    @property
    def platform_namespace(self) -> str:
        """`--namespace` as the operator got it: "" for all namespaces."""
        return ",".join(self.watch_namespaces)


def detect_operator(ctx: Context, namespace: str) -> RunningOperator | None:
    """The operator in charge of `namespace`: the newest QUAY_VERSION among Ready operator pods watching it."""
    found = []
    for pod in ctx.list("v1", "Pod", label_selector=OPERATOR_SELECTOR):
        if pod["metadata"].get("deletionTimestamp") or not ready_since(pod):
            continue
        env = container_env(pod, OPERATOR_CONTAINER)
        watched = tuple(n for n in env.get("WATCH_NAMESPACE", "").split(",") if n)
        try:
            version = parse_version(env.get("QUAY_VERSION", ""))
        except VersionInvalid:
            version = None
        running = RunningOperator(pod["metadata"]["name"], operator_env(env), watched)
        if running.watches(namespace):
            found.append(((version is not None, version or 0, ready_since(pod) or ""), running))
    return max(found, key=lambda f: f[0])[1] if found else None


def operator_env(env: Mapping[str, str]) -> OperatorEnv:
    """OperatorEnv from the operator container's environment (main.go's reads, operator-facts §14)."""
    return OperatorEnv(
        quay_version=env.get("QUAY_VERSION", ""), branding=env.get("QUAY_DEFAULT_BRANDING", ""),
        pod_namespace=env.get("MY_POD_NAMESPACE", ""), dev_endpoint=env.get("DEV_OPERATOR_ENDPOINT", ""),
        skip_resource_requests=env.get("SKIP_RESOURCE_REQUESTS", "").lower() == "true",
        related_images=tuple((k, v) for k, v in env.items() if k.startswith("RELATED_IMAGE_COMPONENT_") and v),
        http_proxy=env.get("HTTP_PROXY", ""), https_proxy=env.get("HTTPS_PROXY", ""), no_proxy=env.get("NO_PROXY", ""))


def read_objects(ctx: Context, namespace: str, kinds: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Obj]:
    """The namespace's objects of `kinds` the cluster serves, by (kind, name), as stored (not copied)."""
    objects = {}
    for api_version, kind in kinds:
        if ctx.serves(api_version, kind):
            for obj in ctx.list(api_version, kind, namespace):
                objects[(kind, obj["metadata"]["name"])] = obj
    return objects


def observe(ctx: Context, registry: Obj, operator: RunningOperator) -> Observed:
    """What the operator reads for one pass: the namespace's objects, the platform probes, its own env."""
    namespace = registry["metadata"]["namespace"]
    certs = ctx.read("v1", "Secret", ROUTER_CERTS[1], ROUTER_CERTS[0]) if ctx.serves("route.openshift.io/v1", "Route") \
        else None
    platform = Platform(
        routes=ctx.serves("route.openshift.io/v1", "Route"),
        object_bucket_claims=ctx.serves("objectbucket.io/v1alpha1", "ObjectBucketClaim"),
        monitoring=ctx.serves("monitoring.coreos.com/v1", "ServiceMonitor")
        and ctx.serves("monitoring.coreos.com/v1", "PrometheusRule"),
        grafana_namespace=ctx.read("v1", "Namespace", "openshift-config-managed") is not None,
        watch_namespace=operator.platform_namespace,
        cluster_wildcard_cert=_decoded((certs or {}).get("data", {}).get("tls.crt", "")))
    return Observed(registry, read_objects(ctx, namespace, READ_KINDS), platform=platform, operator=operator.env,
                    namespace=ctx.read("v1", "Namespace", namespace),
                    registries_in_namespace=len(ctx.list(API_VERSION, KIND, namespace)))


def _decoded(data: str) -> bytes:
    return base64.b64decode(data) if data else b""


def now_of(ctx: Context) -> datetime:
    return datetime.fromtimestamp(ctx.clock.now(), UTC)


def requeue_seconds(ctx: Context, seconds: float) -> float:
    """An operator requeue on the simulator's pace: `fast` shortens the 10 s and 60 s waits alike."""
    scale = ctx.pace.stage("operator-requeue").delay / 60.0
    return seconds * max(scale, MIN_REQUEUE_SCALE)


def _operator_pod_keys(ctx: Context):
    """An operator pod starting, becoming Ready or going away: every QuayRegistry is looked at again."""
    def keys(_type: str, _pod: Obj) -> Iterable[Key]:
        return [(r["metadata"]["namespace"], r["metadata"]["name"]) for r in ctx.list(API_VERSION, KIND)]
    return keys


class QuayOperator:
    """The main controller: one reconcile pass per generation change or requeue, its Plan carried out."""

    name = "quay-operator"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._generations: dict[str, tuple[int, bool]] = {}
        self._failures: dict[Key, int] = {}
        self.watches = (Watched(API_VERSION, KIND, self._generation_changed),
                        Watched("v1", "Pod", self._operator_pods))
        self._pods = _operator_pod_keys(ctx)

    def _generation_changed(self, etype: str, registry: Obj) -> Iterable[Key]:
        """GenerationChangedPredicate: spec changes and deletion trigger a pass, status writes do not."""
        meta = registry["metadata"]
        seen = (meta.get("generation", 0), bool(meta.get("deletionTimestamp")))
        if etype == "DELETED":
            self._generations.pop(meta["uid"], None)
        elif self._generations.get(meta["uid"]) == seen:
            return ()
        else:
            self._generations[meta["uid"]] = seen
        return ((meta["namespace"], meta["name"]),)

    def _operator_pods(self, etype: str, pod: Obj) -> Iterable[Key]:
        return self._pods(etype, pod) if is_operator_pod(pod) else ()

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        operator = detect_operator(self.ctx, ns)
        if operator is None:  # no operator, no reconcile; its pod becoming Ready brings the key back
            return None
        registry = self.ctx.get(API_VERSION, KIND, name, ns)
        observed = observe(self.ctx, registry, operator) if registry is not None else Observed(None)
        now = now_of(self.ctx)
        plan = reconcile(observed, random=self.ctx.rng, now=now)
        return self._after(key, self.carry_out(registry, plan, now=now))

    def _after(self, key: Key, plan: Plan) -> float | None:
        if plan.error and plan.requeue_after is None:
            failures = self._failures[key] = self._failures.get(key, 0) + 1
            return min(BACKOFF_BASE * 2 ** (failures - 1), BACKOFF_CAP)
        self._failures.pop(key, None)
        return None if plan.requeue_after is None else requeue_seconds(self.ctx, plan.requeue_after)

    def carry_out(self, registry: Obj | None, plan: Plan, *, now: datetime) -> Plan:
        """Apply `plan` to the Store in the documented order; returns the plan whose requeue applies."""
        if registry is None:
            return plan
        meta = registry["metadata"]
        store = self.ctx.store
        try:
            for ref in plan.delete:
                self._delete(ref)
            for obj in plan.create:
                try:
                    store.create(self.ctx.kind(obj["apiVersion"], obj["kind"]), obj, field_manager=FIELD_OWNER)
                except AlreadyExists:
                    if obj["kind"] != "Job":
                        raise
                    # the foreground deletion still runs: retry every 2 s, as the operator's poll does
                    return Plan(plan.reason, requeue_after=JOB_RECREATE_RETRY_SECONDS)
            for obj in plan.apply:
                store.patch(self.ctx.kind(obj["apiVersion"], obj["kind"]), obj["metadata"]["name"], obj, APPLY,
                            namespace=obj["metadata"].get("namespace"), field_manager=FIELD_OWNER, force=True)
        except StatusError as e:
            step = Step.INITIAL_BUNDLE if plan.reason == Step.INITIAL_BUNDLE else Step.APPLY
            return self._fail(registry, step, e.message, now=now)
        for patch in plan.patch:
            try:
                store.patch(self.ctx.kind(patch.ref.api_version, patch.ref.kind), patch.ref.name, patch.patch, MERGE,
                            namespace=patch.ref.namespace or None, field_manager=FIELD_OWNER)
            except StatusError as e:
                if patch.ref.kind == "Namespace":
                    return self._fail(registry, Step.NAMESPACE_LABELS, e.message, now=now)
                raise
        kind = self.ctx.kind(API_VERSION, KIND)
        if plan.spec is not None:
            registry = store.update(kind, {**registry, "spec": plan.spec}, namespace=meta["namespace"],
                                    field_manager=FIELD_OWNER)
        if plan.status is not None:
            registry = self._write_status(registry, plan.status)
        finalizers = list(registry["metadata"].get("finalizers") or [])
        if plan.add_finalizer and plan.add_finalizer not in finalizers:
            registry = store.patch(kind, meta["name"], {"metadata": {"finalizers": [*finalizers, plan.add_finalizer]}},
                                   MERGE, namespace=meta["namespace"], field_manager=FIELD_OWNER)
        if plan.remove_finalizer in finalizers:
            left = [f for f in finalizers if f != plan.remove_finalizer]
            store.patch(kind, meta["name"], {"metadata": {"finalizers": left or None}}, MERGE,
                        namespace=meta["namespace"], field_manager=FIELD_OWNER)
        for event in plan.events:
            self.ctx.events.record(registry, event.type, event.reason, event.message, component=RECORDER)
        return plan

    def _delete(self, ref: ObjectRef) -> None:
        try:
            self.ctx.store.delete(self.ctx.kind(ref.api_version, ref.kind), ref.name, ref.namespace or None,
                                  propagation_policy=ref.propagation)
        except NotFound:
            pass

    def _fail(self, registry: Obj, step: Step, err: str, *, now: datetime) -> Plan:
        """A write of the plan failed: the operator's early return with RolloutBlocked=True."""
        fresh = self.ctx.get(API_VERSION, KIND, registry["metadata"]["name"], registry["metadata"]["namespace"])
        failure = plan_failure(fresh or registry, step, err, now=now)
        if fresh is not None:
            self._write_status(fresh, failure.status)
            for event in failure.events:
                self.ctx.events.record(fresh, event.type, event.reason, event.message, component=RECORDER)
        return failure

    def _write_status(self, registry: Obj, status: dict) -> Obj:
        return self.ctx.store.update(self.ctx.kind(API_VERSION, KIND), {**registry, "status": status},
                                     namespace=registry["metadata"]["namespace"], subresource="status",
                                     field_manager=FIELD_OWNER)


def _comparable(conditions: Iterable[Mapping]) -> list[dict]:
    return [{k: v for k, v in c.items() if k not in ("lastUpdateTime", "lastTransitionTime")} for c in conditions]


class QuayRegistryStatus:
    """The status controller: every registry event and every 60 s, component health → conditions."""

    name = "quay-operator-status"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        pods = _operator_pod_keys(ctx)
        self.watches = (Watched(API_VERSION, KIND),
                        Watched("v1", "Pod", lambda t, p: pods(t, p) if is_operator_pod(p) else ()))

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        if detect_operator(self.ctx, ns) is None:
            return None
        registry = self.ctx.read(API_VERSION, KIND, name, ns)
        if registry is None:
            return None
        plan = plan_health(registry, read_objects(self.ctx, ns, HEALTH_KINDS), now=now_of(self.ctx))
        current = (registry.get("status") or {}).get("conditions") or []
        if _comparable(plan.status["conditions"]) != _comparable(current):
            self.ctx.store.update(self.ctx.kind(API_VERSION, KIND), {**registry, "status": plan.status}, namespace=ns,
                                  subresource="status", field_manager=FIELD_OWNER)
        return requeue_seconds(self.ctx, plan.requeue_after)


def is_operator_pod(pod: Obj) -> bool:
    labels = pod["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in OPERATOR_POD_LABEL.items())
