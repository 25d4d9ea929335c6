"""What the operator would make of a QuayRegistry, and helpers to apply one and follow its rollout.

`preview` runs the shared operator decisions (`quayops.operator.reconcile`) on local state, pass after
pass, as a dry run. Against a cluster, quayops applies only the user's objects (the QuayRegistry and
its config bundle) and waits for the operator; it never writes operator-owned objects.
"""

from __future__ import annotations

import base64
import random as random_module
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from quayops.config.bundle import Bundle, bundle_from_secret
from quayops.kube.client import Cluster
from quayops.kube.watching import wait_for
from quayops.model.conditions import ConditionType, Status, get_condition
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.operator.health import (
    ComponentRow,
    detect_component_rows,
    evaluate_components,
    explain_not_ready,
)
from quayops.operator.plan import Observed, Plan, Step, render_admitted_probe_route
from quayops.operator.platform import OperatorEnv, Platform
from quayops.operator.reconciling import reconcile
from quayops.redaction import MASK, redact

# Passes that only prepare the next one: the dry run goes on through them.
PREPARING = {Step.INITIAL_BUNDLE, Step.ROUTE_PROBE_CREATED, Step.ROUTE_PROBE_WAITING, Step.WRITE_BACK,
             Step.STORAGE_PENDING}
# What a bucket provisioner gives a bound ObjectBucketClaim, for the dry run: valid shapes only.
PLACEHOLDER_BUCKET = {"BUCKET_HOST": "s3.openshift-storage.svc", "BUCKET_NAME": "quay-datastore-preview",
                      "BUCKET_PORT": "443"}
