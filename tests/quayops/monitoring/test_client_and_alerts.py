"""Finding and reaching Prometheus (URL, thanos-querier Route with QUAYOPS_RESOLVE, clear failures), alerts with
their runbooks, and the health summary joining them with the registry's components."""

from __future__ import annotations

import socket
import time

import pandas as pd
import pytest

from quayops.kube.resolve import parse_resolve
from quayops.monitoring import alerts as alerts_module
from quayops.monitoring.client import PrometheusError, connect, parse_window

RESTARTING = {"labels": {"alertname": "QuayPodFrequentlyRestarting", "severity": "warning", "namespace": "q",
                         "pod": "r-quay-app-1-abc"}, "annotations": {"description": "Pod r-quay-app-1-abc restarted"},
              "state": "firing", "activeAt": "2026-01-01T10:00:00.5Z", "value": "7e+00"}
OTHER = {"labels": {"alertname": "Watchdog", "namespace": "q"}, "state": "pending",
         "activeAt": "2026-01-01T09:00:00Z", "value": "1"}


def test_windows_and_resolve_entries_are_checked():
    assert parse_window("90s").total_seconds() == 90 and parse_window("2h").total_seconds() == 7200
    with pytest.raises(ValueError, match="window '1 hour'"):
        parse_window("1 hour")
    assert parse_resolve("a.example:443:127.0.0.1, b.example:80:127.0.0.1:9090") == {
        ("a.example", 443): ("127.0.0.1", 443), ("b.example", 80): ("127.0.0.1", 9090)}
    with pytest.raises(ValueError, match="QUAYOPS_RESOLVE entry 'a.example:443'"):
        parse_resolve("a.example:443")


def test_unreachable_prometheus_fails_fast_naming_the_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    started = time.monotonic()
    with pytest.raises(PrometheusError, match=f"cannot reach Prometheus at {url}") as caught:
        connect(url).query("up")
    assert time.monotonic() - started < 5 and "--prometheus" in str(caught.value)


def test_route_discovery_with_a_resolve_map(monitored, cluster):
    _, monitoring = monitored
    client = connect(cluster=cluster, resolve=monitoring.resolve)
    assert client.url == "http://thanos-querier-openshift-monitoring.apps.sim.example.com"
    assert client.query("vector(1)")[0]["value"][1] == "1"  # answered by the simulator's Prometheus
    with pytest.raises(PrometheusError, match="cannot reach Prometheus at http://thanos-querier"):
        connect(cluster=cluster, resolve="").query("up")


def test_alert_rows_firing_first_with_runbook():
    frame = alerts_module.frame_alerts([OTHER, RESTARTING, {**OTHER, "state": "inactive"}])
    assert frame[["alertname", "state", "pod", "value"]].values.tolist() == [
        ["QuayPodFrequentlyRestarting", "firing", "r-quay-app-1-abc", 7.0], ["Watchdog", "pending", "", 1.0]]
    assert frame["active_since"][0] == pd.Timestamp("2026-01-01T10:00:00.5Z")
    assert frame["runbook"][0].startswith("A Quay pod restarted more than 5 times")
    assert alerts_module.frame_alerts([RESTARTING], namespace="other").empty


def test_health_ties_alerts_to_components():
    components = pd.DataFrame([{"component": "quay", "ready": True}, {"component": "clair", "ready": True}])
    health = alerts_module.join_health("r", components, alerts_module.frame_alerts([RESTARTING, OTHER]),
                                       available=True)
    assert health.verdict == "alerting"
    assert health.components["alerts"].tolist() == ["QuayPodFrequentlyRestarting (firing)", ""]
    assert health.other_alerts["alertname"].tolist() == ["Watchdog"]
    quiet = alerts_module.join_health("r", components, alerts_module.frame_alerts([]), available=True)
    assert (quiet.verdict, quiet.components["alerts"].tolist()) == ("healthy", ["", ""])


def test_firing_and_pending_alerts_from_prometheus(cluster, namespace, prom, monitored):
    expr = f'label_replace(vector(1), "namespace", "{namespace}", "", "")'
    cluster.patch("v1", "Namespace", namespace, {"metadata": {"labels": {"openshift.io/cluster-monitoring": "true"}}})
    cluster.create({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
                    "metadata": {"name": "probe", "namespace": namespace},
                    "spec": {"groups": [{"name": "probe", "rules": [
                        {"alert": "ProbeNow", "expr": expr, "labels": {"severity": "info"}},
                        {"alert": "ProbeLater", "expr": expr, "for": "1h"}]}]}})
    deadline = time.monotonic() + 20
    while len(frame := alerts_module.active_alerts(prom, namespace=namespace)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert frame[["alertname", "state"]].values.tolist() == [["ProbeNow", "firing"], ["ProbeLater", "pending"]]
