"""The managed `monitoring` component's 8 objects. Mirrors quay-operator kustomize/components/monitoring
and controllers/quay/quayregistry_controller.go updateGrafanaDashboardData (operator-facts §5.2, §9 step 20)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from quayops.operator.rendering.base import Context, obj, service

GRAFANA_NAMESPACE = "openshift-config-managed"
RESTARTS_ALERT = "QuayPodFrequentlyRestarting"
RESTARTS_EXPR = 'increase(kube_pod_container_status_restarts_total{pod=~".*-quay-app-.*"}[1h]) > 5'
_FILTER = 'namespace="$namespace", service="$service"'


@dataclass(frozen=True)
class DashboardPanel:
    """One figure of the operator's Quay dashboard: `expr` is its PromQL verbatim ($namespace, $service)."""

    key: str
    title: str
    expr: str
    unit: str = "none"
    legend: str = ""

    @property
    def single_value(self) -> bool:
        return self.key in ("organizations", "repositories", "users", "robots")


# The PromQL of kustomize/components/monitoring/quay-grafana-dashboard.configmap.yaml, panel by panel.
PANELS = (
    DashboardPanel("organizations", "Organizations", f"max(quay_org_rows{{{_FILTER}}} > 0)"),
    DashboardPanel("repositories", "Repositories", f"max(quay_repository_rows{{{_FILTER}}} > 0)"),
    DashboardPanel("users", "Users", f"max(quay_user_rows{{{_FILTER}}} > 0)"),
    DashboardPanel("robots", "Robots", f"max(quay_robot_rows{{{_FILTER}}} > 0)"),
    DashboardPanel("cpu", "CPU usage (percent)",
                   "sum by (process_name) (rate(process_cpu_seconds_total"
                   f'{{{_FILTER},pod=~".+-quay-.+"}}[5m])) * 100', "percent", "{{process_name}}"),
    DashboardPanel("memory", "Max memory usage",
                   f'max(process_resident_memory_bytes{{host=~".+-quay-app-.+", {_FILTER}}}) by (process_name)',
                   "bytes", "{{process_name}}"),
    DashboardPanel("image_pulls", "Image pulls", f"sum(rate(quay_registry_image_pulls_total{{{_FILTER}}}[5m]))",
                   "ops"),
    DashboardPanel("image_pushes", "Image pushes", f"sum(rate(quay_registry_image_pushes_total{{{_FILTER}}}[5m]))",
                   "ops"),
    DashboardPanel("authentications", "Authentications",
                   f"sum(rate(quay_authentication_attempts_total{{{_FILTER}}}[5m]))", "ops"),
    DashboardPanel("api_requests", "API request rate",
                   f"sum by (route) (rate(quay_request_duration_seconds_count{{{_FILTER}}}[5m]))", "reqps",
                   "{{route}}"),
    DashboardPanel("api_latency_p95", "API latency p95",
                   "histogram_quantile(0.95, sum by (le, route) "
                   f"(rate(quay_request_duration_seconds_bucket{{{_FILTER}}}[5m])))", "s", "{{route}}"),
)


def _grafana_panel(index: int, panel: DashboardPanel, y: int, x: int, width: int) -> dict:
    height = 4 if panel.single_value else 8
    return {
        "id": index + 1, "type": "stat" if panel.single_value else "timeseries", "title": panel.title,
        "datasource": {"type": "prometheus", "uid": "$datasource"},
        "gridPos": {"h": height, "w": width, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": [{"refId": "A", "expr": panel.expr, "legendFormat": panel.legend}],
    }


def dashboard(title: str, namespace: str, service_name: str) -> str:
    """The Grafana dashboard JSON with title and the namespace/service template filters set.

    Rows as the operator's: the four counts, CPU and memory, pulls/pushes/auth, then requests and latency.
    """
    rows = [(4, PANELS[0:4]), (8, PANELS[4:6]), (8, PANELS[6:9]), (8, PANELS[9:11])]
    panels, y = [], 0
    for height, row in rows:
        width = 24 // len(row)
        for i, panel in enumerate(row):
            panels.append(_grafana_panel(len(panels), panel, y, i * width, width))
        y += height
    variable = {"type": "constant", "hide": 2, "skipUrlSync": False}
    return json.dumps({
        "title": title, "uid": "quay-registry", "editable": False, "schemaVersion": 36, "tags": ["quay"],
        "time": {"from": "now-6h", "to": "now"}, "refresh": "30s",
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus", "hide": 0,
             "current": {"text": "prometheus", "value": "prometheus"}},
            {**variable, "name": "namespace", "query": namespace,
             "current": {"text": namespace, "value": namespace}},
            {**variable, "name": "service", "query": service_name,
             "current": {"text": service_name, "value": service_name}},
        ]},
        "panels": panels,
    }, indent=2)


