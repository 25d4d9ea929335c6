"""The `quay` component's 13 objects, always rendered, and the helpers every component uses.

Mirrors quay-operator kustomize/base/ and pkg/kustomize/kustomize.go KustomizationFor (operator-facts
§5.1, §5.3). Names get the `<name>-` prefix; generated Secrets a kustomize content-hash suffix.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from quayops.operator.components import is_managed
from quayops.operator.platform import OperatorEnv, Platform
from quayops.operator.rendering.keys import MANAGED_KEYS_SUFFIX, ManagedKeys

CONFIG_EDITOR_USER = "quayconfig"
# The default (manifest) image of each image env, used when the operator has no override.
DEFAULT_IMAGES = {
    "RELATED_IMAGE_COMPONENT_QUAY": "quay.io/projectquay/quay",
    "RELATED_IMAGE_COMPONENT_CLAIR": "quay.io/projectquay/clair",
    "RELATED_IMAGE_COMPONENT_REDIS": "centos/redis-32-centos7",
    "RELATED_IMAGE_COMPONENT_POSTGRES": "centos/postgresql-10-centos7",
}
# kustomize's hash encoding replaces characters that could form words or look alike.
_HASH_ENCODING = str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"})


@dataclass(frozen=True)
class Context:
    """Everything a component renderer needs for one QuayRegistry."""

    name: str
    namespace: str
    uid: str
    components: list[dict]
    files: Mapping[str, bytes]
    config: dict
    platform: Platform
    operator: OperatorEnv
    server_hostname: str
    buildman_hostname: str
    keys: ManagedKeys
    upgrade: bool

    def n(self, suffix: str) -> str:
        """An object name: `<name>-<suffix>`."""
        return f"{self.name}-{suffix}"

    def managed(self, kind: str) -> bool:
        return is_managed(self.components, kind)

    def image(self, env: str) -> str:
        return dict(self.operator.related_images).get(env) or DEFAULT_IMAGES[env]


def content_hash(obj: dict) -> str:
    """kustomize's name suffix: sha256 of the object's kind, name, type and data; 10 encoded chars."""
    payload = {k: obj.get(k) for k in ("kind", "data", "stringData", "type") if obj.get(k) is not None}
    payload["name"] = obj["metadata"]["name"]
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return digest[:10].translate(_HASH_ENCODING)


def obj(api_version: str, kind: str, name: str, *, component: str | None = None, label: str | None = None,
        app: bool = False, **body) -> dict:
    """A bare object with the `quay-component` annotation and label it carries in the manifests."""
    labels = {"quay-component": label} if label else {}
    if app:
        labels["app"] = "quay"
    meta: dict = {"name": name}
    if labels:
        meta["labels"] = labels
    if component:
        meta["annotations"] = {"quay-component": component}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}


def secret(ctx: Context, suffix: str, data: Mapping[str, str], *, hashed: bool = True, component: str | None = None,
           label: str | None = None) -> dict:
    """A generated Secret (stringData, as a generator's literals), hash-suffixed unless `hashed=False`."""
    s = obj("v1", "Secret", ctx.n(suffix), component=component, label=label, type="Opaque",
            stringData=dict(sorted(data.items())))
    if hashed:
        s["metadata"]["name"] = f"{ctx.n(suffix)}-{content_hash(s)}"
    return s


def service_account(ctx: Context, suffix: str, component: str, *, app: bool = False) -> dict:
    return obj("v1", "ServiceAccount", ctx.n(suffix), component=component, app=app)


def service(ctx: Context, suffix: str, component: str, label: str, selector: str, ports: list[dict], *,
            app: bool = False) -> dict:
    return obj("v1", "Service", ctx.n(suffix), component=component, label=label, app=app,
               spec={"type": "ClusterIP", "selector": {"quay-component": selector}, "ports": ports})


def pvc(ctx: Context, suffix: str, component: str, label: str) -> dict:
    return obj("v1", "PersistentVolumeClaim", ctx.n(suffix), component=component, label=label,
               spec={"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem",
                     "resources": {"requests": {"storage": "50Gi"}}})


def deployment(ctx: Context, suffix: str, component: str, label: str, pod_label: str, pod: dict, *,
               replicas: int | None = None, recreate: bool = False, app: bool = False) -> dict:
    """A Deployment whose selector and pod template use `quay-component: <pod_label>`."""
    spec: dict = {"selector": {"matchLabels": {"quay-component": pod_label}},
                  "template": {"metadata": {"labels": {"quay-component": pod_label}}, "spec": pod}}
    if app:
        spec["template"]["metadata"]["labels"]["app"] = "quay"
    if replicas is not None:
        spec["replicas"] = replicas
    if recreate:
        spec["strategy"] = {"type": "Recreate"}
    return obj("apps/v1", "Deployment", ctx.n(suffix), component=component, label=label, app=app, spec=spec)


def anti_affinity(pod_label: str) -> dict:
    """The manifests' preferred podAntiAffinity spreading one component over nodes."""
    return {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
        "weight": 100,
        "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchExpressions": [
            {"key": "quay-component", "operator": "In", "values": [pod_label]}]}},
    }]}}


