"""The wiring tests' stack (simulator, data plane, Quay Operator) and one registry shared by this package's
tests: deployed once, initialized, with an organization and a repository so the database has rows to dump."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from quayops.model.quayregistry import API_VERSION, KIND
from simulator.server import Simulator
from tests.simulator.conftest import KUBECTL
from tests.simulator.wiring.conftest import (
    MINIMAL_CONFIG,
    NAME,
    Deployed,
    _wait_until,
    cluster,
    plane,
    wait_until,
)

__all__ = ["cluster", "plane", "wait_until"]  # the wiring tests' fixtures: one stack per package that uses them
NAMESPACE = "exec-registry"


@pytest.fixture(scope="package")
def registry(plane: Simulator, cluster) -> Iterator[Deployed]:
    cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    config = base64.b64encode(yaml.safe_dump(MINIMAL_CONFIG).encode()).decode()
    cluster.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "config-bundle", "namespace": NAMESPACE},
                    "data": {"config.yaml": config}})
    cluster.create({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": NAME, "namespace": NAMESPACE},
                    "spec": {"configBundleSecret": "config-bundle"}})
    r = Deployed(plane, cluster, NAMESPACE, NAME)

    def available() -> bool:
        conditions = (r.registry().get("status") or {}).get("conditions") or []
        return any(c["type"] == "Available" and c["status"] == "True" for c in conditions)

    _wait_until(available, timeout=120, what=f"QuayRegistry {NAMESPACE}/{NAME} Available")
    _wait_until(lambda: r.session.get(f"{r.endpoint}/health/instance", timeout=10).status_code == 200,
                timeout=60, what="the Quay app behind the route")
    r.initialize()
    assert r.api("POST", "/api/v1/organization/", json={"name": "acme", "email": "acme@example.com"}).ok
    assert r.api("POST", "/api/v1/repository", json={"namespace": "acme", "repository": "app",
                                                     "visibility": "private", "description": "d"}).ok
    yield r
    cluster.delete(API_VERSION, KIND, NAME, namespace=NAMESPACE)
    cluster.delete("v1", "Namespace", NAMESPACE)


def pod_of(r: Deployed, component: str, namespace: str | None = None) -> str:
    """The name of the running pod labelled `quay-component: <component>` (or another selector)."""
    selector = component if "=" in component else f"quay-component={component}"
    pods = r.cluster.list("v1", "Pod", namespace=namespace or r.namespace, label_selector=selector)["items"]
    return next(p["metadata"]["name"] for p in pods if (p.get("status") or {}).get("phase") == "Running")


@pytest.fixture
def kubectl(plane: Simulator, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """The bundled kubectl against the session stack; bytes in and out (dumps are binary-safe)."""
    env = {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(plane.kubeconfig_path)}

    def run(*args: str, input: bytes | None = None, stdout=None, timeout: float = 60):
        return subprocess.run([str(KUBECTL), *args], env=env, input=input, timeout=timeout, check=False,
                              stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE)

    run.env = env  # type: ignore[attr-defined]
    return run
