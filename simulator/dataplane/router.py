"""The default IngressController's data path: one TLS listener on 127.0.0.1 serving every admitted Route by SNI
and Host, plus a plain-HTTP listener for unsecured routes and edge redirects (the router's :443 and :80).

edge: the wildcard certificate (or the route's own pair), plain HTTP to the backend; passthrough: raw TCP to the
backend's TLS port, chosen by SNI; reencrypt: terminate, then speak to the backend as it listens. Mirrors
openshift/router's haproxy template in behaviour, not in code: `RouteTable` is the controller, `Router` the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from simulator.controllers.base import Context, Key, Watched
from simulator.dataplane.directory import Address, PortKey, ServiceDirectory
from simulator.dataplane.processes import LOOPBACK, check_port_free
from simulator.dataplane.tls import server_context

log = logging.getLogger(__name__)

COMPONENT = "router"
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade", "expect", "proxy-connection"})
CHUNK = 1024 * 1024  # reads and writes per loop turn: fewer turns, faster blobs
# openshift/router's page for a host no admitted route serves, or a route without endpoints
UNAVAILABLE = ("<html><head><title>Application is not available</title></head><body><h1>Application is not "
               "available</h1><p>The application is currently not serving requests at this endpoint. It may not "
               "have been started or is still starting.</p></body></html>")


@dataclass(frozen=True)
class RouteEntry:
    """What the router needs of one admitted Route; `termination` is "" for an unsecured route."""

    namespace: str
    name: str
    host: str
    path: str
    termination: str
    insecure: str
    service: str
    target_port: PortKey
    certificate: str = ""
    key: str = field(default="", repr=False)


def route_entry(route: Mapping[str, Any]) -> RouteEntry | None:
    """The entry for a Route the default router admitted, else None."""
    spec = route.get("spec") or {}
    admitted = any(c.get("type") == "Admitted" and c.get("status") == "True"
                   for i in (route.get("status") or {}).get("ingress") or [] if i.get("routerName") == "default"
                   for c in i.get("conditions") or [])
    if not admitted or not spec.get("host"):
        return None
    tls = spec.get("tls") or {}
    meta = route["metadata"]
    return RouteEntry(
        namespace=meta["namespace"], name=meta["name"], host=spec["host"].lower(), path=spec.get("path") or "/",
        termination=str(tls.get("termination") or "").lower(), insecure=str(tls.get("insecureEdgeTerminationPolicy")
                                                                             or ""),
        service=(spec.get("to") or {}).get("name", ""),
        target_port=(spec.get("port") or {}).get("targetPort", 80),
        certificate=tls.get("certificate") or "", key=tls.get("key") or "")


def parse_server_name(hello: bytes) -> str | None:
    """The SNI host name of a TLS ClientHello record, or None (not TLS, no SNI, or truncated)."""
    try:
        if hello[0] != 0x16 or hello[5] != 0x01:
            return None
        pos = 5 + 4 + 2 + 32  # record header, handshake header, client version, random
        pos += 1 + hello[pos]  # session id
        pos += 2 + int.from_bytes(hello[pos:pos + 2])  # cipher suites
        pos += 1 + hello[pos]  # compression methods
        end = pos + 2 + int.from_bytes(hello[pos:pos + 2])
        pos += 2
        while pos + 4 <= end:
            ext_type, ext_len = int.from_bytes(hello[pos:pos + 2]), int.from_bytes(hello[pos + 2:pos + 4])
            if ext_type == 0:  # server_name: list length, name type 0, name length, name
                name_len = int.from_bytes(hello[pos + 7:pos + 9])
                return hello[pos + 9:pos + 9 + name_len].decode("ascii").lower()
            pos += 4 + ext_len
    except (IndexError, UnicodeDecodeError):
        return None
    return None


class RouteTable:
    """Controller: admitted Routes → the Router's table."""

    name = "router"

    def __init__(self, ctx: Context, router: Router) -> None:
        self.ctx = ctx
        self.router = router
        self.watches = (Watched("route.openshift.io/v1", "Route"),)

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        route = self.ctx.read("route.openshift.io/v1", "Route", name, ns)
        self.router.set_route(key, route_entry(route) if route is not None else None)
        return None


