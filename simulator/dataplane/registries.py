"""What the data plane reads of a QuayRegistry's rendered objects: which registry an object belongs to, the
Secrets a Deployment mounts, and their decoded data (operator-facts §5.1, §5.3, §7)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from quayops.config.loading import parse_config_yaml
from quayops.operator.rendering.registry import REGISTRY_LABEL
from simulator.controllers.base import Context, Key, Obj

MANAGED_KEYS = "quay-registry-managed-secret-keys"


def registry_keys(_type: str, obj: Mapping[str, Any]) -> Iterable[Key]:
    """An object labelled `quay-operator/quayregistry` → its registry's key (namespace, registry name)."""
    meta = obj["metadata"]
    name = (meta.get("labels") or {}).get(REGISTRY_LABEL)
    return ((meta.get("namespace", ""), name),) if name else ()


def secret_data(secret: Mapping[str, Any] | None) -> dict[str, bytes]:
    """A Secret's data, decoded (stringData already merged by admission)."""
    return {k: base64.b64decode(v) for k, v in ((secret or {}).get("data") or {}).items()}


def mounted_secret(deployment: Mapping[str, Any], marker: str) -> str | None:
    """The name of the Secret whose name contains `marker` among the pod template's (projected) volumes."""
    pod = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    for volume in pod.get("volumes") or []:
        sources = [s.get("secret") or {} for s in (volume.get("projected") or {}).get("sources") or []]
        if volume.get("secret"):
            sources.append({"name": volume["secret"].get("secretName")})
        for source in sources:
            if marker in (source.get("name") or ""):
                return source["name"]
    return None


def read_secret(ctx: Context, name: str | None, namespace: str) -> dict[str, bytes]:
    return secret_data(ctx.read("v1", "Secret", name, namespace)) if name else {}


def final_config(ctx: Context, deployment: Obj) -> tuple[str | None, dict[str, Any]]:
    """(Secret name, parsed config.yaml) of the final config a quay-app or config-editor Deployment mounts."""
    ns = deployment["metadata"]["namespace"]
    name = mounted_secret(deployment, "-quay-config-secret-")
    text = read_secret(ctx, name, ns).get("config.yaml")
    return name, (parse_config_yaml(text.decode()) if text else {})


def ready_replicas(deployment: Obj | None) -> int:
    if deployment is None or deployment["metadata"].get("deletionTimestamp"):
        return 0
    return int((deployment.get("status") or {}).get("readyReplicas") or 0)


def database_credentials(uri: str) -> tuple[str, str, str] | None:
    """(database, user, password) from a postgresql:// DB_URI, or None when it names no password."""
    parts = urlsplit(uri)
    if not parts.scheme.startswith("postgres") or parts.password is None or not parts.username:
        return None
    return unquote(parts.path.lstrip("/")), unquote(parts.username), unquote(parts.password)
