"""A real PostgreSQL server on 127.0.0.1 from the machine's binaries, data in a temp dir unless kept.

As root, server-side commands run as the `postgres` user via runuser (initdb refuses root; stack-notes §3a).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from simulator.dataplane.errors import ServerStartError
from simulator.dataplane.processes import (
    LOOPBACK,
    LoopbackServer,
    check_port_free,
    find_executable,
    pick_ports,
    tail,
    terminate,
    wait_for_port,
)

COMPONENT = "postgres"
SERVER_USER = "postgres"
# loopback only: the superuser by trust (the simulator's own tools), every other role by password
PG_HBA = """\
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


def find_bindir() -> Path:
    """The directory holding initdb and pg_ctl: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out:
            candidates.append(Path(out))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    initdb = find_executable("initdb", [d / "initdb" for d in candidates], component=COMPONENT,
                             hint="Install the Debian packages postgresql and postgresql-contrib")
    return initdb.parent


class PostgresServer(LoopbackServer):
    """One PostgreSQL cluster: `start()`, `create_database(...)`, `dsn(...)`, `stop()`; a context manager.

    `data_dir` keeps the cluster across runs (re-used when it already holds one); otherwise a temp dir
    is created and removed on stop.
    """

    temp_prefix = "quayops-pg-"
    stop_grace = 30.0

    def __init__(self, *, data_dir: str | Path | None = None, port: int = 0) -> None:
        super().__init__(data_dir=data_dir)
        self._requested_port = port
        self.port = 0
        self.bindir: Path | None = None
        self._as_root = os.geteuid() == 0

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def pgdata(self) -> Path:
        assert self._root is not None, "not started"
        return self._root / "pgdata"

    @property
    def socket_dir(self) -> Path:
        assert self._root is not None, "not started"
        return self._root

    @property
    def running(self) -> bool:
        return self.port != 0

    def _server_cmd(self, *args: str | Path) -> list[str]:
        cmd = [str(a) for a in args]
        return ["runuser", "-u", SERVER_USER, "--", *cmd] if self._as_root else cmd

    def _run(self, *args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self._server_cmd(*args), capture_output=True, text=True, timeout=timeout,
                              check=False, cwd=self._root)

    def _start(self) -> None:
        """initdb (first time) and the postmaster; raises ServerStartError naming the binary or the port."""
        self.bindir = find_bindir()
        find_executable("pg_ctl", [self.bindir / "pg_ctl"], component=COMPONENT,
                        hint="Install the Debian package postgresql")
        if self._as_root:
            try:
                owner = pwd.getpwnam(SERVER_USER)
            except KeyError as e:
                raise ServerStartError(f"running as root needs the system user {SERVER_USER!r}",
                                       component=COMPONENT, hint="Install postgresql, which creates it") from e
            if shutil.which("runuser") is None:
                raise ServerStartError("runuser not found", component=COMPONENT, binary="runuser",
                                       hint="Install the Debian package util-linux")
        port = self._requested_port or pick_ports(1)[0]
        check_port_free(port, component=COMPONENT)
        root = self._make_root()
        if self._as_root:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chmod(root, 0o700)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        self._start_postmaster(port)

    def _initdb(self) -> None:
        result = self._run(self.bindir / "initdb", "-D", self.pgdata, "-U", SERVER_USER, "-E", "UTF8",
                           "--no-locale", "--auth=trust", "--no-sync")
        if result.returncode != 0:
            raise ServerStartError(f"initdb failed: {result.stderr.strip()[-500:]}", component=COMPONENT)
        hba = self.pgdata / "pg_hba.conf"
        hba.write_text(PG_HBA)
        if self._as_root:
            owner = pwd.getpwnam(SERVER_USER)
            os.chown(hba, owner.pw_uid, owner.pw_gid)

    def _start_postmaster(self, port: int) -> None:
        """Run `postgres` as our child (not daemonized by pg_ctl) so that stop() reaps it: no zombie left."""
        log = self._root / "postgres.log"
        find_executable("postgres", [self.bindir / "postgres"], component=COMPONENT,
                        hint="Install the Debian package postgresql")
        self._spawn(self._server_cmd(
            self.bindir / "postgres", "-D", self.pgdata, "-c", f"listen_addresses={LOOPBACK}", "-p", str(port),
            "-c", f"unix_socket_directories={self._root}", "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off"), log=log)
        try:
            wait_for_port(port, component=COMPONENT, timeout=30, alive=self._alive, log=lambda: tail(log))
        except ServerStartError as e:
            if "could not bind" in tail(log) or "already in use" in tail(log):
                raise ServerStartError(f"port {LOOPBACK}:{port} is in use; log tail:\n{tail(log)}",
                                       component=COMPONENT, port=port) from e
            raise
        self._wait_ready(port)
        self.port = port

    def _wait_ready(self, port: int) -> None:
        """The port opens before recovery ends; connect until the server accepts sessions."""
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(f"host={self._root} port={port} user={SERVER_USER} dbname=postgres",
                                connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline or not self._alive():
                    raise
                time.sleep(0.02)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _shutdown(self, proc: subprocess.Popen[bytes]) -> None:
        """Fast shutdown through pg_ctl; SIGKILL the postmaster if pg_ctl cannot."""
        try:
            if self._postmaster_pid() is not None and self.bindir is not None:
                self._run(self.bindir / "pg_ctl", "-D", self.pgdata, "-m", "fast", "-w", "-t", "30", "stop")
        finally:
            terminate(proc, grace=self.stop_grace)

    def _forget(self) -> None:
        self.port = 0

    def dsn(self, database: str = "postgres", *, user: str = SERVER_USER, password: str | None = None) -> str:
        """A postgresql:// URI for 127.0.0.1:port (the superuser needs no password on loopback)."""
        auth = quote(user, safe="") + (":" + quote(password, safe="") if password is not None else "")
        return f"postgresql://{auth}@{LOOPBACK}:{self.port}/{quote(database, safe='')}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        """A superuser connection in autocommit mode."""
        return psycopg.connect(self.dsn(database), autocommit=True)

    def create_database(self, name: str, *, owner: str, password: str,
                        extensions: tuple[str, ...] = ("pg_trgm",)) -> str:
        """Create (or update) role `owner` with `password`, database `name` owned by it, and `extensions`.

        Idempotent; returns the owner's DSN. The password is sent as a literal and never logged.
        """
        with self.connect() as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone()
            verb = sql.SQL("ALTER ROLE") if exists else sql.SQL("CREATE ROLE")
            conn.execute(sql.SQL("{} {} WITH LOGIN PASSWORD {}").format(
                verb, sql.Identifier(owner), sql.Literal(password)))
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name),
                                                                          sql.Identifier(owner)))
        with self.connect(name) as conn:
            for ext in extensions:
                conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(ext)))
        return self.dsn(name, user=owner, password=password)
