"""The managed `clair` component's 4 objects and its generated Clair config. Mirrors quay-operator
kustomize/components/clair and pkg/kustomize/secrets.go clairConfigFor (operator-facts §5.2, §6.3)."""

from __future__ import annotations

import json

from quayops.operator.checks import parse_bundle_yaml
from quayops.operator.components import Kind
from quayops.operator.rendering.base import (
    Context,
    anti_affinity,
    deployment,
    proxy_env,
    resources,
    secret,
    service,
    service_account,
)


def clair_config(ctx: Context, quay_hostname: str) -> dict:
    """clairConfigFor: defaults, then the bundle's clair-config.yaml replacing the top-level keys it names."""
    pool = 33 if ctx.managed(Kind.HPA) else 10
    conn = (f"host={ctx.n('clair-postgres')} port=5432 dbname=postgres user=postgres password=postgres "
            f"sslmode=disable pool_max_conns={pool}")
    config = {
        "http_listen_addr": ":8080",
        "log_level": "info",
        "indexer": {"connstring": conn, "scanlock_retry": 10, "layer_scan_concurrency": 5, "migrations": True},
        "matcher": {"connstring": conn, "migrations": True},
        "notifier": {"connstring": conn, "migrations": True, "delivery_interval": "1m", "poll_interval": "5m",
                     "webhook": {"target": f"https://{quay_hostname}/secscan/notification",
                                 "callback": f"http://{ctx.n('clair-app')}/notifier/api/v1/notifications"}},
        "auth": {"psk": {"key": ctx.keys.SECURITY_SCANNER_V4_PSK, "iss": ["quay", "clairctl"]}},
        "metrics": {"name": "prometheus"},
    }
    user, _ = parse_bundle_yaml(ctx.files.get("clair-config.yaml"))
    return {**config, **(user or {})}


def render(ctx: Context, proxy_secret: str) -> list[dict]:
    data = {k: ctx.files[k].decode() for k in ("clair-ssl.crt", "clair-ssl.key") if k in ctx.files}
    user_host = ctx.config.get("SERVER_HOSTNAME")
    quay_hostname = ctx.server_hostname if ctx.managed(Kind.ROUTE) else (user_host if isinstance(user_host, str)
                                                                         else "")
    if quay_hostname:  # silently skipped without any SERVER_HOSTNAME (§3.4)
        data["config.yaml"] = json.dumps(clair_config(ctx, quay_hostname), indent=2, sort_keys=True)
    config = secret(ctx, "clair-config-secret", data, component="clair")
    pod = {
        "serviceAccountName": ctx.n("clair-app"),
        "affinity": anti_affinity("clair-app"),
        "volumes": [{"name": "config", "secret": {"secretName": config["metadata"]["name"]}}],
        "containers": [{
            "name": "clair-app", "image": ctx.image("RELATED_IMAGE_COMPONENT_CLAIR"),
            "env": [{"name": "CLAIR_CONF", "value": "/clair/config.yaml"}, {"name": "CLAIR_MODE", "value": "combo"},
                    *proxy_env(proxy_secret)],
            "ports": [{"containerPort": 8080, "name": "clair-http", "protocol": "TCP"},
                      {"containerPort": 8089, "name": "clair-intro", "protocol": "TCP"}],
            "resources": resources("2000m", "2Gi", "4000m", "16Gi"),
            "volumeMounts": [{"name": "config", "mountPath": "/clair/"}],
        }],
    }
    return [
        deployment(ctx, "clair-app", "clair", "clair-app", "clair-app", pod),
        service(ctx, "clair-app", "clair", "clair-app", "clair-app", [
            {"name": "clair-http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
            {"name": "clair-introspection", "port": 8089, "targetPort": 8089, "protocol": "TCP"}]),
        service_account(ctx, "clair-app", "clair"),
        config,
    ]
