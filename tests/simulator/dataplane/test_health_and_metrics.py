"""/health/instance checks the real database and bucket; metrics on their own port carry Quay's names and the
grouping key (host, process_name, pid) its processes push with."""

from __future__ import annotations

import socket

import requests
from prometheus_client.parser import text_string_to_metric_families

METRICS = ("quay_org_rows", "quay_repository_rows", "quay_user_rows", "quay_robot_rows",
           "quay_registry_image_pulls_total", "quay_registry_image_pushes_total", "quay_request_duration_seconds",
           "quay_authentication_attempts_total", "process_cpu_seconds_total", "process_resident_memory_bytes")


def test_health_instance_reports_database_and_storage(registry):
    body = requests.get(registry.app.url + "/health/instance", timeout=10).json()
    assert body["status_code"] == 200
    assert body["data"]["services"]["database"] is True and body["data"]["services"]["storage"] is True


def test_metrics_port_serves_quay_names_with_real_row_counts(admin_registry):
    r = admin_registry
    r.api("PUT", "/api/v1/organization/acme/robots/builder")
    assert r.app.metrics_port != r.app.port
    text = requests.get(r.app.metrics_url, timeout=10).text
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    rows = {s.name: s for s in samples if s.name.endswith("_rows")}
    assert [rows[f"quay_{kind}_rows"].value for kind in ("user", "org", "robot", "repository")] == [1.0] * 4
    for name in METRICS:
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    key = {"host": socket.gethostname(), "pid": str(next(iter(rows.values())).labels["pid"])}
    assert all(s.labels == {**key, "process_name": "globalpromstats.py"} for s in rows.values())
    app = {**key, "process_name": "registry:application"}
    assert [s.value for s in samples if s.name == "quay_request_duration_seconds_count" and s.labels == {
        "method": "POST", "route": "api.user_initialize", "status": "200", **app}] == [1.0]
    assert [s for s in samples if s.name == "quay_authentication_attempts_total"
            and s.labels == {"auth_kind": "oauth", "success": "True", **app}]
    assert [s for s in samples if s.name == "process_resident_memory_bytes" and s.labels == app]
    assert requests.get(r.app.url + "/metrics", timeout=10).status_code == 404
