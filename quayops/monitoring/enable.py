"""Monitoring for a Quay Operator installed in one namespace (guide 8.2): user-workload monitoring switched on,
the metrics Service and ServiceMonitor created with the guide's names and labels, then scraping verified."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from quayops.errors import PreconditionFailed, StepFailedError
from quayops.kube.client import Cluster
from quayops.monitoring.client import MONITORING_NAMESPACE, PrometheusClient, connect
from quayops.monitoring.queries import metrics_service

if TYPE_CHECKING:
    import pandas as pd

USER_WORKLOAD_NAMESPACE = "openshift-user-workload-monitoring"
CLUSTER_MONITORING_CONFIG = "cluster-monitoring-config"
USER_WORKLOAD_MONITORING_CONFIG = "user-workload-monitoring-config"
REGISTRY_LABEL = "quay-operator/quayregistry"
METRICS_PORT = 9091
STEP_COLUMNS = ["step", "object", "action"]


def render_metrics_service(name: str, namespace: str) -> dict:
    """Service `<name>-quay-metrics` on port 9091 (`quay-metrics`) selecting the quay-app pods (guide 8.2.4)."""
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": metrics_service(name), "namespace": namespace,
                         "labels": {"quay-component": "monitoring", REGISTRY_LABEL: name}},
            "spec": {"type": "ClusterIP",
                     "ports": [{"name": "quay-metrics", "port": METRICS_PORT, "protocol": "TCP",
                                "targetPort": METRICS_PORT}],
                     "selector": {"quay-component": "quay-app", REGISTRY_LABEL: name}}}


def render_service_monitor(name: str, namespace: str) -> dict:
    """ServiceMonitor `<name>-quay-metrics-monitor` on port `quay-metrics` (guide 8.2.5)."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": {"name": f"{name}-quay-metrics-monitor", "namespace": namespace,
                         "labels": {REGISTRY_LABEL: name}},
            "spec": {"endpoints": [{"port": "quay-metrics"}], "namespaceSelector": {"any": True},
                     "selector": {"matchLabels": {"quay-component": "monitoring"}}}}


