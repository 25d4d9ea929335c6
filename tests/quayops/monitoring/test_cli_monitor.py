"""`quayops metrics` and `quayops alerts`: one library call each (patched), and real runs against the simulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pandas as pd
from click.testing import CliRunner

from quayops.cli import main
from quayops.monitoring.alerts import frame_alerts
from quayops.monitoring.dashboard import SUMMARY_COLUMNS

QUAYOPS = str(Path(sys.executable).parent / "quayops")
FIGURES = pd.DataFrame([["organizations", "Organizations", "organizations", 4.0, 4.0, 4.0, 4.0, "none"]],
                       columns=SUMMARY_COLUMNS)


def test_metrics_is_one_library_call():
    with mock.patch("quayops.monitoring.reports.read_metrics", return_value=FIGURES) as call:
        result = CliRunner().invoke(main, ["metrics", "reg", "-n", "ns", "--window", "30m", "--prometheus",
                                           "http://prom:9090", "-o", "json"])
    assert result.exit_code == 0, result.output
    call.assert_called_once_with("reg", namespace="ns", window="30m", prometheus="http://prom:9090", context=None)
    assert json.loads(result.output)["figures"][0]["last"] == 4.0


def test_alerts_is_one_library_call_and_exits_1_when_firing():
    firing = frame_alerts([{"labels": {"alertname": "QuayPodFrequentlyRestarting", "namespace": "ns"},
                            "state": "firing", "activeAt": "2026-01-01T00:00:00Z", "value": "6"}])
    with mock.patch("quayops.monitoring.reports.read_alerts", return_value=firing) as call:
        result = CliRunner().invoke(main, ["alerts", "-n", "ns"])
    call.assert_called_once_with(namespace="ns", prometheus=None, context=None)
    assert result.exit_code == 1 and "QuayPodFrequentlyRestarting: A Quay pod restarted" in result.output


def test_real_runs_against_the_simulators_prometheus(monitored, cluster, namespace, prom, deploy_quay_app):
    from quayops.monitoring.enable import enable_single_namespace_monitoring

    deploy_quay_app(cluster, "cli", namespace)
    enable_single_namespace_monitoring(cluster, "cli", namespace=namespace, prometheus=prom, timeout=30)
    metrics = subprocess.run([QUAYOPS, "metrics", "cli", "-n", namespace, "--window", "5m", "--prometheus", prom.url],
                             capture_output=True, text=True, timeout=60, check=False)
    assert metrics.returncode == 0, metrics.stderr
    assert f"Quay dashboard for {namespace}/cli, last 5m" in metrics.stdout
    assert [line.split()[:3] for line in metrics.stdout.splitlines() if line.strip().startswith("Organizations")] \
        == [["Organizations", "organizations", "4"]]
    quiet = subprocess.run([QUAYOPS, "alerts", "-n", namespace, "--prometheus", prom.url], capture_output=True,
                           text=True, timeout=60, check=False)
    assert (quiet.returncode, quiet.stdout.strip()) == (0, f"no alerts firing or pending in {namespace}")
    down = subprocess.run([QUAYOPS, "alerts", "--prometheus", "http://127.0.0.1:9"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert down.returncode == 2 and "cannot reach Prometheus at http://127.0.0.1:9" in down.stderr
