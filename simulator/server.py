"""Start and stop the simulator in-process: the Store, its controllers and its HTTPS API server.

`start_simulator()` returns a handle with a ready `kubernetes` ApiClient; usable as a context manager.
Controllers run in a thread (`run_controllers=True`) or are stepped by the caller (`sim.runner.step()`).
"""

from __future__ import annotations

import asyncio
import random
import ssl
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.apiserver.app import ApiServer
from simulator.apiserver.faults import fault_routes
from simulator.apiserver.streaming import add_stream_routes
from simulator.clock import Clock
from simulator.controllers import Runner, build_controllers
from simulator.controllers.base import Context
from simulator.controllers.bucketclaims import BucketProvisioner
from simulator.controllers.recording import EventRecorder
from simulator.dataplane.processes import run_each
from simulator.execution.runtime import PodRuntime
from simulator.faults import FaultBook
from simulator.kubeconfig import CONTEXT, TLSMaterial, generate_tls, new_token, write_kubeconfig
from simulator.olm_catalog import subscribe_at_bootstrap
from simulator.profiles import ClusterProfile, profile_for
from simulator.stages import PACES
from simulator.store import Store

if TYPE_CHECKING:
    from simulator.dataplane.postgres import PostgresServer
    from simulator.dataplane.wiring import DataPlane

LOOPBACK = "127.0.0.1"


