"""A real Redis on 127.0.0.1 from Debian's redis-server, when the machine has it (optional, stack-notes §6)."""

from __future__ import annotations

import shutil
from pathlib import Path

from simulator.dataplane.processes import (
    LOOPBACK,
    LoopbackServer,
    check_port_free,
    find_executable,
    pick_ports,
    tail,
    wait_for_port,
)

COMPONENT = "redis"


class RedisServer(LoopbackServer):
    """redis-server without persistence; `password` goes into a 0600 config file, never on the command line."""

    temp_prefix = "quayops-redis-"

    def __init__(self, *, port: int = 0, password: str | None = None, data_dir: str | Path | None = None) -> None:
        super().__init__(data_dir=data_dir)
        self._requested_port = port
        self.password = password
        self.port = 0

    @staticmethod
    def available() -> bool:
        """Whether redis-server is installed; callers skip Redis cleanly when it is not."""
        return shutil.which("redis-server") is not None

    @property
    def host(self) -> str:
        return LOOPBACK

    def _start(self) -> None:
        binary = find_executable("redis-server", [Path(p) for p in [shutil.which("redis-server")] if p],
                                 component=COMPONENT, hint="Install the Debian package redis-server")
        port = self._requested_port or pick_ports(1)[0]
        check_port_free(port, component=COMPONENT)
        root = self._make_root()
        conf = root / "redis.conf"
        lines = [f"bind {LOOPBACK}", f"port {port}", f"dir {root}", 'save ""', "appendonly no",
                 "protected-mode yes", "daemonize no", f"logfile {root / 'redis.log'}"]
        if self.password:
            lines.append(f"requirepass {self.password}")
        conf.write_text("\n".join(lines) + "\n")
        conf.chmod(0o600)
        self._spawn([binary, conf], log=None)
        wait_for_port(port, component=COMPONENT, timeout=10, alive=self._alive,
                      log=lambda: tail(root / "redis.log"))
        self.port = port

    def _forget(self) -> None:
        self.port = 0
