"""`PodRuntime`: the simulator's pods as exec and port-forward reach them. A database container runs the real
PostgreSQL client tools against its registry's real server; every container has the shell and built-ins."""

from __future__ import annotations

import asyncio
import contextlib
import os
import posixpath
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.execution.containers import WRITABLE, Container, inspect_container
from simulator.execution.pipes import Sink, Source
from simulator.execution.shell import CHUNK, Invocation, Program, Shell
from simulator.store import Store

if TYPE_CHECKING:
    from simulator.dataplane.directory import Address, ServiceDirectory
    from simulator.dataplane.postgres import PostgresServer

TOOLS = ("pg_dump", "pg_dumpall", "psql", "pg_restore", "createdb", "dropdb")
POSTGRES_PORT = 5432
POSTGRES_COMPONENTS = ("postgres", "clair-postgres")
OS_USER = "postgres"  # the database image runs as `postgres`: libpq's default user inside the container


class PodRuntime:
    """Exec into and dial the pods of one Store. `directory` (the data plane's) says which real server answers
    a pod's port; `postgres_servers` lists the running PostgreSQL servers, whose sockets the tools use."""

    def __init__(self, store: Store, *, directory: ServiceDirectory | None = None,
                 postgres_servers: Callable[[], Iterable[PostgresServer]] = tuple) -> None:
        self.store = store
        self.directory = directory
        self._servers = postgres_servers
        self._root: Path | None = None

    def container(self, pod: Mapping[str, Any], name: str) -> Container:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="quayops-pods-"))
        scratch = self._root / pod["metadata"].get("uid", pod["metadata"]["name"])
        return inspect_container(self.store, pod, name, scratch=scratch)

    async def exec(self, container: Container, argv: list[str], *, stdin: Source, stdout: Sink,
                   stderr: Sink) -> int:
        """Run argv in the container as the runtime would (no shell unless argv starts one); its exit code."""
        return await Shell(container, self._programs(container)).exec(argv, stdin=stdin, stdout=stdout,
                                                                      stderr=stderr)

    def address(self, pod: Mapping[str, Any], port: int) -> Address | None:
        """The real server behind a pod's port; None when nothing listens there."""
        if self.directory is None:
            return None
        ns = pod["metadata"]["namespace"]
        services = self.store.list(self.store.kind("v1", "Service"), ns).items
        return self.directory.lookup_pod(ns, pod["metadata"].get("labels") or {}, port, services)

    def stop(self) -> None:
        """Remove every pod's scratch directory."""
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def _programs(self, container: Container) -> dict[str, Program]:
        image = container.spec.get("image", "")
        if container.component not in POSTGRES_COMPONENTS and "postgres" not in image:
            return {}
        from simulator.dataplane.errors import ServerStartError
        from simulator.dataplane.postgres import find_bindir  # lazy: plain simulators skip psycopg

        try:
            bindir = find_bindir()
        except ServerStartError:
            return {}
        env = self._postgres_env(container, bindir)
        return {tool: _real(bindir / tool, env) for tool in TOOLS if (bindir / tool).exists()}

    def _postgres_env(self, container: Container, bindir: Path) -> dict[str, str]:
        """What the tools need to find the pod's server: its socket (local connections are trusted, as in the
        container) or its address; the container's OS user is `postgres`."""
        address = self.address(container.pod, POSTGRES_PORT)
        if address is None:  # nothing listens: the tools fail as they would with the server down
            host, port = str(container.scratch / "run" / "postgresql"), str(POSTGRES_PORT)
        else:
            server = next((s for s in self._servers() if s.running and s.port == address.port), None)
            host, port = (str(server.socket_dir) if server else address.host), str(address.port)
        home = container.scratch / "home"
        home.mkdir(parents=True, exist_ok=True)
        return {"PGHOST": host, "PGPORT": port, "HOME": str(home),
                "PATH": f"{bindir}:{container.env.get('PATH', '/usr/bin:/bin')}"}


def _real(path: Path, extra: Mapping[str, str]) -> Program:
    async def run(inv: Invocation) -> int:
        env = {"PGUSER": OS_USER, **inv.env, **extra}
        argv = [str(path), *(_host_argument(inv.container, a) for a in inv.argv[1:])]
        cwd = inv.container.host_path(WRITABLE[0])
        assert cwd is not None
        cwd.mkdir(parents=True, exist_ok=True)
        return await run_process(argv, env=env, cwd=cwd, stdin=inv.stdin, stdout=inv.stdout, stderr=inv.stderr)
    return run


def _host_argument(container: Container, arg: str) -> str:
    """A path under the container's /tmp (`/tmp/x`, `--file=/tmp/x`) → where that file really is."""
    prefix, sep, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
    if posixpath.isabs(value):
        host = container.host_path(value)
        if host is not None:
            return f"{prefix}{sep}{host}"
    return arg


async def run_process(argv: list[str], *, env: Mapping[str, str], cwd: Path, stdin: Source, stdout: Sink,
                      stderr: Sink) -> int:
    """Run a real process with its streams pumped to and from the session (64 KiB at a time: a large dump
    streams through, never held); killed with its process group if the session goes away."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=dict(env), cwd=cwd, start_new_session=True, limit=CHUNK)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None

    async def feed() -> None:
        try:
            while chunk := await stdin.read():
                proc.stdin.write(chunk)
                await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the process stopped reading; its exit code says why
        finally:
            proc.stdin.close()

    async def pump(stream: asyncio.StreamReader, sink: Sink) -> None:
        while chunk := await stream.read(CHUNK):
            await sink.write(chunk)

    feeder = asyncio.create_task(feed())
    try:
        await asyncio.gather(pump(proc.stdout, stdout), pump(proc.stderr, stderr))
        code = await proc.wait()
    finally:
        feeder.cancel()
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    return code if code >= 0 else 128 - code