class Router:
    """The proxy. `start()` (on the data plane's loop) binds `https_port` and `http_port` on 127.0.0.1.

    `on_hosts` is called with the set of admitted hosts whenever it changes (to publish the resolve map).
    """

    def __init__(self, directory: ServiceDirectory, *, certificate: tuple[bytes, bytes], https_port: int = 0,
                 http_port: int = 0, on_hosts: Callable[[set[str]], None] | None = None) -> None:
        self.directory = directory
        self.https_port, self.http_port = https_port, http_port
        self._on_hosts = on_hosts
        self._routes: dict[Key, RouteEntry] = {}
        self._by_host: dict[str, list[RouteEntry]] = {}
        self._lock = threading.Lock()
        self._default = server_context(*certificate)
        self._default.sni_callback = self._pick_certificate
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: socket.socket | None = None
        self._servers: list[web.Server] = []
        self._http_listener: asyncio.base_events.Server | None = None
        self._client: aiohttp.ClientSession | None = None

    # ---- the table ----------------------------------------------------------------------------

    def set_route(self, key: Key, entry: RouteEntry | None) -> None:
        with self._lock:
            before = set(self._by_host)
            if entry is None:
                self._routes.pop(key, None)
            else:
                self._routes[key] = entry
            by_host: dict[str, list[RouteEntry]] = {}
            for e in self._routes.values():
                by_host.setdefault(e.host, []).append(e)
            for entries in by_host.values():
                entries.sort(key=lambda e: len(e.path), reverse=True)
            self._by_host = by_host
            hosts = set(by_host)
        if hosts != before and self._on_hosts is not None:
            self._on_hosts(hosts)

    def find(self, host: str, path: str = "/") -> RouteEntry | None:
        """The route serving host and path: the longest matching path prefix."""
        for entry in self._by_host.get(host.lower(), ()):
            if path.startswith(entry.path):
                return entry
        return None

    def _pick_certificate(self, ssl_object: Any, server_name: str | None, _: ssl.SSLContext) -> None:
        """SNI: a route's own certificate when it has one; otherwise the wildcard stays."""
        entry = self.find(server_name or "")
        if entry is not None and entry.certificate and entry.key:
            digest = hashlib.sha256((entry.certificate + entry.key).encode()).hexdigest()
            if digest not in self._contexts:
                self._contexts[digest] = server_context(entry.certificate.encode(), entry.key.encode())
            ssl_object.context = self._contexts[digest]

    # ---- listeners ----------------------------------------------------------------------------

    async def start(self) -> None:
        for port in (self.https_port, self.http_port):
            if port:
                check_port_free(port, component=COMPONENT)
        loop = asyncio.get_running_loop()
        self._client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ssl=False), auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"), read_bufsize=CHUNK,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=300))
        https = web.Server(functools.partial(self._proxy, scheme="https"), access_log=None)
        plain = web.Server(functools.partial(self._proxy, scheme="http"), access_log=None)
        self._servers = [https, plain]
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, self.https_port))
        listener.listen(512)
        listener.setblocking(False)
        self._listener = listener
        self.https_port = listener.getsockname()[1]
        self._http_listener = await loop.create_server(plain, LOOPBACK, self.http_port, reuse_address=True)
        self.http_port = self._http_listener.sockets[0].getsockname()[1]
        self._spawn(self._accept(listener, https))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        if self._http_listener is not None:
            self._http_listener.close()
        if self._listener is not None:
            self._listener.close()
        for task in list(self._tasks):
            task.cancel()
        for server in self._servers:
            await server.shutdown(1)
        if self._client is not None:
            await self._client.close()

    async def _accept(self, listener: socket.socket, https: web.Server) -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn, _ = await loop.sock_accept(listener)
            self._spawn(self._serve_tls(conn, https))

    async def _serve_tls(self, conn: socket.socket, https: web.Server) -> None:
        """Passthrough by SNI, else terminate TLS here and hand the connection to the HTTP proxy."""
        try:
            hello = await asyncio.wait_for(_peek_client_hello(conn), 10)
            entry = self.find(parse_server_name(hello) or "")
            if entry is not None and entry.termination == "passthrough":
                backend = self.directory.lookup(entry.namespace, entry.service, entry.target_port)
                if backend is None:
                    conn.close()
                    return
                await _splice(conn, backend)
                return
            await asyncio.get_running_loop().connect_accepted_socket(https, conn, ssl=self._default,
                                                                      ssl_handshake_timeout=10)
        except (OSError, TimeoutError, ssl.SSLError):
            conn.close()

    # ---- HTTP ---------------------------------------------------------------------------------

    async def _proxy(self, request: web.BaseRequest, *, scheme: str) -> web.StreamResponse:
        host = request.host.rsplit(":", 1)[0] if request.host.count(":") == 1 else request.host
        entry = self.find(host, request.path)
        if entry is None:
            return _unavailable()
        if scheme == "http" and entry.termination:
            if entry.insecure == "Redirect":
                raise web.HTTPFound(f"https://{host}{request.rel_url}")
            if entry.insecure != "Allow" or entry.termination == "passthrough":
                return _unavailable()
        if scheme == "https" and not entry.termination:
            return _unavailable()
        backend = self.directory.lookup(entry.namespace, entry.service, entry.target_port)
        if backend is None:
            return _unavailable()
        url = f"{'https' if backend.tls else 'http'}://{backend}{request.rel_url}"
        headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP)
        peer = (request.transport.get_extra_info("peername") or ("",))[0] if request.transport else ""
        headers.update({"X-Forwarded-Host": request.host, "X-Forwarded-Proto": scheme,
                        "X-Forwarded-Port": "443" if scheme == "https" else "80", "X-Forwarded-For": peer,
                        "Forwarded": f"for={peer};host={request.host};proto={scheme}"})
        assert self._client is not None
        try:
            return await relay(self._client, request, url, headers)
        except (aiohttp.ClientConnectionError, TimeoutError):
            return _unavailable()