def resources(cpu: str, memory: str, limit_cpu: str | None = None, limit_memory: str | None = None) -> dict:
    return {"requests": {"cpu": cpu, "memory": memory},
            "limits": {"cpu": limit_cpu or cpu, "memory": limit_memory or memory}}


def proxy_env(proxy_secret: str) -> list[dict]:
    return [{"name": key, "valueFrom": {"secretKeyRef": {"name": proxy_secret, "key": key}}}
            for key in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")]


def probe(path: str, port: int, scheme: str, **timing) -> dict:
    return {"httpGet": {"path": path, "port": port, "scheme": scheme}, **timing}


def render_base(ctx: Context, final_files: Mapping[str, str]) -> list[dict]:
    """The 13 objects of `quay` (plus the upgrade Job when upgrading), given the final config files."""
    op = ctx.operator
    no_proxy = ",".join(x for x in [ctx.server_hostname, op.no_proxy] if x)
    proxy = secret(ctx, "quay-proxy-config", {"HTTP_PROXY": op.http_proxy, "HTTPS_PROXY": op.https_proxy,
                                              "NO_PROXY": no_proxy}, component="quay")
    config = secret(ctx, "quay-config-secret", final_files, component="quay")
    extra_ca = secret(ctx, "extra-ca-certs", {
        key.removeprefix("extra_ca_cert_"): value.decode() for key, value in ctx.files.items()
        if key.startswith("extra_ca_cert_")}, component="quay")
    keys = secret(ctx, MANAGED_KEYS_SUFFIX, ctx.keys.as_data(), hashed=False, component="quay")
    tls_data = {}
    if ctx.platform.routes:
        tls_data["ocp-cluster-wildcard.cert"] = ctx.platform.cluster_wildcard_cert.decode()
    if ctx.files.get("ssl.cert") and ctx.files.get("ssl.key"):
        tls_data.update({"ssl.cert": ctx.files["ssl.cert"].decode(), "ssl.key": ctx.files["ssl.key"].decode()})
    tls = secret(ctx, "quay-config-tls", tls_data, component="quay")
    credentials = secret(ctx, "quay-config-editor-credentials",
                         {"username": CONFIG_EDITOR_USER, "password": ctx.keys.CONFIG_EDITOR_PW}, component="quay")
    names = {s: o["metadata"]["name"] for s, o in
             (("proxy", proxy), ("config", config), ("extra", extra_ca), ("tls", tls), ("cred", credentials))}
    volumes = [
        {"name": "configvolume", "projected": {"sources": [
            {"secret": {"name": names["config"]}}, {"secret": {"name": names["tls"]}}]}},
        {"name": "extra-ca-certs", "secret": {"secretName": names["extra"]}},
        {"name": "cluster-service-ca", "configMap": {"name": ctx.n("cluster-service-ca")}},
        {"name": "cluster-trusted-ca", "configMap": {"name": ctx.n("cluster-trusted-ca")}},
    ]
    mounts = [{"name": "configvolume", "readOnly": False, "mountPath": "/conf/stack"},
              {"name": "extra-ca-certs", "readOnly": True, "mountPath": "/conf/stack/extra_ca_certs"},
              {"name": "cluster-service-ca", "readOnly": True, "mountPath": "/conf/cluster-service-ca"},
              {"name": "cluster-trusted-ca", "readOnly": True, "mountPath": "/conf/cluster-trusted-ca"}]
    https = not ctx.managed("tls") and not ctx.upgrade  # overlay unmanaged-tls
    health = probe("/health/instance", 8443 if https else 8080, "HTTPS" if https else "HTTP")
    quay_env = [
        {"name": "QE_K8S_CONFIG_SECRET", "value": names["config"]},
        {"name": "QE_K8S_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "DEBUGLOG", "value": "false"},
        {"name": "WORKER_COUNT_WEB", "value": "4"},
        {"name": "WORKER_COUNT_SECSCAN", "value": "2"},
        {"name": "WORKER_COUNT_REGISTRY", "value": "8"},
        *proxy_env(names["proxy"]),
    ]
    quay_app = deployment(ctx, "quay-app", "quay", "quay", "quay-app", {
        "serviceAccountName": ctx.n("quay-app"),
        "affinity": anti_affinity("quay-app"),
        "volumes": volumes,
        "containers": [{
            "name": "quay-app", "image": ctx.image("RELATED_IMAGE_COMPONENT_QUAY"), "args": ["registry-nomigrate"],
            "env": quay_env,
            "ports": [{"containerPort": p, "protocol": "TCP"} for p in (8443, 8080, 8081, 9091, 55443)],
            "resources": resources("2000m", "8Gi"),
            "startupProbe": {**health, "failureThreshold": 20, "periodSeconds": 15},
            "readinessProbe": {**health, "initialDelaySeconds": 5, "periodSeconds": 10},
            "livenessProbe": {**health, "initialDelaySeconds": 120, "periodSeconds": 30},
            "volumeMounts": mounts,
        }],
    }, replicas=0 if ctx.upgrade else None, app=True)
    fieldgroups = ",".join(FIELD_GROUP_NAMES[c["kind"]] for c in ctx.components
                           if c.get("managed") and c.get("kind") in FIELD_GROUP_NAMES)
    editor = deployment(ctx, "quay-config-editor", "quay", "quay-config-editor", "quay-config-editor", {
        "serviceAccountName": ctx.n("quay-app"),
        "volumes": volumes,
        "containers": [{
            "name": "quay-config-editor", "image": ctx.image("RELATED_IMAGE_COMPONENT_QUAY"),
            "args": ["config", "$(QUAY_PASSWORD)", "$(QUAY_OPERATOR_ENDPOINT)"],
            "env": [
                {"name": "QUAY_PASSWORD", "valueFrom": {"secretKeyRef": {"name": names["cred"], "key": "password"}}},
                {"name": "QUAY_OPERATOR_ENDPOINT", "valueFrom": {"fieldRef": {
                    "fieldPath": "metadata.annotations['quay-operator-service-endpoint']"}}},
                {"name": "QUAY_CONFIG_READ_ONLY_FIELD_GROUPS", "valueFrom": {"fieldRef": {
                    "fieldPath": "metadata.annotations['quay-managed-fieldgroups']"}}},
                {"name": "QE_K8S_CONFIG_SECRET", "value": names["config"]},
                {"name": "QE_K8S_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            ],
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "readinessProbe": probe("/", 8080, "HTTP"),
            "volumeMounts": mounts,
        }],
    }, replicas=1, app=True)
    editor["spec"]["template"]["metadata"]["annotations"] = {"quay-managed-fieldgroups": fieldgroups}
    objects = [
        proxy, config, extra_ca, keys, tls, credentials,
        service_account(ctx, "quay-app", "quay", app=True),
        obj("v1", "ConfigMap", ctx.n("cluster-service-ca"), component="quay", app=True,
            data={}),
        obj("v1", "ConfigMap", ctx.n("cluster-trusted-ca"), component="quay", app=True, data={}),
        service(ctx, "quay-app", "quay", "quay", "quay-app", [
            {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
            {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
            {"name": "jwtproxy", "port": 8081, "targetPort": 8081, "protocol": "TCP"},
            {"name": "grpc", "port": 55443, "targetPort": 55443, "protocol": "TCP"},
        ], app=True),
        service(ctx, "quay-config-editor", "quay", "quay-config-editor", "quay-config-editor",
                [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}], app=True),
        quay_app,
        editor,
    ]
    objects[7]["metadata"]["annotations"]["service.beta.openshift.io/inject-cabundle"] = "true"
    objects[8]["metadata"]["labels"]["config.openshift.io/inject-trusted-cabundle"] = "true"
    if ctx.upgrade:
        objects.append(upgrade_job(ctx, quay_app))
    return objects


def upgrade_job(ctx: Context, quay_app: dict) -> dict:
    """Job `<name>-quay-app-upgrade`: quay-app's pod running `migrate head` (overlay upgrade)."""
    pod = json.loads(json.dumps(quay_app["spec"]["template"]["spec"]))
    container = pod["containers"][0]
    container["args"] = ["migrate", "head"]
    for key in ("startupProbe", "readinessProbe", "livenessProbe", "ports"):
        container.pop(key)
    pod.pop("affinity")
    pod["restartPolicy"] = "OnFailure"
    return obj("batch/v1", "Job", ctx.n("quay-app-upgrade"), component="base", label="quay-app-upgrade",
               spec={"template": {"metadata": {"labels": {"quay-component": "quay-app-upgrade"}}, "spec": pod}})


# FieldGroupNameFor: the config editor's read-only field groups of managed components (§6.2).
FIELD_GROUP_NAMES = {
    "clair": "SecurityScanner",
    "postgres": "Database",
    "redis": "Redis",
    "objectstorage": "DistributedStorage",
    "route": "HostSettings",
    "mirror": "RepoMirror",
}
