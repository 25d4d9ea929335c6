"""The simulated Quay application: an aiohttp app built from a final Quay config, serving health, the API and
the registry on real PostgreSQL and S3, with Quay's metrics on a separate port (the pod's 9091).

`QuayAppServer` runs it on 127.0.0.1 in a background thread (plus HTTPS with the bundle's ssl.cert/ssl.key when
given, the pod's 8443); `stop()` closes the listeners, so a scaled-down registry refuses connections.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self

import psycopg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from simulator.dataplane.processes import LOOPBACK
from simulator.dataplane.quay import api, health, model, registry, schema
from simulator.dataplane.quay.context import CONTEXT, QuayContext, Reply
from simulator.dataplane.quay.database import Database
from simulator.dataplane.quay.metrics import QuayMetrics
from simulator.dataplane.quay.settings import Resolve, load_settings
from simulator.dataplane.quay.storage import BlobStorage
from simulator.dataplane.tls import server_context

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ROUTES = [*health.ROUTES, *api.ROUTES, *registry.ROUTES]
ROUTE_LABELS: dict[Handler, str] = {handler: label for _, _, handler, label in ROUTES}
MAX_BODY = 1024 * 1024 * 1024  # request.read() limit; blob chunks are read whole


@web.middleware
async def _observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer `Reply`s and time every request into quay_request_duration_seconds{method, route, status}."""
    started = time.perf_counter()
    status = 500
    try:
        try:
            response = await handler(request)
        except Reply as reply:
            response = reply.response
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        route = ROUTE_LABELS.get(getattr(request.match_info, "handler", None), "unknown")
        request.app[CONTEXT].metrics.observe_request(request.method, route, status, time.perf_counter() - started)


def create_quay_app(config: Mapping[str, Any], *, resolve: Resolve | None = None,
                    storage_verify: bool | str = True,
                    hostname: Callable[[], str] = socket.gethostname) -> web.Application:
    """The Quay app for one final config.yaml; its schema is created on startup if missing.

    `hostname` is read at each scrape for the metrics' `host` label (the pod Quay runs in).
    """
    settings = load_settings(config, resolve=resolve, storage_verify=storage_verify)
    executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="quay-app-io")
    ctx = QuayContext(settings=settings, db=Database(settings.db_conninfo),
                      storage=BlobStorage(settings.storage, executor),
                      metrics=QuayMetrics(lambda: model.count_rows(settings.db_conninfo), host=hostname),
                      executor=executor)
    app = web.Application(middlewares=[_observe], client_max_size=MAX_BODY)
    app[CONTEXT] = ctx
    for method, path, handler, _ in ROUTES:
        if method == "GET":
            app.router.add_get(path, handler)
        else:
            app.router.add_route(method, path, handler)

    async def create_schema(_: web.Application) -> None:
        await asyncio.get_running_loop().run_in_executor(
            executor, lambda: schema.create_schema(settings.db_conninfo, location=settings.storage.location))

    async def close(_: web.Application) -> None:
        await ctx.db.close()
        executor.shutdown(wait=False, cancel_futures=True)

    app.on_startup.append(create_schema)
    app.on_cleanup.append(close)
    return app


def create_metrics_app(quay_app: web.Application) -> web.Application:
    """`/metrics` in Prometheus text format for the given Quay app's registry (row counts read per scrape)."""
    ctx = quay_app[CONTEXT]

    async def metrics(_: web.Request) -> web.Response:
        body = await asyncio.get_running_loop().run_in_executor(ctx.executor, generate_latest,
                                                                ctx.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    return app


class QuayAppServer:
    """One Quay app on 127.0.0.1 (`url`) with its metrics (`metrics_url`), served from a background thread.

    With `tls` (certificate and key PEM) the app also serves HTTPS on `tls_port` (`tls_url`). `stop()` closes
    every listener; `start()` again serves on the same ports, like a pod coming back. `hostname` is the pod
    the app runs as (its metrics' `host`); the owner may change it while serving.
    """

    def __init__(self, config: Mapping[str, Any], *, host: str = LOOPBACK, port: int = 0, metrics_port: int = 0,
                 resolve: Resolve | None = None, storage_verify: bool | str = True,
                 tls: tuple[bytes, bytes] | None = None, tls_port: int = 0, hostname: str | None = None) -> None:
        if host != LOOPBACK:
            raise ValueError(f"the simulated Quay binds {LOOPBACK} only, not {host!r}")
        self.config = dict(config)
        self.hostname = hostname or socket.gethostname()
        self.host, self.port, self.metrics_port, self.tls_port = host, port, metrics_port, tls_port
        self._tls = tls
        self._resolve, self._storage_verify = resolve, storage_verify
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runners: list[web.AppRunner] = []
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"https://{self.host}:{self.tls_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://{self.host}:{self.metrics_port}/metrics"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        """Build the app, create the schema if missing, and listen; raises what went wrong."""
        if self.running:
            return self
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name=f"quay-app-{self.port}", daemon=True)
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            self._thread.join(10)
            raise self._error
        if not self._ready.is_set():
            raise TimeoutError("the simulated Quay did not start within 60 s")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except (OSError, ValueError, RuntimeError, psycopg.Error) as e:  # reported to start()'s caller
            self._error = e
            loop.run_until_complete(self._shutdown())
            loop.close()
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._shutdown())
        loop.close()

    async def _serve(self) -> None:
        app = create_quay_app(self.config, resolve=self._resolve, storage_verify=self._storage_verify,
                              hostname=lambda: self.hostname)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        metrics = web.AppRunner(create_metrics_app(app), access_log=None, handler_cancellation=True)
        self._runners += [runner, metrics]
        await runner.setup()
        await metrics.setup()
        sites = [(runner, "port", None), (metrics, "metrics_port", None)]
        if self._tls is not None:
            sites.append((runner, "tls_port", server_context(*self._tls)))
        for target, attr, ssl_context in sites:
            site = web.TCPSite(target, self.host, getattr(self, attr), ssl_context=ssl_context, reuse_address=True)
            await site.start()
            setattr(self, attr, site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def _shutdown(self) -> None:
        while self._runners:
            await self._runners.pop().cleanup()

    def stop(self) -> None:
        """Stop serving: listeners closed, open connections ended; ports kept for a later start()."""
        if self.loop is not None and self._thread is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