PLACEHOLDER_BUCKET_KEYS = {"AWS_ACCESS_KEY_ID": "preview", "AWS_SECRET_ACCESS_KEY": "preview"}
# The kinds a registry's status depends on (health checks and descriptions), read in its namespace.
OBSERVED_KINDS = (
    ("apps/v1", "Deployment"), ("batch/v1", "Job"), ("v1", "PersistentVolumeClaim"), ("v1", "Secret"),
    ("v1", "ConfigMap"), ("v1", "Service"), ("v1", "Pod"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("route.openshift.io/v1", "Route"), ("objectbucket.io/v1alpha1", "ObjectBucketClaim"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule"),
)
BUNDLE_LABEL = "quayops.dev/config-bundle"


@dataclass
class Preview:
    """One dry-run reconcile: the defaulted components, the pass's plan, and the registry as written."""

    registry: dict
    plan: Plan
    passes: list[Step] = field(default_factory=list)

    @property
    def components(self) -> list[dict]:
        return list((self.registry.get("spec") or {}).get("components") or [])

    @property
    def objects(self) -> list[dict]:
        return list(self.plan.rendered.objects) if self.plan.rendered else []

    def final_config(self) -> str | None:
        """The config.yaml Quay's pods would mount, secrets masked."""
        from quayops.bundles import dump_yaml
        from quayops.config.loading import parse_config_yaml

        name = self.registry["metadata"]["name"]
        for obj in self.objects:
            if obj["kind"] == "Secret" and obj["metadata"]["name"].startswith(f"{name}-quay-config-secret-"):
                return dump_yaml(redact(parse_config_yaml(obj["stringData"]["config.yaml"])))
        return None

    def to_dict(self) -> dict:
        """Everything the pass decided, secrets masked: components, conditions, objects, config, status."""
        return {
            "step": str(self.plan.reason),
            "error": self.plan.error or None,
            "components": self.components,
            "conditions": [dict(c) for c in self.plan.conditions],
            "status": redact(self.registry.get("status") or {}),
            "objects": [mask_secret_object(o) for o in self.objects],
            "config.yaml": self.final_config(),
        }


def mask_secret_object(obj: dict) -> dict:
    """A rendered object for display: Secret values masked, everything else as rendered."""
    if obj.get("kind") != "Secret":
        return obj
    masked = {k: v for k, v in obj.items() if k not in ("data", "stringData")}
    for key in ("data", "stringData"):
        if key in obj:
            masked[key] = {name: MASK for name in obj[key]}
    return masked


def preview(registry: dict, bundle: Bundle, *, platform: Platform | None = None,
            operator: OperatorEnv | None = None, current_version: str | None = None,
            now: datetime | None = None, seed: int = 0) -> Preview:
    """The operator's first full reconcile pass of `registry` with `bundle`, as a dry run.

    `current_version` stands for `status.currentVersion` (None: a new registry). Passes that only
    prepare (initial bundle, route probe, write-back) are carried out locally and the next one runs.
    """
    platform, operator = platform or Platform(), operator or OperatorEnv()
    now = now or datetime.now(UTC)
    rng = random_module.Random(seed)
    registry = {**registry, "metadata": {"namespace": "quay-enterprise", "uid": "preview", **registry["metadata"]}}
    meta = registry["metadata"]
    if current_version:
        registry["status"] = {**(registry.get("status") or {}), "currentVersion": current_version}
    objects: dict[tuple[str, str], dict] = {}
    secret_name = (registry.get("spec") or {}).get("configBundleSecret")
    if secret_name:
        objects[("Secret", secret_name)] = _secret_for(bundle, secret_name, meta["namespace"])
    passes: list[Step] = []
    for _ in range(8):
        plan = reconcile(Observed(registry, objects, platform=platform, operator=operator,
                                  namespace={"metadata": {"name": meta["namespace"]}}), random=rng, now=now)
        passes.append(plan.reason)
        if plan.spec is not None:
            registry = {**registry, "spec": plan.spec}
        if plan.status is not None:
            registry = {**registry, "status": plan.status}
        for obj in (*plan.create, *plan.apply):
            if obj["kind"] == "Route" and plan.reason == Step.ROUTE_PROBE_CREATED:  # admitted at once
                obj = render_admitted_probe_route(registry, platform.cluster_hostname)
            if obj["kind"] == "Secret" and plan.reason == Step.INITIAL_BUNDLE:
                obj = _secret_for(bundle, obj["metadata"]["name"], meta["namespace"])
            objects[(obj["kind"], obj["metadata"]["name"])] = obj
        for ref in plan.delete:
            objects.pop((ref.kind, ref.name), None)
        if plan.reason == Step.STORAGE_PENDING:  # the claim binds, as the provisioner would bind it
            claim = f"{meta['name']}-quay-datastore"
            objects[("Secret", claim)] = {"kind": "Secret", "metadata": {"name": claim}, "data": {
                k: base64.b64encode(v.encode()).decode() for k, v in PLACEHOLDER_BUCKET_KEYS.items()}}
            objects[("ConfigMap", claim)] = {"kind": "ConfigMap", "metadata": {"name": claim}, "data": PLACEHOLDER_BUCKET}
        if plan.reason not in PREPARING:
            return Preview(registry, plan, passes)
    return Preview(registry, plan, passes)


def _secret_for(bundle: Bundle, name: str, namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "data": {k: base64.b64encode(v).decode() for k, v in bundle.files.items()}}


# -- against a cluster ---------------------------------------------------------------------------

def apply_bundle(cluster: Cluster, bundle: Bundle, *, name: str, namespace: str) -> dict:
    """Create or update the config bundle Secret (server-side apply, all keys replaced)."""
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": name, "namespace": namespace, "labels": {BUNDLE_LABEL: "true"}},
              "data": {k: base64.b64encode(v).decode() for k, v in bundle.files.items()}}
    return cluster.apply(secret, force=True)


def apply_registry(cluster: Cluster, registry: dict, *, bundle_secret: str | None = None) -> dict:
    """Create or update the QuayRegistry's spec as given (the operator fills in what is missing)."""
    body = {"apiVersion": API_VERSION, "kind": KIND,
            "metadata": {k: v for k, v in registry["metadata"].items() if k in ("name", "namespace", "labels", "annotations")},
            "spec": dict(registry.get("spec") or {})}
    if bundle_secret:
        body["spec"]["configBundleSecret"] = bundle_secret
    return cluster.apply(body, force=True)


def read_registry_objects(cluster: Cluster, namespace: str) -> dict[tuple[str, str], dict]:
    """Every object of the kinds a registry's status depends on, in its namespace, by (kind, name)."""
    from quayops.kube.errors import NotFoundError

    objects = {}
    for api_version, kind in OBSERVED_KINDS:
        try:
            items = cluster.list(api_version, kind, namespace=namespace).get("items") or []
        except NotFoundError:  # the API is not served here (e.g. no Routes on Kubernetes)
            continue
        for obj in items:
            objects[(kind, obj["metadata"]["name"])] = {"apiVersion": api_version, "kind": kind, **obj}
    return objects


def is_available(registry: dict | None) -> bool:
    """Available=True on the registry's status."""
    cond = get_condition(((registry or {}).get("status") or {}).get("conditions") or [], ConditionType.AVAILABLE)
    return bool(cond) and cond.get("status") == Status.TRUE


def wait_for_registry(cluster: Cluster, name: str, *, namespace: str, timeout: float = 600,
                      report: Callable[[str], None] | None = print) -> dict:
    """Follow a QuayRegistry until Available=True, reporting one line per condition change.

    On timeout, raises WaitTimeout saying in words what still blocks the rollout.
    """
    seen: dict[str, tuple] = {}
    started = time.monotonic()

    def on_change(obj: dict | None) -> None:
        if report is None or obj is None:
            return
        for c in (obj.get("status") or {}).get("conditions") or []:
            key = (c.get("status"), c.get("reason"), c.get("message"))
            if seen.get(c["type"]) != key:
                seen[c["type"]] = key
                report(f"{time.monotonic() - started:6.1f}s  {c['type']}={c.get('status')} "
                       f"{c.get('reason', '')}: {c.get('message', '')}")

    def describe(obj: dict | None) -> str:
        if obj is None:
            return "the QuayRegistry does not exist"
        blockers = explain_not_ready(obj, read_registry_objects(cluster, namespace))
        return "; ".join(blockers) or "waiting for the operator's status loop"

    return wait_for(cluster, API_VERSION, KIND, name, namespace=namespace, condition=is_available,
                    timeout=timeout, describe=describe, on_change=on_change)


@dataclass
class Description:
    """A registry at a glance, as DataFrames: components, pods, endpoints."""

    components: object
    pods: object
    endpoints: object
    blockers: list[str]


def describe(cluster: Cluster, name: str, *, namespace: str) -> Description:
    """Components (managed, ready, reason, message), pods and endpoints of a live registry."""
    registry = cluster.get(API_VERSION, KIND, name, namespace=namespace)
    objects = read_registry_objects(cluster, namespace)
    return describe_objects(registry, objects)


def describe_objects(registry: dict, objects: dict[tuple[str, str], dict]) -> Description:
    """The same description from a registry and its objects (a dump, or a live read)."""
    import pandas as pd

    # the status as the operator wrote it; without component conditions, evaluated from the objects
    rows = detect_component_rows(registry) or [
        ComponentRow(str(h.kind), h.ready, str(h.reason), h.message) for h in evaluate_components(registry, objects)
    ]
    managed = {c.get("kind"): c.get("managed") for c in (registry.get("spec") or {}).get("components") or []}
    components = pd.DataFrame(
        [{"component": r.component, "managed": managed.get(r.component, True), "ready": r.ready,
          "reason": r.reason, "message": r.message} for r in rows],
        columns=["component", "managed", "ready", "reason", "message"])
    name = registry["metadata"]["name"]
    pods = pd.DataFrame(
        [{"pod": o["metadata"]["name"], "phase": (o.get("status") or {}).get("phase", ""),
          "ready": all(s.get("ready") for s in (o.get("status") or {}).get("containerStatuses") or [{}]),
          "restarts": sum(s.get("restartCount", 0) for s in (o.get("status") or {}).get("containerStatuses") or []),
          "node": (o.get("spec") or {}).get("nodeName", "")}
         for (kind, pod), o in sorted(objects.items()) if kind == "Pod" and pod.startswith(f"{name}-")],
        columns=["pod", "phase", "ready", "restarts", "node"])
    status = registry.get("status") or {}
    endpoints = pd.DataFrame(
        [{"what": what, "value": status.get(key, "")} for what, key in (
            ("registry", "registryEndpoint"), ("config editor", "configEditorEndpoint"),
            ("config editor credentials Secret", "configEditorCredentialsSecret"),
            ("Quay version", "currentVersion"))],
        columns=["what", "value"])
    return Description(components, pods, endpoints, explain_not_ready(registry, objects))


def diff(cluster: Cluster, name: str, *, namespace: str, platform: Platform | None = None,
         operator: OperatorEnv | None = None):
    """Drift: objects the operator would render now vs what is live, as a DataFrame.

    Each row: kind, name, state (missing, changed) and the first differing field paths. Generated
    Secret contents and the status are not compared.
    """
    import pandas as pd

    registry = cluster.get(API_VERSION, KIND, name, namespace=namespace)
    secret_name = (registry.get("spec") or {}).get("configBundleSecret")
    secret = cluster.find("v1", "Secret", secret_name, namespace=namespace) if secret_name else None
    bundle = bundle_from_secret(secret) if secret else Bundle()
    plan = preview(registry, bundle, platform=platform, operator=operator,
                   current_version=(registry.get("status") or {}).get("currentVersion")).plan
    live = read_registry_objects(cluster, namespace)
    rows = []
    for obj in plan.rendered.objects if plan.rendered else []:
        kind, obj_name = obj["kind"], obj["metadata"]["name"]
        current = live.get((kind, obj_name))
        if current is None:
            rows.append({"kind": kind, "name": obj_name, "state": "missing", "fields": ""})
        elif kind != "Secret" and (paths := _differing(obj.get("spec"), current.get("spec"), "spec")):
            rows.append({"kind": kind, "name": obj_name, "state": "changed", "fields": ", ".join(paths[:5])})
    return pd.DataFrame(rows, columns=["kind", "name", "state", "fields"])


def _differing(want, have, path: str) -> list[str]:
    """Paths where `have` lacks or differs from what `want` sets (fields the server adds are ignored)."""
    if isinstance(want, dict) and isinstance(have, dict):
        return [p for k, v in want.items() for p in _differing(v, have.get(k), f"{path}.{k}")]
    if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        return [p for i, (w, h) in enumerate(zip(want, have, strict=True)) for p in _differing(w, h, f"{path}[{i}]")]
    return [] if want == have or want is None else [path]

