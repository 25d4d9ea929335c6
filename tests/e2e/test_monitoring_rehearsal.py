"""Issue 10's rehearsals on one simulator (data plane, the operator through OLM, the clock 120x): managed monitoring
reports the organizations, repositories and traffic sent, the dashboard notebook plots them, a crash-looping
quay-app makes `QuayPodFrequentlyRestarting` pend, fire and resolve; then the operator in one namespace leaves
Quay unscraped until the guide 8.2 runbook."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from quayops.install.olm import apply_operator_install, plan_operator_install, wait_for_operator
from quayops.kube.client import Cluster
from quayops.kube.resolve import route_session
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.monitoring import (
    RegistryTraffic,
    TrafficPlan,
    active_alerts,
    apply_repositories,
    connect,
    send_traffic,
)
from quayops.monitoring.enable import check_scraping
from quayops.runbooks import run_runbook
from simulator.clock import Clock
from simulator.server import Simulator, start_simulator

RATE = 120.0  # sim seconds per real second: the rule's [1h] becomes [30s], its `for: 10m` 5 s
NAME, ADMIN, PASSWORD = "example-registry", "quayadmin", "e2e-Monitoring-4711"
CONFIG = {"FEATURE_USER_INITIALIZE": True, "BROWSER_API_CALLS_XHR_ONLY": False, "SUPER_USERS": [ADMIN],
          "FEATURE_USER_CREATION": False}
REPOSITORIES = ("acme/app", "acme/web", "beta/api")  # N = 2 organizations, M = 3 repositories
CONTEXT = "simulator"
OLM = "operators.coreos.com/v1alpha1"


def wait_for(check: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {value!r:.2000})")
        time.sleep(interval)
    return value


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> Iterator[Simulator]:
    """The module's simulator; kernels and the CLI find it through KUBECONFIG (context `simulator`)."""
    directory = tmp_path_factory.mktemp("monitoring-sim")
    with start_simulator(data_plane=True, run_controllers=True, with_operator="3.7.14", seed=10,
                         clock=Clock.accelerated(RATE), kubeconfig=directory / "kubeconfig") as simulator, \
            pytest.MonkeyPatch.context() as mp:
        mp.setenv("KUBECONFIG", str(simulator.kubeconfig_path))
        mp.delenv("QUAYOPS_RESOLVE", raising=False)
        yield simulator


@pytest.fixture(scope="module")
def cluster(sim) -> Cluster:
    return Cluster(sim.api_client())


def deploy(cluster: Cluster, sim: Simulator, namespace: str) -> str:
    """Config bundle and QuayRegistry in `namespace`; the registry endpoint once Quay answers behind the route."""
    if cluster.find("v1", "Namespace", namespace) is None:
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    cluster.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "config-bundle", "namespace": namespace},
                    "data": {"config.yaml": base64.b64encode(yaml.safe_dump(CONFIG).encode()).decode()}})
    cluster.create({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": NAME, "namespace": namespace},
                    "spec": {"configBundleSecret": "config-bundle"}})
    session = route_session(kubeconfig=sim.kubeconfig_path)

    def serving() -> str | None:
        status = cluster.get(API_VERSION, KIND, NAME, namespace=namespace).get("status") or {}
        available = any(c["type"] == "Available" and c["status"] == "True" for c in status.get("conditions") or [])
        endpoint = status.get("registryEndpoint")
        if not (available and endpoint):
            return None
        try:
            return endpoint if session.get(f"{endpoint}/health/instance", timeout=5).status_code == 200 else None
        except OSError:
            return None

    return wait_for(serving, timeout=120, what=f"QuayRegistry {namespace}/{NAME} serving")


def first_user(sim: Simulator, endpoint: str) -> RegistryTraffic:
    session = route_session(kubeconfig=sim.kubeconfig_path)
    response = session.post(f"{endpoint}/api/v1/user/initialize", timeout=30, json={
        "username": ADMIN, "password": PASSWORD, "email": "quayadmin@example.com", "access_token": True})
    assert response.status_code == 200, response.text
    return RegistryTraffic(session, endpoint, username=ADMIN, password=PASSWORD, token=response.json()["access_token"])


