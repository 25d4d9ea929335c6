"""One simulator per test session; tests isolate themselves by namespace."""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, dynamic

from simulator.server import Simulator, start_simulator

KUBECTL = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kubectl"
_counter = itertools.count()


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    with start_simulator(seed=7) as running:
        yield running


@pytest.fixture(scope="session")
def api(sim: Simulator) -> client.ApiClient:
    return sim.api_client()


@pytest.fixture
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def apps(api: client.ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api)


@pytest.fixture
def ns(core: client.CoreV1Api, request: pytest.FixtureRequest) -> str:
    """A fresh namespace for this test."""
    name = f"t{next(_counter)}-{request.node.name[:40].lower().replace('_', '-').strip('-')}".rstrip("-")
    name = "".join(ch for ch in name if ch.isalnum() or ch == "-")[:60].rstrip("-")
    core.create_namespace({"metadata": {"name": name}})
    return name


@pytest.fixture
def dyn(api: client.ApiClient, tmp_path: Path) -> dynamic.DynamicClient:
    # the discovery cache is keyed by host; a per-test file keeps CRDs created by other tests out
    return dynamic.DynamicClient(api, cache_file=str(tmp_path / "discovery.json"))


@pytest.fixture
def kubectl(sim: Simulator, tmp_path: Path):
    """Run the bundled kubectl against the simulator; returns the CompletedProcess."""
    env = {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(sim.kubeconfig_path)}

    def run(*args: str, input: str | None = None, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(KUBECTL), "--cache-dir", str(tmp_path / "cache"), *args], env=env,
                                input=input, capture_output=True, text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    run.env = env  # type: ignore[attr-defined]
    run.cmd = [str(KUBECTL), "--cache-dir", str(tmp_path / "cache")]  # type: ignore[attr-defined]
    return run


@pytest.fixture
def manifests():
    """Builders for the manifests tests share: `manifests.deployment(...)`, `.pod(...)`, `.owner_ref(...)`."""
    class Manifests:
        pass

    m = Manifests()
    m.deployment, m.pod, m.owner_ref = deployment, pod, owner_ref  # type: ignore[attr-defined]
    return m


def deployment(name: str, *, replicas: int = 1, image: str = "nginx:1.25", labels: dict | None = None) -> dict:
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "app", "image": image,
                                                       "ports": [{"containerPort": 8080}],
                                                       "env": [{"name": "MODE", "value": "a"}]}]}}},
    }


def pod(name: str, *, labels: dict | None = None, owner: dict | None = None, phase: str | None = None) -> dict:
    meta: dict = {"name": name, "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [owner]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}


def owner_ref(obj: dict, *, block: bool = True) -> dict:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": block}
