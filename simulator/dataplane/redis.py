"""A real Redis on 127.0.0.1 from Debian's redis-server, when the machine has it (optional, stack-notes §6)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Self

from simulator.dataplane.processes import (
    LOOPBACK,
    check_port_free,
    find_executable,
    pick_ports,
    register_stop,
    tail,
    terminate,
    unregister_stop,
    wait_for_port,
)

COMPONENT = "redis"


class RedisServer:
    """redis-server without persistence; `password` goes into a 0600 config file, never on the command line."""

    def __init__(self, *, port: int = 0, password: str | None = None, data_dir: str | Path | None = None) -> None:
        self._requested_port = port
        self.password = password
        self._keep = data_dir is not None
        self._root = Path(data_dir) if data_dir is not None else None
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        """Whether redis-server is installed; callers skip Redis cleanly when it is not."""
        return shutil.which("redis-server") is not None

    @property
    def host(self) -> str:
        return LOOPBACK

    def start(self) -> Self:
        binary = find_executable("redis-server", [Path(p) for p in [shutil.which("redis-server")] if p],
                                 component=COMPONENT, hint="Install the Debian package redis-server")
        port = self._requested_port or pick_ports(1)[0]
        check_port_free(port, component=COMPONENT)
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="quayops-redis-"))
        self._root.mkdir(parents=True, exist_ok=True)
        conf = self._root / "redis.conf"
        lines = [f"bind {LOOPBACK}", f"port {port}", f"dir {self._root}", 'save ""', "appendonly no",
                 "protected-mode yes", "daemonize no", f"logfile {self._root / 'redis.log'}"]
        if self.password:
            lines.append(f"requirepass {self.password}")
        conf.write_text("\n".join(lines) + "\n")
        conf.chmod(0o600)
        self._proc = subprocess.Popen([str(binary), str(conf)], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self._root,
                                      start_new_session=True)
        register_stop(self.stop)
        try:
            wait_for_port(port, component=COMPONENT, timeout=10,
                          alive=lambda: self._proc is not None and self._proc.poll() is None,
                          log=lambda: tail(self._root / "redis.log"))
        except BaseException:
            self.stop()
            raise
        self.port = port
        return self

    def stop(self) -> None:
        unregister_stop(self.stop)
        if self._proc is not None:
            terminate(self._proc, grace=10)
            self._proc = None
        self.port = 0
        if self._root is not None and not self._keep:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
