"""End-to-end runbook tests: simulators with the data plane, runbooks through the runner and nbval, and the
checks that the cluster was left as stated and that no secret reached an output file. All marked slow."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from quayops.kube.client import Cluster
from quayops.runbooks.scrubbing import spellings
from simulator.server import Simulator, start_simulator

CHAIN = ("install/01-preflight", "install/02-install-operator", "install/03-configure", "install/04-deploy",
         "install/05-first-user", "install/06-reconfigure")
FIRST_USER_PASSWORD = "e2e-First-user-9137"  # planted: must appear in no output
# What a runbook may create or change; "nothing was created" compares these before and after.
USER_KINDS = (("v1", "Namespace"), ("v1", "Secret"), ("v1", "ConfigMap"), ("v1", "Node"),
              ("route.openshift.io/v1", "Route"), ("quay.redhat.com/v1", "QuayRegistry"),
              ("operators.coreos.com/v1", "OperatorGroup"), ("operators.coreos.com/v1alpha1", "Subscription"),
              ("operators.coreos.com/v1alpha1", "InstallPlan"),
              ("operators.coreos.com/v1alpha1", "ClusterServiceVersion"))


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def jupyter_env(tmp_path_factory):
    """Empty user-level Jupyter dirs, so the kernelspec `python3` is the venv's whatever the user has."""
    home = tmp_path_factory.mktemp("jupyter")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PLATFORM_DIRS", "1")
        mp.setenv("JUPYTER_DATA_DIR", str(home / "data"))
        mp.setenv("JUPYTER_CONFIG_DIR", str(home / "config"))
        mp.setenv("JUPYTER_RUNTIME_DIR", str(home / "runtime"))
        mp.delenv("JUPYTER_PATH", raising=False)
        mp.delenv("QUAYOPS_NOTEBOOKS", raising=False)
        yield home


def started(directory: Path, *, seed: int, **kw) -> Simulator:
    """A simulator with the data plane and running controllers, its kubeconfig in `directory`."""
    return start_simulator(data_plane=True, run_controllers=True, seed=seed, kubeconfig=directory / "kubeconfig",
                           **kw)


@pytest.fixture(scope="module")
def chain_sim(tmp_path_factory) -> Iterator[Simulator]:
    """The simulator of one test module, kernels finding it through KUBECONFIG: the install chain runs once, in
    order, on nbval's. Module scope: two data planes in one process at once interfere (503 on a route)."""
    with started(tmp_path_factory.mktemp("chain-sim"), seed=7) as sim, pytest.MonkeyPatch.context() as mp:
        mp.setenv("KUBECONFIG", str(sim.kubeconfig_path))
        mp.setenv("QUAYOPS_PASSWORD", FIRST_USER_PASSWORD)
        mp.delenv("QUAYOPS_RESOLVE", raising=False)
        yield sim


def snapshot(cluster: Cluster) -> dict[tuple[str, str, str], str]:
    """(kind, namespace, name) → resourceVersion of every object a runbook could create or change."""
    found = {}
    for api_version, kind in USER_KINDS:
        for obj in cluster.list(api_version, kind).get("items") or []:
            meta = obj["metadata"]
            found[(kind, meta.get("namespace", ""), meta["name"])] = meta["resourceVersion"]
    return found


def leaks(directory: Path, secrets: dict[str, str]) -> list[str]:
    """`what in file` for every secret (raw, JSON, HTML or base64 spelling) found in a file under `directory`."""
    found = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{what} in {path.name}" for what, value in secrets.items()
                  if any(form in text for form in spellings([value]))]
    return found


def secret_value(cluster: Cluster, namespace: str, name: str, key: str) -> str:
    return base64.b64decode(cluster.get("v1", "Secret", name, namespace=namespace)["data"][key]).decode()


def record_of(out: Path, runbook: str) -> dict:
    return json.loads((out / f"{runbook.replace('/', '-')}.json").read_text())


@pytest.fixture
def env(monkeypatch):
    """Set environment variables for the kernels of one test."""
    def set_env(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
    return set_env

