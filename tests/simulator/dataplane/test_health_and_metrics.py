"""/health/instance checks the real database and bucket; metrics on their own port carry Quay's names."""

from __future__ import annotations

import requests

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
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert [samples[f"quay_{kind}_rows"] for kind in ("user", "org", "robot", "repository")] == [
        "1.0", "1.0", "1.0", "1.0"]
    for name in METRICS:
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    assert 'quay_request_duration_seconds_count{method="POST",route="api.user_initialize",status="200"} 1.0' in text
    assert 'quay_authentication_attempts_total{auth_kind="oauth",success="True"}' in text
    assert requests.get(r.app.url + "/metrics", timeout=10).status_code == 404
