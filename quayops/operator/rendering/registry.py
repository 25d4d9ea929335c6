"""render_registry: every object one reconcile applies for a QuayRegistry, with the common metadata.

Mirrors quay-operator pkg/kustomize/kustomize.go Inflate/KustomizationFor and the apply loop of
controllers/quay/quayregistry_controller.go (operator-facts §5–§7, §8.3).
"""

from __future__ import annotations

import random as random_module
from collections.abc import Mapping
from dataclasses import dataclass, field

from quayops.config.bundle import Bundle
from quayops.operator.checks import parse_bundle_yaml
from quayops.operator.components import Kind
from quayops.operator.platform import OperatorEnv, Platform, buildman_hostname, server_hostname
from quayops.operator.rendering import (
    clair,
    clairpostgres,
    hpa,
    mirror,
    monitoring,
    objectstorage,
    postgres,
    redis,
    route,
    tls,
)
from quayops.operator.rendering.base import Context, render_base
from quayops.operator.rendering.configmerge import final_files
from quayops.operator.rendering.keys import ManagedKeys, resolve_keys
from quayops.operator.rendering.overrides import apply_overrides

API_VERSION = "quay.redhat.com/v1"
REGISTRY_LABEL = "quay-operator/quayregistry"
# Stripped from the pod templates of the two databases (§5.3).
COMMON_ANNOTATIONS = ("quay-registry-hostname", "quay-buildmanager-hostname", "quay-operator-service-endpoint")
DATABASE_DEPLOYMENTS = ("quay-database", "clair-postgres")


@dataclass(frozen=True)
class Rendered:
    """One render: the objects (apply order not implied), the keys to store, and the status fields."""

    objects: list[dict]
    keys: ManagedKeys
    upgrade: bool
    database_changed: bool
    registry_endpoint: str
    config_editor_endpoint: str
    config_editor_credentials_secret: str
    components: list[dict] = field(default_factory=list)


def render_registry(
    registry: dict,
    bundle: Bundle,
    components: list[dict],
    *,
    platform: Platform,
    operator: OperatorEnv,
    keys: ManagedKeys | None,
    random: random_module.Random,
    upgrading: bool,
    bucket: Mapping[str, str] | None = None,
    ca_hashes: tuple[str, str] = ("", ""),
) -> Rendered:
    """Render the defaulted `components` of `registry` with `bundle`, as Inflate plus the apply loop does.

    Pure: `keys` are the stored managed keys (None when absent), `random` generates missing ones,
    `upgrading` is currentVersion != QUAY_VERSION, `bucket` the datastore Secret/ConfigMap data and
    `ca_hashes` the cluster-service-ca and cluster-trusted-ca hashes. Run the checks first.
    """
    meta = registry["metadata"]
    name, namespace = meta["name"], meta["namespace"]
    config, _ = parse_bundle_yaml(bundle.files.get("config.yaml"))
    managed = {c["kind"] for c in components if c.get("managed")} | {Kind.QUAY}
    resolved, db_changed = resolve_keys(config, keys, name=name, postgres_managed=Kind.POSTGRES in managed,
                                        clair_managed=Kind.CLAIR in managed, rng=random)
    ctx = Context(
        name=name, namespace=namespace, uid=meta.get("uid", ""), components=components, files=bundle.files,
        config=config, platform=platform, operator=operator,
        server_hostname=server_hostname(config, name=name, namespace=namespace, platform=platform),
        buildman_hostname=buildman_hostname(config), keys=resolved, upgrade=upgrading or db_changed,
    )
    objects = render_base(ctx, final_files(ctx, bucket or {}))
    quay_app = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == ctx.n("quay-app"))
    proxy = next(o["metadata"]["name"] for o in objects if o["metadata"]["name"].startswith(ctx.n("quay-proxy")))
    renderers = {
        Kind.POSTGRES: lambda: postgres.render(ctx),
        Kind.CLAIR: lambda: clair.render(ctx, proxy),
        Kind.REDIS: lambda: redis.render(ctx),
        Kind.HPA: lambda: hpa.render(ctx),
        Kind.OBJECTSTORAGE: lambda: objectstorage.render(ctx),
        Kind.ROUTE: lambda: route.render(ctx),
        Kind.MIRROR: lambda: mirror.render(ctx, quay_app),
        Kind.MONITORING: lambda: monitoring.render(ctx),
        Kind.TLS: lambda: tls.render(ctx),
        Kind.CLAIRPOSTGRES: lambda: clairpostgres.render(ctx),
    }
    for component in components:
        if component.get("managed") and component.get("kind") in renderers:
            objects.extend(renderers[component["kind"]]())
    for o in objects:
        _finish(ctx, apply_overrides(ctx, o), ca_hashes)
    credentials = next(o["metadata"]["name"] for o in objects
                       if "quay-config-editor-credentials" in o["metadata"]["name"])
    routes = platform.routes
    user_host = config.get("SERVER_HOSTNAME")
    endpoint = (f"https://{user_host}" if isinstance(user_host, str) and "SERVER_HOSTNAME" in config
                else f"https://{name}-quay-{namespace}.{platform.cluster_hostname}" if routes else "")
    editor = (f"https://{name}-quay-config-editor-{namespace}.{platform.cluster_hostname}"
              if routes and Kind.ROUTE in managed else "")
    return Rendered(objects=objects, keys=resolved, upgrade=ctx.upgrade, database_changed=db_changed,
                    registry_endpoint=endpoint, config_editor_endpoint=editor,
                    config_editor_credentials_secret=credentials, components=components)


