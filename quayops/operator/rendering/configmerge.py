"""The final config.yaml: user config, managed keys, base config, then managed field groups on top.

Mirrors quay-operator pkg/kustomize/kustomize.go Inflate, pkg/kustomize/secrets.go FieldGroupFor and
BaseQuayConfig, pkg/middleware/middleware.go FlattenSecret (operator-facts §1, §6.1, §6.2).
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from ruamel.yaml import YAML

from quayops.operator.components import Kind
from quayops.operator.rendering.base import Context

DROPPED_FILES = ("ssl.cert", "ssl.key", "clair-ssl.key", "clair-ssl.crt")


def base_config(branding: str) -> dict:
    """BaseQuayConfig: the keys filled into every config.yaml where the user has not set them."""
    redhat = branding == "redhat"
    title = "Red Hat Quay" if redhat else "Quay"
    return {
        "SETUP_COMPLETE": True,
        "FEATURE_MAILING": False,
        "REGISTRY_TITLE": title,
        "REGISTRY_TITLE_SHORT": title,
        "AUTHENTICATION_TYPE": "Database",
        "ENTERPRISE_LOGO_URL": "/static/img/RH_Logo_Quay_Black_UX-horizontal.svg" if redhat
        else "/static/img/quay-horizontal-color.svg",
        "DEFAULT_TAG_EXPIRATION": "2w",
        "ALLOW_PULLS_WITHOUT_STRICT_LOGGING": False,
        "TAG_EXPIRATION_OPTIONS": ["2w"],
        "TEAM_RESYNC_STALE_TIME": "60m",
        "FEATURE_DIRECT_LOGIN": True,
        "FEATURE_BUILD_SUPPORT": False,
        "TESTING": False,
    }


def field_group(ctx: Context, kind: str, bucket: Mapping[str, str]) -> dict:
    """FieldGroupFor: the config.yaml fields a managed component injects (empty when it has none)."""
    if kind == Kind.CLAIR:
        return {"FEATURE_SECURITY_SCANNER": True, "SECURITY_SCANNER_INDEXING_INTERVAL": 30,
                "FEATURE_SECURITY_NOTIFICATIONS": True,
                "SECURITY_SCANNER_V4_ENDPOINT": f"http://{ctx.n('clair-app')}.{ctx.namespace}.svc.cluster.local",
                "SECURITY_SCANNER_V4_NAMESPACE_WHITELIST": ["admin"],
                "SECURITY_SCANNER_V4_PSK": ctx.keys.SECURITY_SCANNER_V4_PSK}
    if kind == Kind.REDIS:
        redis = {"host": ctx.n("quay-redis"), "port": 6379}
        return {"BUILDLOGS_REDIS": dict(redis), "USER_EVENTS_REDIS": dict(redis)}
    if kind == Kind.POSTGRES:
        return {"DB_URI": ctx.keys.DB_URI, "DB_CONNECTION_ARGS": {"autorollback": True, "threadlocals": True}}
    if kind == Kind.OBJECTSTORAGE:
        host = bucket.get("BUCKET_HOST", "")
        if ".svc" in host and ".svc.cluster.local" not in host:
            host = host.replace(".svc", ".svc.cluster.local")
        return {"FEATURE_PROXY_STORAGE": True, "FEATURE_STORAGE_REPLICATION": False,
                "DISTRIBUTED_STORAGE_PREFERENCE": ["local_us"], "DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS": ["local_us"],
                "DISTRIBUTED_STORAGE_CONFIG": {"local_us": ["RHOCSStorage", {
                    "hostname": host, "port": 443, "is_secure": True, "storage_path": "/datastorage/registry",
                    "access_key": bucket.get("AWS_ACCESS_KEY_ID", ""),
                    "secret_key": bucket.get("AWS_SECRET_ACCESS_KEY", ""),
                    "bucket_name": bucket.get("BUCKET_NAME", "")}]}}
    if kind == Kind.ROUTE:
        return {"SERVER_HOSTNAME": ctx.server_hostname, "PREFERRED_URL_SCHEME": "https",
                "EXTERNAL_TLS_TERMINATION": not (ctx.files.get("ssl.cert") and ctx.files.get("ssl.key"))}
    if kind == Kind.MIRROR:
        return {"FEATURE_REPO_MIRROR": True, "REPO_MIRROR_INTERVAL": 30, "REPO_MIRROR_TLS_VERIFY": True}
    return {}


def final_config(ctx: Context, bucket: Mapping[str, str]) -> dict:
    """The merged config.yaml mapping: managed field groups override the user's values for the same key."""
    config = {**ctx.config, "DATABASE_SECRET_KEY": ctx.keys.DATABASE_SECRET_KEY,
              "SECRET_KEY": ctx.keys.SECRET_KEY, "DB_URI": ctx.keys.DB_URI}
    config = {**base_config(ctx.operator.branding), **config}
    for component in ctx.components:
        if component.get("managed"):
            config.update(field_group(ctx, component["kind"], bucket))
    return config


def dump_yaml(value: dict) -> str:
    """YAML with sorted keys, as Go's yaml.Marshal writes a map."""
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump(_sorted(value), out)
    return out.getvalue()


def _sorted(value):
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def final_files(ctx: Context, bucket: Mapping[str, str]) -> dict[str, str]:
    """The quay-config-secret data: config.yaml plus the bundle's other files, without certs and extra CAs."""
    files = {key: raw.decode("utf-8", errors="replace") for key, raw in ctx.files.items()
             if key not in DROPPED_FILES and not key.startswith("extra_ca_cert_") and key != "config.yaml"}
    files["config.yaml"] = dump_yaml(final_config(ctx, bucket))
    return files
