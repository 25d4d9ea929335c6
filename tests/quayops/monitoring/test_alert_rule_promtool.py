"""QuayPodFrequentlyRestarting as the operator renders it, unit-tested by `promtool test rules` on synthetic series."""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest

from quayops.config.bundle import Bundle
from quayops.model.quayregistry import minimal_registry
from quayops.operator.defaults import ensure_default_components
from quayops.operator.platform import OperatorEnv, Platform
from quayops.operator.rendering import render_registry
from quayops.operator.rendering.keys import ManagedKeys

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian prometheus) missing")
POD = {"namespace": "quay-enterprise", "pod": "example-registry-quay-app-5d8f7c9b6-x2x7q", "container": "quay-app",
       "job": "kube-state-metrics"}
SERIES = 'kube_pod_container_status_restarts_total{{namespace="quay-enterprise",pod="{pod}",container="quay-app",' \
         'job="kube-state-metrics"}}'
ALERT = {"alertname": "QuayPodFrequentlyRestarting", "severity": "warning", **POD}


def rendered_rule_groups() -> list[dict]:
    components = ensure_default_components([], platform=Platform(), bundle_has_tls_pair=False)
    rendered = render_registry(minimal_registry(), Bundle({}), components, platform=Platform(),
                               operator=OperatorEnv(), keys=ManagedKeys(), random=random.Random(0), upgrading=False)
    rule = next(o for o in rendered.objects if o["kind"] == "PrometheusRule")
    return rule["spec"]["groups"]


def promtool(tmp_path, tests: list[dict]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "rules.json").write_text(json.dumps({"groups": rendered_rule_groups()}))
    (tmp_path / "test.json").write_text(json.dumps({"rule_files": ["rules.json"], "evaluation_interval": "1m",
                                                    "tests": tests}))
    return subprocess.run(["promtool", "test", "rules", "test.json"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)


def alerts_state(state: str, at: str) -> dict:
    return {"expr": f'ALERTS{{alertname="QuayPodFrequentlyRestarting",alertstate="{state}"}}', "eval_time": at,
            "exp_samples": [{"labels": "ALERTS{" + ",".join(f'{k}="{v}"' for k, v in sorted(
                {**ALERT, "alertstate": state}.items())) + "}", "value": 1}]}


def test_rule_goes_pending_then_fires_after_ten_minutes(tmp_path):
    # one restart a minute: increase over [1h] passes 5 between the 5th and 7th minute
    series = [{"series": SERIES.format(pod=POD["pod"]), "values": "0+1x90"}]
    result = promtool(tmp_path, [{
        "interval": "1m", "input_series": series,
        "promql_expr_test": [alerts_state("pending", "8m")],
        "alert_rule_test": [
            {"eval_time": "8m", "alertname": "QuayPodFrequentlyRestarting", "exp_alerts": []},
            {"eval_time": "20m", "alertname": "QuayPodFrequentlyRestarting", "exp_alerts": [{
                "exp_labels": ALERT,
                "exp_annotations": {"summary": "Quay pod restarting too often",
                                    "description": f"Pod {POD['pod']} restarted more than 5 times in the last hour."},
            }]},
        ],
    }])
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_stays_quiet_below_five_restarts_an_hour(tmp_path):
    # four restarts in the first hour, then none
    series = [{"series": SERIES.format(pod=POD["pod"]), "values": "0 1 2 3 4 4x100"}]
    result = promtool(tmp_path, [{
        "interval": "10m", "input_series": series,
        "alert_rule_test": [{"eval_time": t, "alertname": "QuayPodFrequentlyRestarting", "exp_alerts": []}
                            for t in ("40m", "60m", "90m")],
    }])
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_ignores_pods_that_are_not_quay_app(tmp_path):
    series = [{"series": SERIES.format(pod="example-registry-clair-app-7c9d8-abcde"), "values": "0+1x90"}]
    result = promtool(tmp_path, [{
        "interval": "1m", "input_series": series,
        "alert_rule_test": [{"eval_time": "30m", "alertname": "QuayPodFrequentlyRestarting", "exp_alerts": []}],
    }])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_reports_a_wrong_expectation(tmp_path):
    """The harness can fail: expecting the alert to fire while it is still pending is reported."""
    series = [{"series": SERIES.format(pod=POD["pod"]), "values": "0+1x90"}]
    result = promtool(tmp_path, [{
        "interval": "1m", "input_series": series,
        "alert_rule_test": [{"eval_time": "8m", "alertname": "QuayPodFrequentlyRestarting",
                             "exp_alerts": [{"exp_labels": ALERT}]}],
    }])
    assert result.returncode == 1 and "QuayPodFrequentlyRestarting" in result.stdout + result.stderr
