"""Child processes of the data plane: loopback ports, readiness waits and a stop that always ends them.

`LoopbackServer` is what the real servers share; they register their `stop` with `atexit`, so an interrupted
run leaves no process behind.
"""

from __future__ import annotations

import abc
import atexit
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, TypeVar

from simulator.dataplane.errors import ServerStartError

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"

_stoppers: list[Callable[[], None]] = []
_stoppers_lock = threading.Lock()
_exiting = False


class Startable(Protocol):
    def start(self) -> Any: ...


S = TypeVar("S", bound=Startable)


def run_each(steps: Iterable[Callable[[], None]]) -> None:
    """Call every step even when some fail; re-raise the first failure once the last step ran."""
    failures: list[Exception] = []
    for step in steps:
        try:
            step()
        except Exception as e:  # the remaining steps still run: a failing stop must not leave a server behind
            log.exception("stopping: %s failed", getattr(step, "__qualname__", step))
            failures.append(e)
    if failures:
        raise failures[0]


def _stop_all() -> None:
    """At exit: refuse new servers, then stop every registered one (a start in progress is waited for)."""
    global _exiting
    with _stoppers_lock:
        _exiting = True
        stops = list(reversed(_stoppers))
    with contextlib.suppress(Exception):  # logged by run_each; nothing to report to at exit
        run_each(stops)


atexit.register(_stop_all)


def register_stop(stop: Callable[[], None]) -> None:
    """Run `stop` at interpreter exit unless `unregister_stop` removed it first.

    Raises ServerStartError once exit began: a controller thread still running then must not start a server
    nothing would stop.
    """
    with _stoppers_lock:
        if _exiting:
            raise ServerStartError("the interpreter is exiting; not starting another server", component="dataplane")
        _stoppers.append(stop)


def unregister_stop(stop: Callable[[], None]) -> None:
    with _stoppers_lock:
        if stop in _stoppers:
            _stoppers.remove(stop)


class StartGate:
    """Lets an owner's servers start until `close()`: `with gate as open_:` holds it while a server starts,
    so `close()` waits for a start in progress and no start begins after it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> bool:
        self._lock.acquire()
        return not self._closed

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def close(self) -> None:
        with self._lock:
            self._closed = True


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return True
    return False


def pick_ports(count: int, *, grpc_offset: int | None = None) -> list[int]:
    """`count` distinct free ports on 127.0.0.1; with `grpc_offset`, port+offset is free too (SeaweedFS gRPC)."""
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            s = socket.socket()
            s.bind((LOOPBACK, 0))
            port = s.getsockname()[1]
            held.append(s)
            if grpc_offset is not None and (
                    port + grpc_offset > 65535 or port_in_use(port + grpc_offset)
                    or any(port + grpc_offset == p or port == p + grpc_offset for p in ports)):
                continue
            ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports


def check_port_free(port: int, *, component: str) -> None:
    """Raise ServerStartError naming the port when something already listens on 127.0.0.1:port."""
    if port_in_use(port):
        raise ServerStartError(f"port {LOOPBACK}:{port} is in use", component=component, port=port,
                               hint="Stop whatever listens there or pass port=0 to pick a free one")


def start_on_free_ports(server: S, *, attempts: int = 3) -> S:
    """`server.start()` on picked ports; a server starting alongside may take a picked port first: pick again."""
    for attempt in range(1, attempts + 1):
        try:
            server.start()
            break
        except ServerStartError as e:
            if e.port is None or attempt == attempts:
                raise
            log.info("%s: port %s was taken meanwhile; starting on another", e.component, e.port)
    return server


def find_executable(name: str, candidates: list[Path], *, component: str, hint: str) -> Path:
    """The first existing, executable candidate; else ServerStartError naming the binary."""
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    looked = ", ".join(str(p.parent) for p in candidates) or "PATH"
    raise ServerStartError(f"{name} not found (looked in {looked})", component=component, binary=name, hint=hint)


def wait_for_port(port: int, *, component: str, timeout: float, alive: Callable[[], bool],
                  log: Callable[[], str]) -> None:
    """Block until 127.0.0.1:port accepts connections; fail early when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex((LOOPBACK, port)) == 0:
                return
        if not alive():
            raise ServerStartError(f"exited before listening on {LOOPBACK}:{port}; log tail:\n{log()}",
                                   component=component, port=port)
        time.sleep(0.02)
    raise ServerStartError(f"not listening on {LOOPBACK}:{port} after {timeout:.0f} s; log tail:\n{log()}",
                           component=component, port=port)


def terminate(proc: subprocess.Popen[bytes], *, grace: float) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL; always reaps the process."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def tail(path: Path, *, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class LoopbackServer(abc.ABC):
    """One server process on 127.0.0.1, our child: `start()`, `stop()`, a context manager.

    Its files live under a temp dir (prefix `temp_prefix`) removed on stop, unless `data_dir` keeps them.
    Subclasses launch in `_start()` (through `_spawn`) and reset their addresses in `_forget()`. `start()` and
    `stop()` exclude each other: a stop from another thread (atexit, an owner's shutdown) waits for a start in
    progress, then ends what it launched.
    """

    temp_prefix: ClassVar[str]
    stop_grace: ClassVar[float] = 10.0  # seconds between SIGTERM and SIGKILL

    def __init__(self, *, data_dir: str | Path | None = None) -> None:
        self._keep = data_dir is not None
        self._root = Path(data_dir) if data_dir is not None else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lifecycle = threading.RLock()

    def start(self) -> Self:
        """Launch and wait until it serves; on any failure stop() runs before the error propagates."""
        with self._lifecycle:
            register_stop(self.stop)  # first: refused at exit, before anything exists
            try:
                self._start()
            except BaseException:
                self.stop()
                raise
        return self

    @abc.abstractmethod
    def _start(self) -> None:
        """Pick ports, prepare the root and launch; return once the server answers."""

    def _make_root(self) -> Path:
        """The server's directory: `data_dir`, else a fresh temp dir."""
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix=self.temp_prefix))
        self._root.mkdir(parents=True, exist_ok=True)
        return self._root

    def _spawn(self, argv: Sequence[str | Path], *, log: Path | None) -> subprocess.Popen[bytes]:
        """Run `argv` in the root, in its own session, output appended to `log` (or discarded)."""
        assert self._root is not None, "no root yet"
        with (log.open("ab") if log is not None else open(os.devnull, "wb")) as sink:
            self._proc = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=sink,
                                          stderr=subprocess.STDOUT, cwd=self._root, start_new_session=True)
        return self._proc

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _shutdown(self, proc: subprocess.Popen[bytes]) -> None:
        """End the process; SIGTERM, then SIGKILL after `stop_grace` seconds."""
        terminate(proc, grace=self.stop_grace)

    @abc.abstractmethod
    def _forget(self) -> None:
        """Forget where the stopped server listened."""

    def stop(self) -> None:
        """Stop the process and remove the temp dir (unless kept), even when ending the process fails."""
        with self._lifecycle:
            unregister_stop(self.stop)
            try:
                if self._proc is not None:
                    self._shutdown(self._proc)
            finally:
                self._proc = None
                self._forget()
                if self._root is not None and not self._keep:
                    shutil.rmtree(self._root, ignore_errors=True)
                    self._root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