def cli(*args: str) -> tuple[int, str]:
    """The real `quayops` command in its own process (it reads KUBECONFIG when it starts, as a user's shell)."""
    done = subprocess.run([sys.executable, "-m", "quayops", *args, "--context", CONTEXT], capture_output=True,
                          text=True, env=os.environ.copy(), timeout=120, check=False)
    return done.returncode, done.stdout + done.stderr


def figures(namespace: str) -> dict[str, dict]:
    """`quayops metrics -o json` as {panel: row} (first series per panel)."""
    code, out = cli("metrics", NAME, "-n", namespace, "--window", "5m", "-o", "json")
    assert code == 0, out
    rows = {}
    for row in json.loads(out)["figures"]:
        rows.setdefault(row["panel"], row)
    return rows


def outputs(notebook: str) -> tuple[str, int]:
    """The executed notebook's text outputs joined, and how many PNG images it holds."""
    text, images = [], 0
    for cell in json.loads(Path(notebook).read_text())["cells"]:
        for out in cell.get("outputs") or []:
            text.append("".join(out.get("text") or (out.get("data") or {}).get("text/plain") or ""))
            images += "image/png" in (out.get("data") or {})
    return "\n".join(text), images


def test_managed_monitoring_reports_counts_and_rates_and_the_restart_alert_pends_fires_and_resolves(
        sim, cluster, tmp_path):
    namespace = "mon-managed"
    traffic = first_user(sim, deploy(cluster, sim, namespace))
    assert {c["kind"]: c["managed"] for c in cluster.get(API_VERSION, KIND, NAME, namespace=namespace)["spec"][
        "components"]}["monitoring"] is True
    setup = apply_repositories(traffic, REPOSITORIES)
    assert list(setup["action"]) == ["created"] * 5
    load = send_traffic(traffic, TrafficPlan(repositories=REPOSITORIES, pushes=4, pulls=6, api_calls=8, logins=3,
                                             duration=6, seed=3))
    assert load["ok"].all(), load[~load["ok"]].to_string()

    # real Prometheus, through quayops: the library, then `quayops metrics`
    prometheus = connect(cluster=cluster, context=CONTEXT)
    org_rows = f'max(quay_org_rows{{namespace="{namespace}"}})'
    wait_for(lambda: [r for r in prometheus.query(f'{org_rows} == 2')], timeout=60, what="quay_org_rows == 2")
    assert float(prometheus.query(f'max(quay_repository_rows{{namespace="{namespace}"}})')[0]["value"][1]) == 3
    seen: list[dict] = []

    def with_rates() -> dict | None:
        seen.append(figures(namespace))
        return seen[-1] if seen[-1]["image_pulls"]["last"] and seen[-1]["image_pushes"]["last"] else None

    rows = wait_for(with_rates, timeout=60, what="pull and push rates in `quayops metrics`")
    assert rows, seen[-1]
    assert (rows["organizations"]["last"], rows["repositories"]["last"], rows["users"]["last"]) == (2, 3, 1)
    assert rows["image_pulls"]["last"] > 0 and rows["image_pushes"]["last"] > 0
    assert rows["authentications"]["last"] > 0 and rows["cpu"]["last"] > 0 and rows["memory"]["last"] > 0

    # the dashboard notebook through the runner: plots as PNG in the notebook and in its HTML report
    record = run_runbook("monitoring/dashboard", parameters={"namespace": namespace, "window": "5m"},
                         out_dir=tmp_path, progress=False)
    assert record.outcome == "ok", record.message
    text, images = outputs(record.notebook)
    assert images >= 1 and "2 organizations, 3 repositories, 1 users" in text
    assert "data:image/png;base64," in Path(record.html).read_text()
    assert PASSWORD not in text + Path(record.html).read_text()

    # crash-loop the quay-app pods: pending, then firing; seen by `quayops alerts` and the alerts notebook
    fault = sim.faults.add("crash-loop", f"{namespace}/{NAME}-quay-app")
    states: list[str] = []

    def firing() -> bool:
        alerts = active_alerts(prometheus, namespace=namespace)
        state = ",".join(sorted(set(alerts["state"]))) if not alerts.empty else ""
        if state and (not states or states[-1] != state):
            states.append(state)
        return state == "firing"

    wait_for(firing, timeout=90, what="QuayPodFrequentlyRestarting firing", interval=0.2)
    assert states[0] == "pending" and states[-1] == "firing", states
    code, out = cli("alerts", "-n", namespace)
    assert code == 1 and "QuayPodFrequentlyRestarting" in out and "firing" in out, out
    record = run_runbook("monitoring/alerts", parameters={"namespace": namespace}, out_dir=tmp_path, progress=False)
    assert record.outcome == "ok", record.message
    text, images = outputs(record.notebook)
    assert "QuayPodFrequentlyRestarting (firing since" in text and "runbook: A Quay pod restarted" in text
    assert "; 2 firing" in text and images == 1

    # clear the fault: the restarts stop, the alert resolves
    sim.faults.clear(fault)
    wait_for(lambda: active_alerts(prometheus, namespace=namespace).empty, timeout=120,
             what="the alert to resolve", interval=1.0)
    assert cli("alerts", "-n", namespace) == (0, f"no alerts firing or pending in {namespace}\n")


