"""`/_simulator/faults`: add, list and clear over HTTPS with the API token; errors come back as Status."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.simulator.controllers.conftest import Cluster


@pytest.fixture
def http(cluster: Cluster, tmp_path: Path):
    ca = tmp_path / "ca.crt"
    ca.write_bytes(cluster.sim.ca_pem)

    def call(method: str, path: str = "/_simulator/faults", *, token: str | None = None, **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or cluster.sim.token}"}
        return requests.request(method, cluster.sim.url + path, headers=headers, verify=str(ca), timeout=10, **kw)

    return call


def test_add_list_and_clear(cluster: Cluster, http):
    added = http("POST", json={"kind": "pvc-pending", "target": "ns/claim", "for": "90s"})
    assert added.status_code == 201
    fault = added.json()
    assert (fault["kind"], fault["target"], fault["expiresInSeconds"]) == ("pvc-pending", "ns/claim", 90.0)
    assert fault["until"] == cluster.clock.now() + 90
    assert [f["id"] for f in http("GET").json()["items"]] == [fault["id"]]
    cleared = http("DELETE", f"/_simulator/faults/{fault['id']}")
    assert cleared.status_code == 200 and [f["id"] for f in cleared.json()["items"]] == [fault["id"]]
    assert http("GET").json()["items"] == []


def test_errors_are_status_objects(cluster: Cluster, http):
    assert http("GET", token="wrong").status_code == 401
    unknown = http("DELETE", "/_simulator/faults/crash-loop-999")
    assert (unknown.status_code, unknown.json()["reason"]) == (404, "NotFound")
    bad = http("POST", json={"kind": "pvc-pending", "target": "just-a-name"})
    assert (bad.status_code, bad.json()["message"]) == (
        400, "fault pvc-pending: target must be namespace/name, got 'just-a-name'")
    assert http("POST", json={"target": "x"}).status_code == 400
    no_plane = http("POST", json={"kind": "s3-errors", "target": "*"})
    assert no_plane.status_code == 400 and "--data-plane" in no_plane.json()["message"]


def test_reset_forgets_faults(cluster: Cluster, http):
    cluster.sim.faults.add("api-errors", "namespaces", code=500, verb="get", name="no-such-namespace")
    assert http("POST", "/_simulator/reset").status_code == 200
    assert cluster.sim.faults.list() == []