def render(ctx: Context) -> list[dict]:
    metrics = service(ctx, "quay-metrics", "monitoring", "monitoring", "quay-app",
                      [{"name": "quay-metrics", "port": 9091, "targetPort": 9091, "protocol": "TCP"}])
    reader = {"apiGroups": [""], "resources": ["services", "endpoints", "pods"], "verbs": ["get", "list", "watch"]}
    grafana = obj("v1", "ConfigMap", ctx.n("grafana-dashboard-quay"), component="monitoring", data={
        "quay.json": dashboard("Quay", ctx.namespace, ctx.n("quay-metrics"))})
    grafana["metadata"]["labels"] = {"console.openshift.io/dashboard": "true"}
    if ctx.platform.supports_monitoring:
        grafana["metadata"]["namespace"] = GRAFANA_NAMESPACE
        grafana["data"]["quay.json"] = dashboard(f"Quay - {ctx.namespace} - {ctx.name}", ctx.namespace,
                                                 ctx.n("quay-metrics"))
    rule = obj("monitoring.coreos.com/v1", "PrometheusRule", ctx.n("quay-prometheus-rules"), component="monitoring",
               spec={"groups": [{"name": "quay-alerts", "rules": [{
                   "alert": RESTARTS_ALERT, "expr": RESTARTS_EXPR, "for": "10m",
                   "labels": {"severity": "warning"},
                   "annotations": {"summary": "Quay pod restarting too often",
                                   "description": "Pod {{ $labels.pod }} restarted more than 5 times in the last hour."},
               }]}]})
    rule["metadata"]["labels"] = {"prometheus": "k8s", "role": "alert-rules"}
    return [
        metrics,
        obj("rbac.authorization.k8s.io/v1", "Role", ctx.n("quay-metrics"), component="monitoring", rules=[reader]),
        obj("rbac.authorization.k8s.io/v1", "RoleBinding", ctx.n("quay-metrics"), component="monitoring",
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ctx.n("quay-metrics")},
            subjects=[{"kind": "ServiceAccount", "name": "prometheus-k8s", "namespace": "openshift-monitoring"}]),
        obj("monitoring.coreos.com/v1", "ServiceMonitor", ctx.n("quay-metrics-monitor"), component="monitoring",
            spec={"endpoints": [{"port": "quay-metrics"}], "namespaceSelector": {"matchNames": [ctx.namespace]},
                  "selector": {"matchLabels": {"quay-component": "monitoring"}}}),
        grafana,
        obj("rbac.authorization.k8s.io/v1", "Role", ctx.n("quay-alerts-role"), component="monitoring",
            rules=[{"apiGroups": ["monitoring.coreos.com"], "resources": ["prometheusrules"],
                    "verbs": ["get", "list", "watch"]}]),
        obj("rbac.authorization.k8s.io/v1", "RoleBinding", ctx.n("quay-alerts-rolebinding"), component="monitoring",
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ctx.n("quay-alerts-role")},
            subjects=[{"kind": "ServiceAccount", "name": "prometheus-operator",
                       "namespace": "openshift-user-workload-monitoring"}]),
        rule,
    ]
