"""A container as exec sees it: its environment (env, envFrom, secret and field refs resolved) and its mounted
files (Secret, ConfigMap and projected volumes, subPath), plus a real scratch directory behind /tmp."""

from __future__ import annotations

import base64
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.store import Store
from simulator.store.errors import NotFound

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SERVICE_HOST = "172.30.0.1"  # OpenShift's default service network: the `kubernetes` Service's address
WRITABLE = ("/tmp", "/var/tmp")
COMPONENT_LABEL = "quay-component"


@dataclass
class Container:
    """One container of one pod: `env` as `env` prints it, `files` by absolute path, `scratch` backs /tmp."""

    namespace: str
    pod: dict[str, Any]
    spec: dict[str, Any]
    env: dict[str, str]
    files: dict[str, bytes]
    scratch: Path
    mounts: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec["name"]

    @property
    def pod_name(self) -> str:
        return self.pod["metadata"]["name"]

    @property
    def component(self) -> str:
        return (self.pod["metadata"].get("labels") or {}).get(COMPONENT_LABEL, "")

    # ---- the file system ------------------------------------------------------------------------

    def host_path(self, path: str) -> Path | None:
        """Where a path under /tmp or /var/tmp really is; None for the read-only rest."""
        path = posixpath.normpath(path)
        for root in WRITABLE:
            if path == root or path.startswith(root + "/"):
                return self.scratch / root.strip("/").replace("/", "_") / path[len(root):].lstrip("/")
        return None

    def read(self, path: str) -> bytes:
        """A file's content; FileNotFoundError or IsADirectoryError as the kernel would say."""
        path = posixpath.normpath(path)
        if path in self.files:
            return self.files[path]
        host = self.host_path(path)
        if host is not None and host.is_file():
            return host.read_bytes()
        if self.is_dir(path):
            raise IsADirectoryError(path)
        raise FileNotFoundError(path)

    def is_dir(self, path: str) -> bool:
        path = posixpath.normpath(path)
        if path == "/" or path in WRITABLE or path in self.mounts:
            return True
        host = self.host_path(path)
        if host is not None:
            return host.is_dir()
        prefix = path.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in (*self.files, *self.mounts, *WRITABLE))

    def listdir(self, path: str) -> list[str]:
        path = posixpath.normpath(path)
        host = self.host_path(path)
        if host is not None:
            return sorted(p.name for p in host.iterdir()) if host.is_dir() else []
        prefix = "/" if path == "/" else path + "/"
        names = {p[len(prefix):].split("/")[0] for p in (*self.files, *self.mounts, *WRITABLE)
                 if p.startswith(prefix) and len(p) > len(prefix)}
        return sorted(names)


def inspect_container(store: Store, pod: Mapping[str, Any], container: str, *, scratch: Path) -> Container:
    """The container's view, read from the Store now (Secrets and ConfigMaps as they are at exec time)."""
    ns = pod["metadata"]["namespace"]
    spec = next(c for c in pod["spec"]["containers"] if c["name"] == container)
    reader = _Reader(store, ns)
    env = {"PATH": PATH, "HOSTNAME": pod["metadata"]["name"], "HOME": "/",
           "KUBERNETES_SERVICE_HOST": SERVICE_HOST, "KUBERNETES_SERVICE_PORT": "443",
           "KUBERNETES_SERVICE_PORT_HTTPS": "443", "KUBERNETES_PORT": f"tcp://{SERVICE_HOST}:443"}
    for source in spec.get("envFrom") or []:
        data = reader.secret(source["secretRef"]["name"]) if source.get("secretRef") else \
            reader.config_map((source.get("configMapRef") or {}).get("name"))
        env |= {source.get("prefix", "") + k: v.decode(errors="replace") for k, v in data.items()}
    for var in spec.get("env") or []:
        value = var.get("value")
        if value is None:
            value = reader.env_value(var.get("valueFrom") or {}, pod)
        if value is not None:
            env[var["name"]] = value
    files: dict[str, bytes] = {}
    volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
    mounts = []
    for mount in spec.get("volumeMounts") or []:
        volume = volumes.get(mount["name"]) or {}
        data = reader.volume(volume)
        root = posixpath.normpath(mount["mountPath"])
        if mount.get("subPath"):
            if mount["subPath"] in data:
                files[root] = data[mount["subPath"]]
            continue
        mounts.append(root)
        files |= {posixpath.join(root, key): content for key, content in data.items()}
    return Container(ns, dict(pod), spec, env, files, scratch, mounts)


class _Reader:
    """Secrets and ConfigMaps of one namespace, decoded; missing ones read as empty (optional refs)."""

    def __init__(self, store: Store, namespace: str) -> None:
        self.store, self.namespace = store, namespace

    def _get(self, kind: str, name: str | None) -> dict[str, Any]:
        if not name:
            return {}
        try:
            return self.store.get(self.store.kind("v1", kind), name, self.namespace)
        except NotFound:
            return {}

    def secret(self, name: str | None) -> dict[str, bytes]:
        return {k: base64.b64decode(v) for k, v in (self._get("Secret", name).get("data") or {}).items()}

    def config_map(self, name: str | None) -> dict[str, bytes]:
        obj = self._get("ConfigMap", name)
        return {**{k: v.encode() for k, v in (obj.get("data") or {}).items()},
                **{k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()}}

    def env_value(self, source: Mapping[str, Any], pod: Mapping[str, Any]) -> str | None:
        if source.get("secretKeyRef"):
            ref = source["secretKeyRef"]
            value = self.secret(ref.get("name")).get(ref.get("key"))
        elif source.get("configMapKeyRef"):
            ref = source["configMapKeyRef"]
            value = self.config_map(ref.get("name")).get(ref.get("key"))
        elif source.get("fieldRef"):
            return _field(pod, source["fieldRef"].get("fieldPath", ""))
        else:
            return None
        return value.decode(errors="replace") if value is not None else None

    def volume(self, volume: Mapping[str, Any]) -> dict[str, bytes]:
        """Files a volume shows, by their path inside it (items' `path` when listed)."""
        if volume.get("secret"):
            return _items(self.secret(volume["secret"].get("secretName")), volume["secret"].get("items"))
        if volume.get("configMap"):
            return _items(self.config_map(volume["configMap"].get("name")), volume["configMap"].get("items"))
        out: dict[str, bytes] = {}
        for source in (volume.get("projected") or {}).get("sources") or []:
            if source.get("secret"):
                out |= _items(self.secret(source["secret"].get("name")), source["secret"].get("items"))
            elif source.get("configMap"):
                out |= _items(self.config_map(source["configMap"].get("name")), source["configMap"].get("items"))
        return out


def _items(data: dict[str, bytes], items: list[dict[str, Any]] | None) -> dict[str, bytes]:
    if not items:
        return data
    return {item["path"]: data[item["key"]] for item in items if item.get("key") in data}


def _field(pod: Mapping[str, Any], path: str) -> str | None:
    meta, status, spec = pod["metadata"], pod.get("status") or {}, pod["spec"]
    fields = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
              "spec.serviceAccountName": spec.get("serviceAccountName"), "status.podIP": status.get("podIP"),
              "status.hostIP": status.get("hostIP")}
    return fields.get(path)
