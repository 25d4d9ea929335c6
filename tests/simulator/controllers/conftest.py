"""Simulators with a manual clock whose controllers the tests step: deterministic, no sleeps.

`cluster` is shared by the module's tests (each works in its own namespace); `make_cluster` builds
one with another profile (node sizes, infra nodes) when a test changes the cluster itself.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from simulator.clock import Clock
from simulator.profiles import ClusterProfile
from simulator.server import Simulator, start_simulator

KUBECTL = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "kubectl"
_names = itertools.count()


class Cluster:
    """A started simulator plus typed clients and the ways tests move time."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.clock = sim.clock
        self.api = sim.api_client()
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.batch = client.BatchV1Api(self.api)
        self.autoscaling = client.AutoscalingV2Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)

    def settle(self, seconds: float = 0.0) -> None:
        """Run every controller until idle, then move the clock `seconds` through whatever falls due."""
        self.sim.runner.settle(seconds)

    def until(self, predicate: Callable[[], Any], *, within: float = 120.0, tick: float = 0.25) -> Any:
        """Advance simulated time in ticks until `predicate()` is truthy; fail after `within` sim seconds."""
        waited = 0.0
        self.settle()
        while True:
            result = predicate()
            if result:
                return result
            if waited >= within:
                raise AssertionError(f"condition not met within {within} simulated seconds")
            self.settle(tick)
            waited += tick

    def namespace(self, prefix: str = "t", annotations: dict[str, str] | None = None) -> str:
        name = f"{prefix}-{next(_names)}"
        self.core.create_namespace({"metadata": {"name": name, "annotations": annotations or {}}})
        return name

    def events(self, ns: str, name: str | None = None) -> list[client.CoreV1Event]:
        items = self.core.list_namespaced_event(ns).items
        return [e for e in items if name is None or e.involved_object.name == name]

    def kubectl(self, *args: str, tmp: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(KUBECTL), *args], env=self.kubectl_env(tmp), capture_output=True, text=True,
                                timeout=60, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
        return result

    def kubectl_env(self, tmp: Path) -> dict[str, str]:
        return {**os.environ, "HOME": str(tmp), "KUBECONFIG": str(self.sim.kubeconfig_path)}


def _start(profile: ClusterProfile | None = None, **kw: Any) -> Simulator:
    return start_simulator(seed=11, clock=Clock.manual(start=1_767_225_600.0), profile=profile, **kw)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with _start() as sim:
        yield Cluster(sim)


@pytest.fixture
def make_cluster() -> Iterator[Callable[..., Cluster]]:
    started: list[Simulator] = []

    def make(profile: ClusterProfile | None = None, **kw: Any) -> Cluster:
        sim = _start(profile, **kw)
        started.append(sim)
        return Cluster(sim)

    yield make
    for sim in started:
        sim.stop()


def deployment(name: str, *, replicas: int = 2, image: str = "nginx:1.25", strategy: dict | None = None,
               requests: dict | None = None, annotations: dict | None = None) -> dict:
    labels = {"app": name}
    container: dict[str, Any] = {"name": "app", "image": image, "ports": [{"name": "http", "containerPort": 8080}]}
    if requests:
        container["resources"] = {"requests": requests}
    spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": labels},
                            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}
    if strategy:
        spec["strategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "annotations": annotations or {}}, "spec": spec}
