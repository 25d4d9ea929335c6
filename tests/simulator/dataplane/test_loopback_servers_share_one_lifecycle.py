"""Every real server is a LoopbackServer: a start that fails midway stops its process and removes its temp dir."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from simulator.dataplane.errors import ServerStartError
from simulator.dataplane.objectstore import SeaweedServer
from simulator.dataplane.postgres import PostgresServer
from simulator.dataplane.processes import LoopbackServer
from simulator.dataplane.prometheus import PrometheusServer
from simulator.dataplane.redis import RedisServer


class _FailsAfterSpawning(LoopbackServer):
    temp_prefix = "quayops-test-"
    forgotten = False
    pid = 0

    def _start(self) -> None:
        self.pid = self._spawn([shutil.which("sleep") or "/bin/sleep", "60"], log=self._make_root() / "out.log").pid
        raise ServerStartError("not listening", component="test")

    def _forget(self) -> None:
        self.forgotten = True


@pytest.mark.parametrize("server", [PostgresServer, SeaweedServer, RedisServer, PrometheusServer])
def test_real_servers_are_loopback_servers(server):
    assert issubclass(server, LoopbackServer)


def test_failed_start_ends_the_process_and_removes_the_temp_dir(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    server = _FailsAfterSpawning()
    with pytest.raises(ServerStartError, match="not listening"):
        server.start()
    assert list(tmp_path.iterdir()) == []
    assert server._proc is None and server._root is None and server.forgotten
    assert not Path(f"/proc/{server.pid}").exists()


def test_kept_data_dir_survives_stop(tmp_path: Path):
    server = _FailsAfterSpawning(data_dir=tmp_path / "kept")
    with pytest.raises(ServerStartError):
        server.start()
    assert (tmp_path / "kept" / "out.log").exists() and os.listdir(tmp_path / "kept") == ["out.log"]
