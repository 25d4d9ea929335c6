"""api-errors: the next N matching API requests fail with 409/429/500/503, as kube-apiserver words them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from kubernetes.client.exceptions import ApiException

from simulator.store.errors import BadRequest
from tests.simulator.controllers.conftest import Cluster, deployment


def _scale(cluster: Cluster, ns: str, name: str, replicas: int) -> None:
    cluster.apps.patch_namespaced_deployment(name, ns, {"spec": {"replicas": replicas}})


def test_409_on_the_scale_down_patch_then_it_goes_through(cluster: Cluster):
    ns = cluster.namespace("api409")
    cluster.apps.create_namespaced_deployment(ns, deployment("quay-app"))
    fault = cluster.sim.faults.add("api-errors", "deployments", verb="patch", namespace=ns, code=409, count=2)
    cluster.apps.read_namespaced_deployment("quay-app", ns)  # other verbs pass
    for left in (1, 0):
        with pytest.raises(ApiException) as caught:
            _scale(cluster, ns, "quay-app", 0)
        body = json.loads(caught.value.body)
        assert (caught.value.status, body["reason"]) == (409, "Conflict")
        assert body["message"] == ('Operation cannot be fulfilled on deployments.apps "quay-app": the object has been '
                                   "modified; please apply your changes to the latest version and try again")
        assert [f.remaining for f in cluster.sim.faults.list()] == ([left] if left else [])
    _scale(cluster, ns, "quay-app", 0)
    assert cluster.apps.read_namespaced_deployment("quay-app", ns).spec.replicas == 0
    assert fault.id not in {f.id for f in cluster.sim.faults.list()}


def test_429_carries_retry_after_and_clients_retry_through_it(cluster: Cluster, tmp_path: Path):
    ns = cluster.namespace("api429")
    cluster.core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}})
    cluster.sim.faults.add("api-errors", "configmaps", code=429, count=1, retry_after=1, name="cfg")
    ca = tmp_path / "ca.crt"
    ca.write_bytes(cluster.sim.ca_pem)
    answer = requests.get(f"{cluster.sim.url}/api/v1/namespaces/{ns}/configmaps/cfg", verify=str(ca), timeout=10,
                          headers={"Authorization": f"Bearer {cluster.sim.token}"})
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "1")
    assert answer.json()["reason"] == "TooManyRequests"
    assert answer.json()["details"]["retryAfterSeconds"] == 1

    # urllib3 (under the kubernetes client) and client-go (kubectl) wait Retry-After and try again
    cluster.sim.faults.add("api-errors", "configmaps", code=429, count=1, retry_after=1, name="cfg")
    assert cluster.core.read_namespaced_config_map("cfg", ns).metadata.name == "cfg"
    cluster.sim.faults.add("api-errors", "configmaps", code=429, count=1, retry_after=1, name="cfg")
    shown = cluster.kubectl("get", "configmap", "cfg", "-n", ns, "-o", "name", tmp=tmp_path).stdout
    assert shown.strip() == "configmap/cfg" and cluster.sim.faults.list() == []


@pytest.mark.parametrize(("code", "reason", "message"), [
    (500, "InternalError", "Internal error occurred: fault api-errors-"),
    (503, "ServiceUnavailable", "the server is currently unable to handle the request"),
])
def test_500_and_503_until_cleared(cluster: Cluster, tmp_path: Path, code: int, reason: str, message: str):
    ns = cluster.namespace(f"api{code}")
    fault = cluster.sim.faults.add("api-errors", "secrets", code=code, namespace=ns)
    for _ in range(3):
        with pytest.raises(ApiException) as caught:
            cluster.core.list_namespaced_secret(ns)
        body = json.loads(caught.value.body)
        assert (caught.value.status, body["reason"]) == (code, reason) and body["message"].startswith(message)
    cluster.core.list_namespaced_config_map(ns)  # another resource passes
    failed = cluster.kubectl("get", "secrets", "-n", ns, tmp=tmp_path, check=False)
    assert failed.returncode == 1 and message in failed.stderr
    cluster.sim.faults.clear(fault.id)
    cluster.core.list_namespaced_secret(ns)


def test_subresource_target_and_expiry_on_the_clock(cluster: Cluster):
    ns = cluster.namespace("api-scale")
    cluster.apps.create_namespaced_deployment(ns, deployment("quay-app"))
    cluster.sim.faults.add("api-errors", "deployments/scale", code=503, for_seconds="1m")
    _scale(cluster, ns, "quay-app", 1)  # the deployment itself passes
    with pytest.raises(ApiException) as caught:
        cluster.apps.patch_namespaced_deployment_scale("quay-app", ns, {"spec": {"replicas": 0}})
    assert caught.value.status == 503
    cluster.settle(60)
    assert cluster.sim.faults.list() == []
    cluster.apps.patch_namespaced_deployment_scale("quay-app", ns, {"spec": {"replicas": 0}})


def test_bad_requests_are_refused_with_the_reason(cluster: Cluster):
    with pytest.raises(BadRequest, match=r"code: must be one of 409, 429, 500, 503, got 404"):
        cluster.sim.faults.add("api-errors", "pods", code=404)
    with pytest.raises(BadRequest, match=r"the server doesn't have a resource type 'podz'"):
        cluster.sim.faults.add("api-errors", "podz")
    with pytest.raises(BadRequest, match=r"unknown fault kind 'explode'"):
        cluster.sim.faults.add("explode", "pods")
    with pytest.raises(BadRequest, match=r"unknown parameter 'colour'"):
        cluster.sim.faults.add("api-errors", "pods", colour="red")
    assert cluster.sim.faults.list() == []
