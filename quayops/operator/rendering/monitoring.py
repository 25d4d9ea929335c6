"""The managed `monitoring` component's 8 objects. Mirrors quay-operator kustomize/components/monitoring
and controllers/quay/quayregistry_controller.go updateGrafanaDashboardData (operator-facts §5.2, §9 step 20)."""

from __future__ import annotations

import json

from quayops.operator.rendering.base import Context, obj, service

GRAFANA_NAMESPACE = "openshift-config-managed"
RESTARTS_ALERT = "QuayPodFrequentlyRestarting"
RESTARTS_EXPR = 'increase(kube_pod_container_status_restarts_total{pod=~".*-quay-app-.*"}[1h]) > 5'
# Dashboard panels: (title, PromQL with $namespace and $service filters)
PANELS = (
    ("Organizations", "max(quay_org_rows{namespace='$namespace', service='$service'})"),
    ("Repositories", "max(quay_repository_rows{namespace='$namespace', service='$service'})"),
    ("Users", "max(quay_user_rows{namespace='$namespace', service='$service'})"),
    ("Robots", "max(quay_robot_rows{namespace='$namespace', service='$service'})"),
    ("CPU", "sum(rate(container_cpu_usage_seconds_total{namespace='$namespace', pod=~'.*-quay-app-.*'}[5m]))"),
    ("Max memory", "max(container_memory_working_set_bytes{namespace='$namespace', pod=~'.*-quay-app-.*'})"),
    ("Image pulls", "sum(rate(quay_registry_image_pulls_total{namespace='$namespace', service='$service'}[5m]))"),
    ("Image pushes", "sum(rate(quay_registry_image_pushes_total{namespace='$namespace', service='$service'}[5m]))"),
    ("Authentications", "sum(rate(quay_authentication_attempts_total{namespace='$namespace', service='$service'}[5m]))"),
    ("API requests", "sum(rate(quay_request_duration_seconds_count{namespace='$namespace', service='$service'}[5m]))"),
    ("API latency p99", ("histogram_quantile(0.99, sum by (le) (rate(quay_request_duration_seconds_bucket"
                        "{namespace='$namespace', service='$service'}[5m])))")),
)


def dashboard(title: str, namespace: str, service_name: str) -> str:
    """The Grafana dashboard JSON with title and the namespace/service template filters set."""
    return json.dumps({
        "title": title,
        "templating": {"list": [
            {"name": "namespace", "type": "constant", "query": namespace, "hide": 2},
            {"name": "service", "type": "constant", "query": service_name, "hide": 2},
        ]},
        "panels": [{"id": i + 1, "type": "timeseries", "title": t, "targets": [{"expr": e}]}
                   for i, (t, e) in enumerate(PANELS)],
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