def owner_reference(registry: dict) -> dict:
    """The ownerReference every rendered object carries to its QuayRegistry (§5.3)."""
    meta = registry["metadata"]
    return {"apiVersion": API_VERSION, "kind": "QuayRegistry", "name": meta["name"], "uid": meta.get("uid", "")}


def owns(registry: dict, obj: dict) -> bool:
    """Owns: an ownerReference whose apiVersion, kind, name and uid all match the registry (§5.3)."""
    return owner_reference(registry) in [
        {k: ref.get(k) for k in ("apiVersion", "kind", "name", "uid")}
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []
    ]


def _finish(ctx: Context, obj: dict, ca_hashes: tuple[str, str]) -> None:
    """Namespace, common labels and annotations, CA hashes and the ownerReference (§5.3)."""
    meta = obj["metadata"]
    grafana_moved = meta.get("namespace") == monitoring.GRAFANA_NAMESPACE
    meta.setdefault("namespace", ctx.namespace)
    meta.setdefault("labels", {})[REGISTRY_LABEL] = ctx.name
    common = dict(zip(COMMON_ANNOTATIONS, (ctx.server_hostname, ctx.buildman_hostname.split(":")[0],
                                           ctx.operator.service_endpoint)))
    meta.setdefault("annotations", {}).update(common)
    if not grafana_moved:
        meta["ownerReferences"] = [owner_reference({"metadata": {"name": ctx.name, "uid": ctx.uid}})]
    spec = obj.get("spec") or {}
    if obj["kind"] == "Deployment":
        spec["selector"]["matchLabels"][REGISTRY_LABEL] = ctx.name
    if obj["kind"] not in ("Deployment", "Job"):
        return
    template = spec["template"]["metadata"]
    template.setdefault("labels", {})[REGISTRY_LABEL] = ctx.name
    annotations = template.setdefault("annotations", {})
    if meta["name"].removeprefix(f"{ctx.name}-") not in DATABASE_DEPLOYMENTS:
        annotations.update(common)
    if obj["kind"] == "Deployment":
        hashes = {"cluster-service-ca": ca_hashes[0], "cluster-trusted-ca": ca_hashes[1]}
        meta["annotations"].update(hashes)
        annotations.update(hashes)