def _unavailable() -> web.Response:
    return web.Response(status=503, text=UNAVAILABLE, content_type="text/html",
                        headers={"Cache-Control": "private, max-age=0, no-cache, no-store"})


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _peek_client_hello(conn: socket.socket) -> bytes:
    """The ClientHello record, read with MSG_PEEK so the TLS handshake still sees every byte."""
    loop = asyncio.get_running_loop()
    while True:
        readable: asyncio.Future[None] = loop.create_future()
        loop.add_reader(conn.fileno(), _settle, readable)
        try:
            await readable
        finally:
            loop.remove_reader(conn.fileno())
        data = conn.recv(16384, socket.MSG_PEEK)
        if not data or data[0] != 0x16 or len(data) >= 16384 or (
                len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[3:5])):
            return data
        await asyncio.sleep(0.002)  # the rest of the record is on its way


async def _splice(conn: socket.socket, backend: Address) -> None:
    """Copy bytes both ways between the client and the backend until both sides close."""
    up_reader, up_writer = await asyncio.open_connection(backend.host, backend.port)
    down_reader, down_writer = await asyncio.open_connection(sock=conn)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()

    try:
        await asyncio.gather(pipe(down_reader, up_writer), pipe(up_reader, down_writer))
    finally:
        for writer in (up_writer, down_writer):
            writer.close()


async def relay(client: aiohttp.ClientSession, request: web.Request, url: str, headers) -> web.StreamResponse:
    """Send `request` on to `url` and stream the answer back, minus hop-by-hop headers (an HTTP proxy hop)."""
    async with client.request(request.method, url, headers=headers, allow_redirects=False,
                              data=request.content if request.body_exists else None) as upstream:
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason, headers=CIMultiDict(
            (k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP))
        await response.prepare(request)
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
        return response
