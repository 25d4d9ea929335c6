"""The prometheus-operator look-alike's pure decisions: who is monitored, scrape jobs, rules and time scaling."""

from __future__ import annotations

import pytest

from simulator.controllers.prometheus_operator import (
    monitoring_scope,
    render_rule_groups,
    render_scrape_configs,
    scale_duration,
    scale_expr,
    user_workload_enabled,
)

RESTARTS = 'increase(kube_pod_container_status_restarts_total{pod=~".*-quay-app-.*"}[1h]) > 5'


def namespace(name: str, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": labels}}


@pytest.mark.parametrize(("text", "enabled"), [
    ("enableUserWorkload: true\n", True), ("enableUserWorkload: false\n", False), ("", False),
    ("prometheusK8s: {retention: 1d}\nenableUserWorkload: true\n", True), ("enableUserWorkload: 'true'\n", False),
    ("enableUserWorkload: [\n", False),
])
def test_user_workload_needs_a_true_boolean(text, enabled):
    assert user_workload_enabled({"data": {"config.yaml": text}}) is enabled
    assert user_workload_enabled(None) is False


def test_scopes_follow_openshift():
    assert monitoring_scope(namespace("openshift-storage"), user_workload=False) == "platform"
    assert monitoring_scope(namespace("quay", **{"openshift.io/cluster-monitoring": "true"}),
                            user_workload=False) == "platform"
    assert monitoring_scope(namespace("quay"), user_workload=False) is None
    assert monitoring_scope(namespace("quay"), user_workload=True) == "user"
    assert monitoring_scope(namespace("quay", **{"openshift.io/user-monitoring": "false"}), user_workload=True) is None


def test_time_scaling_divides_ranges_for_and_offsets():
    assert scale_duration("10m", 60) == "10s"
    assert scale_duration("1h30m", 60) == "90s"
    assert scale_duration("1s", 60) == "17ms"
    assert scale_expr(RESTARTS, 60) == ('increase(kube_pod_container_status_restarts_total{pod=~".*-quay-app-.*"}'
                                        '[1m]) > 5')
    assert scale_expr("max_over_time(up[1h:5m] offset 2h)", 60) == "max_over_time(up[1m:5s] offset 2m)"


def test_rules_are_one_file_per_prometheusrule_scaled_when_asked():
    rule = {"metadata": {"namespace": "quay", "name": "r-quay-prometheus-rules"},
            "spec": {"groups": [{"name": "quay-alerts", "rules": [
                {"alert": "QuayPodFrequentlyRestarting", "expr": RESTARTS, "for": "10m"}]}]}}
    assert render_rule_groups([rule]) == {"quay-r-quay-prometheus-rules": rule["spec"]["groups"]}
    scaled = render_rule_groups([rule], time_scale=60)["quay-r-quay-prometheus-rules"][0]["rules"][0]
    assert (scaled["for"], scaled["expr"].count("[1m]")) == ("10s", 1)
    assert rule["spec"]["groups"][0]["rules"][0]["for"] == "10m"  # the input is not modified


def _objects(ns: str = "quay"):
    service = {"metadata": {"name": "r-quay-metrics", "namespace": ns, "labels": {"quay-component": "monitoring"}}}
    other = {"metadata": {"name": "other", "namespace": "elsewhere", "labels": {"quay-component": "monitoring"}}}
    endpoints = {(ns, "r-quay-metrics"): {"subsets": [{
        "addresses": [{"ip": "10.128.0.7", "targetRef": {"kind": "Pod", "namespace": ns, "name": "r-quay-app-1"}}],
        "notReadyAddresses": [{"ip": "10.128.0.8", "targetRef": {"kind": "Pod", "namespace": ns,
                                                                  "name": "r-quay-app-2"}}],
        "ports": [{"name": "quay-metrics", "port": 9091}, {"name": "http", "port": 8080}]}]},
        ("elsewhere", "other"): {"subsets": [{"addresses": [{"ip": "10.1.1.1", "targetRef": {
            "kind": "Pod", "namespace": "elsewhere", "name": "o-1"}}], "ports": [{"name": "quay-metrics", "port": 9091}]}]}}
    pods = {(ns, "r-quay-app-1"): {"metadata": {"labels": {}}, "spec": {"containers": [
        {"name": "quay-app", "ports": [{"containerPort": 8080}, {"containerPort": 9091}]}]}}}
    return {ns: [service], "elsewhere": [other]}, endpoints, pods


def monitor(ns: str = "quay", **spec) -> dict:
    return {"metadata": {"name": "r-quay-metrics-monitor", "namespace": ns},
            "spec": {"endpoints": [{"port": "quay-metrics"}],
                     "selector": {"matchLabels": {"quay-component": "monitoring"}}, **spec}}


def test_service_monitor_becomes_a_job_over_ready_endpoints():
    services, endpoints, pods = _objects()
    jobs = render_scrape_configs([(monitor(), "platform")], services=services, endpoints=endpoints, pods=pods,
                                 namespaces=["quay", "elsewhere"],
                                 resolve=lambda ns, pod, port: f"127.0.0.1:{19000 + port - 9000}")
    assert jobs == [{
        "job_name": "serviceMonitor/quay/r-quay-metrics-monitor/0", "metrics_path": "/metrics", "scheme": "http",
        "honor_labels": False,
        "static_configs": [{"targets": ["127.0.0.1:19091"], "labels": {
            "namespace": "quay", "service": "r-quay-metrics", "pod": "r-quay-app-1", "container": "quay-app",
            "endpoint": "quay-metrics", "job": "r-quay-metrics", "instance": "10.128.0.7:9091"}}],
    }]


def test_unresolved_pods_are_not_targets():
    services, endpoints, pods = _objects()
    jobs = render_scrape_configs([(monitor(), "platform")], services=services, endpoints=endpoints, pods=pods,
                                 namespaces=["quay"], resolve=lambda ns, pod, port: None)
    assert jobs[0]["static_configs"] == []


def test_any_namespace_counts_on_the_platform_but_not_for_user_workloads():
    services, endpoints, pods = _objects()
    wide = monitor(namespaceSelector={"any": True})

    def targets(scope: str) -> list[str]:
        jobs = render_scrape_configs([(wide, scope)], services=services, endpoints=endpoints, pods=pods,
                                     namespaces=["quay", "elsewhere"], resolve=lambda ns, pod, port: f"{ns}/{pod}")
        return [t for g in jobs[0]["static_configs"] for t in g["targets"]]

    assert targets("platform") == ["elsewhere/o-1", "quay/r-quay-app-1"]
    assert targets("user") == ["quay/r-quay-app-1"]  # OpenShift's ignoreNamespaceSelectors
