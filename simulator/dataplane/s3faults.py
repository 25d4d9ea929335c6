"""A proxy in front of SeaweedFS's S3 port that fails the requests a fault picks: an S3 error answer, or a dropped
connection. While a fault is on, NooBaa's `s3` Service (the route, bucket claims' endpoint) points at it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from simulator.dataplane.directory import Address
from simulator.dataplane.processes import LOOPBACK
from simulator.dataplane.router import CHUNK, HOP_BY_HOP, relay

# S3's own codes and texts for the failures clients retry (AWS S3 API reference, "Error responses")
S3_ERRORS = {500: ("InternalError", "We encountered an internal error. Please try again."),
             503: ("SlowDown", "Please reduce your request rate.")}


@dataclass(frozen=True)
class S3Failure:
    """How to fail one request: answer `code` with S3's error body, or (`drop`) cut the connection unanswered."""

    code: int = 503
    drop: bool = False


Decide = Callable[[str, str], "S3Failure | None"]  # (method, path) → a failure, or None to pass through


def error_body(code: int, path: str) -> str:
    name, message = S3_ERRORS[code]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{name}</Code><Message>{message}</Message>'
            f"<Resource>{path}</Resource><RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>")


class S3FaultProxy:
    """Runs on the data plane's loop; `start()` binds 127.0.0.1 and returns the address to publish."""

    def __init__(self, upstream: Address, decide: Decide) -> None:
        self.upstream = upstream
        self._decide = decide
        self._runner: web.ServerRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.address: Address | None = None

    async def start(self) -> Address:
        self._client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"), read_bufsize=CHUNK,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=300))
        self._runner = web.ServerRunner(web.Server(self._handle, access_log=None))
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOOPBACK, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.address = Address(LOOPBACK, port)
        return self.address

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        failure = self._decide(request.method, request.path)
        if failure is not None and failure.drop:
            await request.read()
            assert request.transport is not None
            request.transport.abort()  # the client sees the connection reset before any answer
            raise asyncio.CancelledError
        if failure is not None:
            await request.read()
            return web.Response(status=failure.code, text=error_body(failure.code, request.path),
                                content_type="application/xml", headers={"Retry-After": "1"})
        headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP)
        assert self._client is not None
        url = f"http://{self.upstream}{request.rel_url}"
        return await relay(self._client, request, url, headers)
