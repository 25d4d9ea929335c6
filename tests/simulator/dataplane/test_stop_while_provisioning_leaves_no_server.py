"""Stopping the data plane (or the interpreter) while servers start leaves no process and no temp dir: no server
starts once stop began, a start in progress is waited for and stopped, and a failing step stops nothing less."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from quayops.operator.rendering.registry import REGISTRY_LABEL
from simulator.dataplane import processes
from simulator.dataplane.errors import ServerStartError
from simulator.dataplane.postgres import PostgresServer
from simulator.dataplane.processes import LoopbackServer
from simulator.dataplane.quayapps import QuayApps
from simulator.dataplane.registries import MANAGED_KEYS
from simulator.dataplane.wiring import DataPlane
from simulator.server import start_simulator

REGISTRIES = 3


def _start_time(pid: int) -> str | None:
    """Field 22 of /proc/<pid>/stat (start time): with the pid, it names one process; None when gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


class _Provisioning:
    """Wraps PostgresServer._start: holds the first registry's start until DataPlane.stop begins, and records
    every start (whether stop had begun) with the PIDs the server recorded."""

    def __init__(self) -> None:
        self.armed = False
        self.begun = threading.Event()  # a registry's database server is starting
        self.stopping = threading.Event()  # DataPlane.stop was entered
        self.entered: list[bool] = []  # per registry start: had stop begun?
        self.pids: dict[int, str] = {}  # pid → start time, for every process a started server recorded
        self.running = 0
        self._lock = threading.Lock()

    def wrap_start(self, real: Callable[[PostgresServer], None]) -> Callable[[PostgresServer], None]:
        def start(server: PostgresServer) -> None:
            if not self.armed:
                return real(server)
            with self._lock:
                self.entered.append(self.stopping.is_set())
                self.running += 1
                first = len(self.entered) == 1
            try:
                if first:
                    self.begun.set()
                    self.stopping.wait(30)  # provisioning is still under way when stop begins
                real(server)
                self._record(server)
            finally:
                with self._lock:
                    self.running -= 1
        return start

    def wrap_stop(self, real: Callable[[DataPlane], None]) -> Callable[[DataPlane], None]:
        def stop(plane: DataPlane) -> None:
            self.stopping.set()
            real(plane)
        return stop

    def _record(self, server: PostgresServer) -> None:
        for pid in (server._proc.pid if server._proc else None, server._postmaster_pid()):
            if pid is not None and (started := _start_time(pid)) is not None:
                self.pids[pid] = started

    def wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            time.sleep(0.05)

    def alive(self) -> list[int]:
        return sorted(pid for pid, started in self.pids.items() if _start_time(pid) == started)


def _registry_database(sim: Any, namespace: str) -> None:
    """What the operator renders for a managed database: the managed-keys Secret with DB_URI and the Deployment."""
    labels = {REGISTRY_LABEL: "registry"}
    store = sim.store
    store.create(store.kind("v1", "Namespace"), {"metadata": {"name": namespace}})
    uri = f"postgresql://quay:pw-{namespace}@registry-quay-database:5432/quay"
    store.create(store.kind("v1", "Secret"), {
        "metadata": {"name": f"registry-{MANAGED_KEYS}", "namespace": namespace, "labels": labels},
        "data": {"DB_URI": base64.b64encode(uri.encode()).decode()}}, namespace=namespace)
    store.create(store.kind("apps/v1", "Deployment"), {
        "metadata": {"name": "registry-quay-database", "namespace": namespace, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "db"}}, "template": {
            "metadata": {"labels": {"app": "db"}},
            "spec": {"containers": [{"name": "postgres", "image": "postgres"}]}}}}, namespace=namespace)


@pytest.fixture
def run_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This run's temp dir (every `quayops-*` dir the run makes lands there); traversable by the postgres user."""
    root = Path(tempfile.mkdtemp(prefix="quayops-stoptest-"))
    root.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def provisioning(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Provisioning]:
    spy = _Provisioning()
    monkeypatch.setattr(PostgresServer, "_start", spy.wrap_start(PostgresServer._start))
    monkeypatch.setattr(DataPlane, "stop", spy.wrap_stop(DataPlane.stop))
    yield spy
    spy.wait_idle(60)
    for pid in spy.alive():  # a leak would outlive the test run: end it by its recorded PID
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("failing_step", [None, "quay-apps"])
def test_stop_while_databases_are_provisioned_leaves_nothing(run_tmp, provisioning, monkeypatch, failing_step):
    if failing_step:
        def fail(_: QuayApps) -> None:
            raise RuntimeError("injected: stopping the Quay apps failed")
        monkeypatch.setattr(QuayApps, "stop", fail)
    sim = start_simulator(data_plane=True, run_controllers=True)
    provisioning.armed = True
    try:
        for i in range(REGISTRIES):
            _registry_database(sim, f"stop-{i}")
        assert provisioning.begun.wait(30), "no registry database started provisioning"
        time.sleep(0.5)  # the other registries' objects reach the controller's queue meanwhile
    finally:
        if failing_step:
            with pytest.raises(RuntimeError, match="injected"):
                sim.stop()
        else:
            sim.stop()
    provisioning.wait_idle(60)
    assert provisioning.pids and provisioning.alive() == []
    assert sorted(p.name for p in run_tmp.glob("quayops-*")) == []
    assert provisioning.entered[0] is False
    assert provisioning.entered.count(True) == 0, "a database server started after DataPlane.stop began"


class _Sleeper(LoopbackServer):
    """A server whose start waits for `release` before it spawns its process."""

    temp_prefix = "quayops-sleeper-"

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()
        self.pid = 0

    def _start(self) -> None:
        self.entered.set()
        self.release.wait(10)
        self.pid = self._spawn([shutil.which("sleep") or "/bin/sleep", "60"], log=self._make_root() / "log").pid

    def _forget(self) -> None:
        pass


def test_stop_during_a_start_waits_for_it_and_ends_what_it_launched(run_tmp):
    server = _Sleeper()
    starting = threading.Thread(target=server.start)
    starting.start()
    assert server.entered.wait(10)
    stopping = threading.Thread(target=server.stop)
    stopping.start()
    time.sleep(0.2)  # stop is called while the start is under way
    server.release.set()
    starting.join(10)
    stopping.join(10)
    assert server.pid and _start_time(server.pid) is None
    assert list(run_tmp.iterdir()) == []


def test_at_exit_every_stop_runs_and_no_server_starts_after(monkeypatch, run_tmp):
    monkeypatch.setattr(processes, "_stoppers", [])
    monkeypatch.setattr(processes, "_exiting", False, raising=False)
    stopped: list[str] = []

    def hangs() -> None:
        stopped.append("hangs")
        raise TimeoutError("pg_ctl did not stop in time")

    processes.register_stop(lambda: stopped.append("first"))
    processes.register_stop(hangs)
    processes._stop_all()
    assert stopped == ["hangs", "first"]
    server = _Sleeper()
    server.release.set()
    with pytest.raises(ServerStartError, match="exiting"):
        server.start()
    assert not server.entered.is_set() and list(run_tmp.iterdir()) == []
