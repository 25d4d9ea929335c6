"""Component overrides and the other middleware edits applied to rendered objects.

Mirrors quay-operator pkg/middleware/middleware.go Process (operator-facts §4).
"""

from __future__ import annotations

from quayops.operator.components import Kind, is_managed
from quayops.operator.rendering.base import Context

EXCEPTION_LABELS = frozenset({"quay-component", "app", "quay-operator/quayregistry"})
SCALED_BY_HPA = ("quay-app", "clair-app", "quay-mirror")
DEFAULT_REPLICAS = 2
# PVC `quay-component` label → the component whose volumeSize override sizes it.
VOLUME_OVERRIDES = {"postgres": Kind.POSTGRES, "clair-postgres": Kind.CLAIR}


def _overrides(components: list[dict], kind: str) -> dict:
    for component in components:
        if component.get("kind") == kind:
            return component.get("overrides") or {}
    return {}


def _upsert_env(env: list[dict], entry: dict) -> None:
    for i, existing in enumerate(env):
        if existing.get("name") == entry.get("name"):
            env[i] = entry
            return
    env.append(entry)


def apply_overrides(ctx: Context, obj: dict) -> dict:
    """Apply env, affinity, replicas, volumeSize, labels and annotations overrides to one object (in place)."""
    meta = obj["metadata"]
    if obj["kind"] == "PersistentVolumeClaim":
        kind = VOLUME_OVERRIDES.get(meta.get("labels", {}).get("quay-component"))
        size = _overrides(ctx.components, kind).get("volumeSize") if kind else None
        if size is not None:
            obj["spec"]["resources"]["requests"]["storage"] = str(size)
        return obj
    if obj["kind"] not in ("Deployment", "Job"):
        return obj
    kind = meta.get("annotations", {}).get("quay-component")
    overrides = _overrides(ctx.components, kind)
    pod = obj["spec"]["template"]["spec"]
    containers = pod["containers"]
    if obj["kind"] == "Deployment":
        if is_managed(ctx.components, kind):
            for entry in overrides.get("env") or []:
                for container in containers:
                    _upsert_env(container.setdefault("env", []), dict(entry))
        if kind == Kind.QUAY:
            for container in containers:
                _upsert_env(container.setdefault("env", []), {"name": "QUAY_VERSION",
                                                              "value": ctx.operator.quay_version})
        if overrides.get("affinity") is not None:
            pod["affinity"] = overrides["affinity"]
        name = meta["name"].removeprefix(f"{ctx.name}-")
        if name in SCALED_BY_HPA and not ctx.managed(Kind.HPA) and "replicas" not in obj["spec"]:
            replicas = overrides.get("replicas")
            obj["spec"]["replicas"] = DEFAULT_REPLICAS if replicas is None else replicas
        template_meta = obj["spec"]["template"]["metadata"]
        for target in (meta, template_meta):
            for key, value in (overrides.get("labels") or {}).items():
                if key not in EXCEPTION_LABELS:
                    target.setdefault("labels", {})[key] = value
            for key, value in (overrides.get("annotations") or {}).items():
                target.setdefault("annotations", {})[key] = value
    if ctx.operator.skip_resource_requests:
        for container in containers:
            container.pop("resources", None)
    return obj