class Simulator:
    """A running simulator. `store` is shared by the HTTP layer and the controllers `runner` drives.

    `profile` shapes the cluster (default: the platform's), `clock` paces it (default: real time),
    `pace` names the stage set (`fast`, `realistic`, `immediate`); `bucket_provisioner` makes the
    buckets behind ObjectBucketClaims real (the data plane's seam); `with_operator` (a catalog version such
    as "3.7.14") starts with the Quay Operator subscribed in `openshift-operators` for OLM to install;
    `data_plane` starts real servers beside the API server and stops with it (its buckets back the claims);
    `without` names optional APIs the cluster lacks (`routes`, `objectbucketclaims`, `monitoring`);
    `faults` injects failures (`simulator.faults`).
    """

    def __init__(self, *, platform: str = "openshift", seed: int | None = None, port: int = 0,
                 kubeconfig: str | Path | None = None, host: str = LOOPBACK, event_window: int = 50_000,
                 profile: ClusterProfile | None = None, clock: Clock | None = None, pace: str = "fast",
                 run_controllers: bool = False, bucket_provisioner: BucketProvisioner | None = None,
                 with_operator: str | None = None, data_plane: DataPlane | None = None,
                 without: tuple[str, ...] = ()) -> None:
        if host != LOOPBACK:
            raise ValueError(f"the simulator binds {LOOPBACK} only, not {host!r}")
        if pace not in PACES:
            raise ValueError(f"unknown pace {pace!r}: expected one of {', '.join(PACES)}")
        self.profile = profile or profile_for(platform)
        if with_operator:
            self.profile = replace(self.profile, extra=(*self.profile.extra, subscribe_at_bootstrap(with_operator)))
        if without:
            self.profile = self.profile.lacking(without)
        self.clock = clock or Clock.real()
        self.store = Store(platform=self.profile.platform, seed=seed, clock=self.clock.now, event_window=event_window,
                           without=self.profile.without)
        self.store.bootstrappers.append(self.profile.bootstrap)
        self.profile.bootstrap(self.store)
        self.data_plane = data_plane
        if bucket_provisioner is None and data_plane is not None:
            bucket_provisioner = data_plane.buckets
        ctx = Context(self.store, self.clock, PACES[pace], self.profile, random.Random(seed),
                      EventRecorder(self.store), buckets=bucket_provisioner)
        self.faults = FaultBook(ctx, data_plane=data_plane)
        self.runner = Runner(ctx, [*self.faults.controllers, *build_controllers(ctx)])
        self.faults.attach(self.runner)
        self._run_controllers = run_controllers
        self.token = new_token()
        self._tls = generate_tls(host)
        self._host, self._port = host, port
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if kubeconfig is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="quayops-sim-")
            kubeconfig = Path(self._tmp.name) / "kubeconfig"
        self.kubeconfig_path = Path(kubeconfig)
        self.api = ApiServer(self.store, token=self.token)
        self.api.handlers.hooks.append(self.faults.check_request)
        self.api.admin += fault_routes(self.faults)
        self.pods = PodRuntime(self.store, directory=data_plane.directory if data_plane else None,
                               postgres_servers=self._postgres_servers)
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def ca_pem(self) -> bytes:
        return self._tls.ca_pem

    @property
    def tls(self) -> TLSMaterial:
        """The simulator's CA (with its key) and the API server's certificate."""
        return self._tls

    def start(self) -> Simulator:
        self._thread = threading.Thread(target=self._run, name="quayops-simulator", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError(f"simulator failed to start: {self._error}") from self._error
        if not self._ready.is_set():
            raise RuntimeError("simulator did not start within 30 s")
        if self.data_plane is not None:
            try:
                self.data_plane.start(self)
            except BaseException:
                self.stop()
                raise
        if self._run_controllers:
            self.runner.run()
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except (OSError, RuntimeError, ValueError, ssl.SSLError) as e:  # reported to start()'s caller
            self._error = e
            self._ready.set()
            return
        loop.run_forever()
        loop.run_until_complete(self._shutdown())
        loop.close()

    async def _serve(self) -> None:
        ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        with tempfile.TemporaryDirectory(prefix="quayops-sim-tls-") as tmp:
            cert, key = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
            cert.write_bytes(self._tls.cert_pem)
            key.write_bytes(self._tls.key_pem)
            ssl_ctx.load_cert_chain(cert, key)
        app = self.api.app()
        add_stream_routes(app, self.store, self.pods, token=self.token)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, ssl_context=ssl_ctx, reuse_address=True)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"https://{self._host}:{port}"
        self.api.server_address = f"{self._host}:{port}"
        write_kubeconfig(self.kubeconfig_path, self.url, self._tls.ca_pem, self.token)
        self._ready.set()

    async def _shutdown(self) -> None:
        self.store.stop_watches()  # end open streams so shutdown is prompt
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        """Stop the controllers and serving, close every watch and remove the temporary kubeconfig.

        Every step runs even when one fails (the data plane's servers must go whatever happened before); the
        first failure is raised at the end.
        """
        run_each([self.runner.stop, self.faults.stop, *([self.data_plane.stop] if self.data_plane else []),
                  self._stop_serving, self.pods.stop, self._remove_tmp])

    def _stop_serving(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)

    def _remove_tmp(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _postgres_servers(self) -> list[PostgresServer]:
        """The data plane's PostgreSQL servers (the shared one and each managed database's), for exec."""
        plane = self.data_plane
        if plane is None:
            return []
        return [plane.postgres, *(list(plane.backends.databases.values()) if plane.backends else [])]

    def api_client(self) -> Any:
        """A `kubernetes.client.ApiClient` for this simulator (context `simulator`)."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig_path), context=CONTEXT)

    def __enter__(self) -> Simulator:  # noqa: PYI034 - Simulator is final
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_simulator(*, platform: str = "openshift", seed: int | None = None, port: int = 0,
                    kubeconfig: str | Path | None = None, host: str = LOOPBACK, profile: ClusterProfile | None = None,
                    clock: Clock | None = None, pace: str = "fast", run_controllers: bool = False,
                    bucket_provisioner: BucketProvisioner | None = None, with_operator: str | None = None,
                    data_plane: bool = False, data_dir: str | Path | None = None,
                    without: tuple[str, ...] = ()) -> Simulator:
    """Start a simulator in a background thread and return once it serves.

    Controllers run in their own thread with `run_controllers=True`; otherwise `sim.runner.step()` drives them.
    `data_plane=True` adds the real servers (`simulator.dataplane.wiring`), their data kept in `data_dir` if given;
    `without` drops optional APIs (`routes`, `objectbucketclaims`, `monitoring`) from the served kinds.
    """
    plane = None
    if data_plane:
        from simulator.dataplane.wiring import DataPlane  # lazy: the server stack loads only when asked for

        plane = DataPlane(data_dir=data_dir)
    return Simulator(platform=platform, seed=seed, port=port, kubeconfig=kubeconfig, host=host, profile=profile,
                     clock=clock, pace=pace, run_controllers=run_controllers,
                     bucket_provisioner=bucket_provisioner, with_operator=with_operator, data_plane=plane,
                     without=tuple(without)).start()