def plan_user_workload(config_text: str | None) -> str | None:
    """`config.yaml` with `enableUserWorkload: true` added, keeping every other key and comment; None when
    it is already on. Raises PreconditionFailed when the text is not a YAML mapping."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    yaml = YAML()
    try:
        doc = yaml.load(config_text or "")
    except YAMLError as e:
        raise PreconditionFailed(
            f"config.yaml of ConfigMap {MONITORING_NAMESPACE}/{CLUSTER_MONITORING_CONFIG} is not valid YAML: {e}",
            field="config.yaml", hint="Fix it by hand; nothing was changed.") from e
    doc = CommentedMap() if doc is None else doc
    if not isinstance(doc, dict):
        raise PreconditionFailed(
            f"config.yaml of ConfigMap {MONITORING_NAMESPACE}/{CLUSTER_MONITORING_CONFIG} is not a mapping",
            field="config.yaml", hint="Fix it by hand; nothing was changed.")
    if doc.get("enableUserWorkload") is True:
        return None
    doc["enableUserWorkload"] = True
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _configmap(name: str, namespace: str, text: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {"config.yaml": text}}


def apply_user_workload_monitoring(cluster: Cluster) -> list[dict]:
    """Guide 8.2.1–8.2.3: both ConfigMaps exist and `enableUserWorkload: true` is set; other content is kept."""
    steps = []
    current = cluster.find("v1", "ConfigMap", CLUSTER_MONITORING_CONFIG, namespace=MONITORING_NAMESPACE)
    ref = f"ConfigMap {MONITORING_NAMESPACE}/{CLUSTER_MONITORING_CONFIG}"
    text = plan_user_workload(((current or {}).get("data") or {}).get("config.yaml"))
    if current is None:
        cluster.create(_configmap(CLUSTER_MONITORING_CONFIG, MONITORING_NAMESPACE, text or ""))
        action = "created with enableUserWorkload: true"
    elif text is not None:
        cluster.patch("v1", "ConfigMap", CLUSTER_MONITORING_CONFIG, {"data": {"config.yaml": text}},
                      namespace=MONITORING_NAMESPACE)
        action = "enableUserWorkload: true added"
    else:
        action = "unchanged (enableUserWorkload already true)"
    steps.append({"step": "8.2.1/8.2.3 cluster monitoring config", "object": ref, "action": action})
    ref = f"ConfigMap {USER_WORKLOAD_NAMESPACE}/{USER_WORKLOAD_MONITORING_CONFIG}"
    if cluster.find("v1", "ConfigMap", USER_WORKLOAD_MONITORING_CONFIG, namespace=USER_WORKLOAD_NAMESPACE) is None:
        cluster.create(_configmap(USER_WORKLOAD_MONITORING_CONFIG, USER_WORKLOAD_NAMESPACE, ""))
        action = "created"
    else:
        action = "unchanged (exists)"
    steps.append({"step": "8.2.2 user workload monitoring config", "object": ref, "action": action})
    return steps


def apply_metrics_objects(cluster: Cluster, name: str, *, namespace: str) -> list[dict]:
    """Guide 8.2.4–8.2.5 by server-side apply; objects the operator owns (monitoring managed) are left alone."""
    steps = []
    for step, obj in (("8.2.4 metrics Service", render_metrics_service(name, namespace)),
                      ("8.2.5 ServiceMonitor", render_service_monitor(name, namespace))):
        meta = obj["metadata"]
        ref = f"{obj['kind']} {namespace}/{meta['name']}"
        current = cluster.find(obj["apiVersion"], obj["kind"], meta["name"], namespace=namespace)
        owners = [r for r in ((current or {}).get("metadata") or {}).get("ownerReferences") or []
                  if r.get("kind") == "QuayRegistry"]
        if owners:
            steps.append({"step": step, "object": ref, "action": "unchanged (owned by the Quay Operator)"})
            continue
        cluster.apply(obj)
        steps.append({"step": step, "object": ref, "action": "created" if current is None else "applied"})
    return steps


def check_scraping(client: PrometheusClient, name: str, *, namespace: str) -> str | None:
    """None when a target of the metrics Service is up and `quay_org_rows` arrives; else what is missing."""
    service = metrics_service(name)
    targets = [t for t in client.get("/api/v1/targets", {"state": "active"}).get("activeTargets") or []
               if (t.get("labels") or {}).get("namespace") == namespace
               and (t.get("labels") or {}).get("service") == service]
    if not targets:
        return f"Prometheus at {client.url} has no target for Service {namespace}/{service}"
    if not any(t.get("health") == "up" for t in targets):
        states = "; ".join(f"{t['labels'].get('pod', '?')} {t.get('health')} {t.get('lastError', '')}".strip()
                           for t in targets)
        return f"no target of Service {namespace}/{service} is up ({states})"
    if not client.query(f'quay_org_rows{{namespace="{namespace}", service="{service}"}}'):
        return f"targets of Service {namespace}/{service} are up but quay_org_rows has no sample yet"
    return None


def wait_for_scraping(client: PrometheusClient, name: str, *, namespace: str, timeout: float = 120.0,
                      interval: float = 1.0) -> None:
    """Poll until `check_scraping` passes; raises StepFailedError with the last finding."""
    deadline = time.monotonic() + timeout
    while (missing := check_scraping(client, name, namespace=namespace)) is not None:
        if time.monotonic() >= deadline:
            raise StepFailedError(
                f"monitoring enabled but not scraping after {timeout:.0f} s: {missing}", step="verify scraping",
                hint="The ConfigMaps, Service and ServiceMonitor are in place; check that the quay-app pods are "
                     "Ready and serve port 9091, then run the check again.")
        time.sleep(interval)


def enable_single_namespace_monitoring(cluster: Cluster, name: str, *, namespace: str,
                                       prometheus: PrometheusClient | None = None, verify: bool = True,
                                       timeout: float = 120.0,
                                       report: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Every step of guide 8.2 for registry `name`, as rows (step, object, action), then the scrape check.

    Safe to re-run: existing content is kept and unchanged objects say so. Prometheus is found through
    the thanos-querier Route unless `prometheus` is given.
    """
    import pandas as pd

    steps = []
    for row in [*apply_user_workload_monitoring(cluster), *apply_metrics_objects(cluster, name, namespace=namespace)]:
        steps.append(row)
        if report:
            report(f"{row['step']}: {row['object']} {row['action']}")
    if verify:
        client = prometheus or connect(cluster=cluster)
        wait_for_scraping(client, name, namespace=namespace, timeout=timeout)
        steps.append({"step": "8.2.6 verify", "object": f"Service {namespace}/{metrics_service(name)}",
                      "action": f"scraped by {client.url} (target up, quay_org_rows present)"})
        if report:
            report(steps[-1]["action"])
    return pd.DataFrame(steps, columns=STEP_COLUMNS)
