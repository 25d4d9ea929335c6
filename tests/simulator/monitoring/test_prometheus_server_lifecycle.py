"""PrometheusServer: loopback only, reload on change only, rejected files rolled back, clean stop, missing binary."""

from __future__ import annotations

import socket

import pytest

from simulator.dataplane import prometheus as prometheus_module
from simulator.dataplane.errors import ServerStartError
from simulator.dataplane.prometheus import ConfigRejected, PrometheusServer


def test_starts_on_loopback_with_lifecycle_prom_api(prometheus, prom_api):
    assert prometheus.url.startswith("http://127.0.0.1:")
    assert prom_api(prometheus, "/api/v1/status/flags")["web.enable-lifecycle"] == "true"
    assert prom_api(prometheus, "/api/v1/status/flags")["web.listen-address"] == f"127.0.0.1:{prometheus.port}"


def test_configure_scrapes_and_loads_rules_then_reports_no_change(prometheus, exporter, prom_api, poll):
    jobs = [{"job_name": "exporter", "static_configs": [{"targets": [exporter]}]}]
    rules = {"answers": [{"name": "answers", "rules": [{"record": "answer:doubled", "expr": "exporter_answer * 2"}]}]}
    assert prometheus.configure(jobs, rules) is True
    assert prometheus.configure(jobs, rules) is False
    sample = poll(lambda: prom_api(prometheus, "/api/v1/query", query="answer:doubled")["result"], what="recording rule")
    assert sample[0]["value"][1] == "84"
    assert [t["health"] for t in prom_api(prometheus, "/api/v1/targets")["activeTargets"]] == ["up"]


def test_rejected_rule_file_is_rolled_back(prometheus):
    good = {"g": [{"name": "g", "rules": [{"record": "one", "expr": "vector(1)"}]}]}
    prometheus.configure([], good)
    with pytest.raises(ConfigRejected, match="rejected its configuration") as caught:
        prometheus.configure([], {"g": [{"name": "g", "rules": [{"record": "one", "expr": "vector("}]}]})
    assert "unclosed left parenthesis" in str(caught.value)
    assert '"vector(1)"' in (prometheus.root / "rules" / "g.json").read_text()
    assert prometheus.configure([], good) is False  # the good files are what is on disk and loaded


def test_stop_closes_the_port_and_removes_the_temp_dir():
    server = PrometheusServer().start()
    port, root = server.port, server.root
    server.stop()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    assert not root.exists()
    server.stop()  # idempotent


def test_missing_binary_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(prometheus_module.shutil, "which", lambda name: None)
    with pytest.raises(ServerStartError, match="prometheus not found") as caught:
        PrometheusServer().start()
    assert caught.value.binary == "prometheus" and "Debian package prometheus" in str(caught.value)
