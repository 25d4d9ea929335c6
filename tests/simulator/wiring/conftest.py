"""One simulator with the data plane and the Quay Operator (through OLM) per session; each test deploys its
registry in its own namespace and reaches it the way an administrator does: routes, the API, the resolve map."""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import oras.client
import pytest
import requests

from quayops.kube.client import Cluster
from quayops.kube.resolve import route_session
from quayops.model.quayregistry import API_VERSION, KIND
from simulator.server import Simulator, start_simulator

OPERATOR = "3.7.14"
NAME = "example-registry"
# The guide's automation preset (3.1): the first user is created through the API.
MINIMAL_CONFIG = {"FEATURE_USER_INITIALIZE": True, "BROWSER_API_CALLS_XHR_ONLY": False,
                  "SUPER_USERS": ["quayadmin"], "FEATURE_USER_CREATION": False}
_counter = itertools.count()


def _wait_until(check: Callable[[], Any], *, timeout: float = 60, what: str) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    return _wait_until


@pytest.fixture(scope="session")
def plane() -> Iterator[Simulator]:
    with start_simulator(data_plane=True, run_controllers=True, with_operator=OPERATOR) as sim:
        yield sim


@pytest.fixture(scope="session")
def cluster(plane: Simulator) -> Cluster:
    return Cluster(plane.api_client())


@dataclass
class Deployed:
    """A QuayRegistry the operator rolled out; `session` reaches its routes through the kubeconfig's map."""

    admin: ClassVar[str] = "quayadmin"
    admin_password: ClassVar[str] = "quaypass123"
    sim: Simulator
    cluster: Cluster
    namespace: str
    name: str
    token: str = ""

    @cached_property
    def session(self) -> requests.Session:
        return route_session(kubeconfig=self.sim.kubeconfig_path)

    def registry(self) -> dict[str, Any]:
        return self.cluster.get(API_VERSION, KIND, self.name, namespace=self.namespace)

    @property
    def endpoint(self) -> str:
        return self.registry()["status"]["registryEndpoint"]

    @property
    def host(self) -> str:
        return self.endpoint.removeprefix("https://")

    def secret(self, name: str) -> dict[str, str]:
        data = self.cluster.get("v1", "Secret", name, namespace=self.namespace).get("data") or {}
        return {k: base64.b64decode(v).decode() for k, v in data.items()}

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.session.request(method, self.endpoint + path, headers=headers, timeout=30, **kwargs)

    def initialize(self) -> dict[str, Any]:
        response = self.api("POST", "/api/v1/user/initialize", json={
            "username": self.admin, "password": self.admin_password, "email": "quayadmin@example.com",
            "access_token": True})
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        return response.json()

    def oras(self, *, push_to: str | None = None) -> oras.client.OrasClient:
        """oras over the route with basic credentials; `push_to` primes a push-scoped token (see the
        dataplane tests: oras-py re-sends one token, so the first challenge must be a push one)."""
        client = oras.client.OrasClient(hostname=self.host)
        client.session.mount("https://", self.session.get_adapter("https://"))
        client.auth.set_basic_auth(self.admin, self.admin_password)
        if push_to:
            response = client.do_request(f"{self.endpoint}/v2/{push_to}/blobs/uploads/unknown", "GET")
            assert response.status_code == 404, response.text
        return client


@pytest.fixture
def deploy(plane: Simulator, cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[Callable[..., Deployed]]:
    """Deploy a registry (config bundle + QuayRegistry) in a fresh namespace and wait for Available=True; the
    namespace goes afterwards, so the cluster has room for the next test's pods."""
    namespaces: list[str] = []

    def make(config: dict[str, Any] | None = None, *, files: dict[str, bytes] | None = None,
             components: list[dict[str, Any]] | None = None, verify: bool | str = True) -> Deployed:
        import yaml

        ns = f"w{next(_counter)}-{request.node.name[5:25].lower().replace('_', '-')}".strip("-")  # DNS labels: 63
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        namespaces.append(ns)
        bundle = {"config.yaml": yaml.safe_dump({**MINIMAL_CONFIG, **(config or {})}).encode(), **(files or {})}
        cluster.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "config-bundle", "namespace": ns},
                        "data": {k: base64.b64encode(v).decode() for k, v in bundle.items()}})
        spec: dict[str, Any] = {"configBundleSecret": "config-bundle"}
        if components:
            spec["components"] = components
        cluster.create({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": NAME, "namespace": ns},
                        "spec": spec})
        deployed = Deployed(plane, cluster, ns, NAME)

        def available() -> bool:
            conditions = (deployed.registry().get("status") or {}).get("conditions") or []
            return any(c["type"] == "Available" and c["status"] == "True" for c in conditions)

        _wait_until(available, timeout=120, what=f"QuayRegistry {ns}/{NAME} Available")
        _wait_until(lambda: deployed.session.get(f"{deployed.endpoint}/health/instance", timeout=10,
                                                 verify=verify).status_code == 200,
                    timeout=60, what="the Quay app behind the route")
        return deployed

    yield make
    for ns in namespaces:
        cluster.delete(API_VERSION, KIND, NAME, namespace=ns)
        cluster.delete("v1", "Namespace", ns)