def test_single_namespace_install_is_unscraped_until_the_enablement_runbook(sim, cluster, tmp_path):
    namespace = "mon-single"
    # the operator moves from all namespaces to `namespace` alone (an OperatorGroup with targetNamespaces)
    cluster.delete(OLM, "Subscription", "quay-operator", namespace="openshift-operators")
    for csv in cluster.list(OLM, "ClusterServiceVersion", namespace="openshift-operators")["items"]:
        cluster.delete(OLM, "ClusterServiceVersion", csv["metadata"]["name"], namespace="openshift-operators")
    wait_for(lambda: not cluster.list("apps/v1", "Deployment", namespace="openshift-operators")["items"],
             timeout=60, what="the all-namespaces operator to go")
    install = plan_operator_install(channel="stable-3.7", all_namespaces=False, namespace=namespace)
    apply_operator_install(cluster, install)
    wait_for_operator(cluster, install, timeout=120, report=None)
    first_user(sim, deploy(cluster, sim, namespace))

    # monitoring unmanaged: no ServiceMonitor, nothing scraped
    assert {c["kind"]: c["managed"] for c in cluster.get(API_VERSION, KIND, NAME, namespace=namespace)["spec"][
        "components"]}["monitoring"] is False
    assert cluster.list("monitoring.coreos.com/v1", "ServiceMonitor", namespace=namespace)["items"] == []
    prometheus = connect(cluster=cluster, context=CONTEXT)
    assert check_scraping(prometheus, NAME, namespace=namespace) == (
        f"Prometheus at {prometheus.url} has no target for Service {namespace}/{NAME}-quay-metrics")
    assert prometheus.query(f'quay_user_rows{{namespace="{namespace}"}}') == []

    record = run_runbook("monitoring/enable-single-namespace-monitoring",
                         parameters={"namespace": namespace, "timeout": 60}, out_dir=tmp_path, progress=False)
    assert record.outcome == "ok", record.message
    text, _ = outputs(record.notebook)
    assert "monitoring component: unmanaged" in text and "4 of 4 objects changed; scraping works" in text

    assert check_scraping(prometheus, NAME, namespace=namespace) is None
    rows = wait_for(lambda: (f := figures(namespace)) and f["users"]["last"] and f, timeout=30,
                    what="the users panel in `quayops metrics`")
    assert rows["users"]["last"] == 1 and rows["memory"]["last"] > 0
