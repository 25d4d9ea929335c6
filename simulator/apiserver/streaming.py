"""`pods/exec`, `pods/attach` and `pods/portforward` over WebSocket, as kube-apiserver and the kubelet serve them.

Exec: `channel.k8s.io` (v1), `v4.channel.k8s.io` and `v5.channel.k8s.io` (plus the base64 variants); one byte
of channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize, 255 close in v5) before each message; the exit
comes on channel 3 as a v1 Status (`NonZeroExitCode`) in v4/v5, as text before. Port-forward: channel pairs
(data 2i, error 2i+1, each opened by the 2-byte little-endian port) for `?ports=`, or kubectl's SPDY/3.1
tunnelled through the WebSocket (`simulator.apiserver.spdy`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from simulator.apiserver.handlers import error_response
from simulator.apiserver.spdy import PortForwardSession
from simulator.execution.pipes import Discard, Empty, Pipe, Sink, Source
from simulator.execution.runtime import PodRuntime
from simulator.store import Store
from simulator.store.errors import BadRequest, StatusError, Unauthorized

log = logging.getLogger(__name__)

PATH = "/api/v1/namespaces/{namespace}/pods/{name}/{subresource:exec|attach|portforward}"
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io", "v3.channel.k8s.io",
                  "v2.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io")
TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
PORTFORWARD_PROTOCOLS = ("v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io",
                         "base64.channel.k8s.io", TUNNEL_PROTOCOL)
CHUNK = 32 * 1024


def add_stream_routes(app: web.Application, store: Store, runtime: PodRuntime, *, token: str) -> None:
    """Serve the three subresources on `app` (more specific than the generic resource routes, so they win)."""
    streams = PodStreams(store, runtime, token=token)
    app.router.add_route("*", PATH, streams.serve)


@dataclass(frozen=True)
class Codec:
    """How one negotiated protocol frames channels: binary or base64 text, and its version (1-5)."""

    version: int
    base64: bool

    @classmethod
    def of(cls, protocol: str | None) -> Codec:
        protocol = protocol or "channel.k8s.io"
        version = int(protocol[1]) if protocol.startswith("v") else 1
        return cls(version, ".base64." in f".{protocol}")

    def encode(self, channel: int, data: bytes) -> tuple[bytes | str, bool]:
        if self.base64:
            return chr(ord("0") + channel) + base64.b64encode(data).decode(), False
        return bytes([channel]) + data, True

    def decode(self, message: bytes | str) -> tuple[int, bytes]:
        if isinstance(message, str):
            return ord(message[0]) - ord("0"), base64.b64decode(message[1:])
        return message[0], message[1:]


class _Channel:
    """A Sink writing one channel of a WebSocket; sends are serialised so frames never interleave."""

    def __init__(self, ws: web.WebSocketResponse, codec: Codec, channel: int, lock: asyncio.Lock) -> None:
        self.ws, self.codec, self.channel, self.lock = ws, codec, channel, lock

    async def write(self, data: bytes) -> None:
        for i in range(0, len(data), CHUNK):
            await self.send(data[i:i + CHUNK])

    async def send(self, data: bytes) -> None:
        payload, binary = self.codec.encode(self.channel, data)
        async with self.lock:
            if self.ws.closed:
                raise ConnectionResetError("the client went away")
            if binary:
                await self.ws.send_bytes(payload)  # type: ignore[arg-type]
            else:
                await self.ws.send_str(payload)  # type: ignore[arg-type]

    async def close(self) -> None:
        return None


class PodStreams:
    """The handlers: authenticate, find the pod and container as kube-apiserver does, then stream."""

    def __init__(self, store: Store, runtime: PodRuntime, *, token: str) -> None:
        self.store, self.runtime = store, runtime
        self._expected = f"Bearer {token}".encode()

    async def serve(self, request: web.Request) -> web.StreamResponse:
        try:
            if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), self._expected):
                raise Unauthorized("Unauthorized")
            pod = self.store.get(self.store.kind("v1", "Pod"), request.match_info["name"],
                                 request.match_info["namespace"])
            if not pod["spec"].get("nodeName"):
                raise BadRequest(f"pod {pod['metadata']['name']} does not have a host assigned")
            if request.headers.get("Upgrade", "").lower() != "websocket":
                raise BadRequest("Upgrade request required")
            if request.match_info["subresource"] == "portforward":
                return await self._portforward(request, pod)
            return await self._exec(request, pod)
        except StatusError as e:
            return error_response(e)

    # ---- exec and attach ------------------------------------------------------------------------

    async def _exec(self, request: web.Request, pod: dict[str, Any]) -> web.StreamResponse:
        query = request.query
        container = _container_name(pod, query.get("container", ""))
        attach = request.match_info["subresource"] == "attach"
        argv = query.getall("command", [])
        if not argv and not attach:
            raise BadRequest("you must specify at least 1 command")
        want = {k: _flag(query.get(k)) for k in ("stdin", "stdout", "stderr", "tty")}
        if not (want["stdin"] or want["stdout"] or want["stderr"]):
            raise BadRequest("you must specify at least 1 of stdin, stdout, stderr")
        if not _running(pod, container):
            return web.Response(status=404, text=f'container not found ("{container}")')
        ws = web.WebSocketResponse(protocols=EXEC_PROTOCOLS, max_msg_size=0)
        await ws.prepare(request)
        codec = Codec.of(ws.ws_protocol)
        lock = asyncio.Lock()
        stdin: Source = Pipe() if want["stdin"] else Empty()
        stdout: Sink = _Channel(ws, codec, STDOUT, lock) if want["stdout"] else Discard()
        stderr: Sink = stdout if want["tty"] else (_Channel(ws, codec, STDERR, lock) if want["stderr"]
                                                   else Discard())
        view = self.runtime.container(pod, container)
        if attach:  # the main process is simulated: attaching shows nothing and ends when the client leaves
            argv = ["sleep", "86400"]
        command = asyncio.create_task(self.runtime.exec(view, argv, stdin=stdin, stdout=stdout, stderr=stderr))
        reader = asyncio.create_task(_read_client(ws, codec, stdin))
        done, _ = await asyncio.wait({command, reader}, return_when=asyncio.FIRST_COMPLETED)
        if command not in done:  # the client went away: so does the process
            command.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await command
            return ws
        reader.cancel()
        try:
            code = command.result()
            status = _exit_status(code, argv, codec)
            await _Channel(ws, codec, ERROR, lock).send(status)
        except ConnectionResetError:
            pass
        except Exception as e:  # reported to the client on the error channel, as kubelet does
            log.exception("exec %s in %s failed", argv, pod["metadata"]["name"])
            with contextlib.suppress(ConnectionResetError):
                await _Channel(ws, codec, ERROR, lock).send(_internal_error(e, codec))
        await ws.close()
        return ws

    # ---- port-forward ---------------------------------------------------------------------------

    async def _portforward(self, request: web.Request, pod: dict[str, Any]) -> web.StreamResponse:
        ports = _ports(request.query.getall("ports", []))
        ws = web.WebSocketResponse(protocols=PORTFORWARD_PROTOCOLS, max_msg_size=0)
        await ws.prepare(request)
        meta = pod["metadata"]
        pod_label = f"{meta['name']}_{meta['namespace']}"

        async def dial(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            address = self.runtime.address(pod, port)
            if address is None:
                raise ConnectionRefusedError(f"failed to connect to localhost:{port} inside namespace "
                                             f"\"{meta['uid']}\", IPv4: dial tcp4 127.0.0.1:{port}: "
                                             "connect: connection refused")
            return await asyncio.open_connection(address.host, address.port, limit=CHUNK)

        if ws.ws_protocol == TUNNEL_PROTOCOL:
            lock = asyncio.Lock()

            async def send(frame: bytes) -> None:
                async with lock:
                    if ws.closed:
                        raise ConnectionResetError("the client went away")
                    await ws.send_bytes(frame)

            session = PortForwardSession(send, dial, pod=pod_label, uid=meta["uid"])
            try:
                async for message in ws:
                    if message.type == WSMsgType.BINARY:
                        await session.feed(message.data)
            finally:
                await session.close()
            return ws
        if not ports:
            await ws.close()
            return ws
        await _forward_channels(ws, Codec.of(ws.ws_protocol), ports, dial, pod_label, meta["uid"])
        return ws


async def _forward_channels(ws: web.WebSocketResponse, codec: Codec, ports: list[int], dial, pod: str,
                            uid: str) -> None:
    """kubelet's WebSocket port-forward: each port's data and error channels open with the port number, the
    data flows until the target closes, then the connection ends."""
    lock = asyncio.Lock()
    writers: dict[int, asyncio.StreamWriter] = {}
    copies = []

    async def copy_back(i: int, reader: asyncio.StreamReader) -> None:
        data = _Channel(ws, codec, 2 * i, lock)
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(CHUNK):
                await data.send(chunk)

    for i, port in enumerate(ports):
        opening = port.to_bytes(2, "little")
        await _Channel(ws, codec, 2 * i, lock).send(opening)
        await _Channel(ws, codec, 2 * i + 1, lock).send(opening)
        try:
            reader, writers[i] = await dial(port)
        except OSError as e:
            await _Channel(ws, codec, 2 * i + 1, lock).send(
                f"error forwarding port {port} to pod {pod}, uid {uid}: {e}".encode())
            continue
        copies.append(asyncio.create_task(copy_back(i, reader)))

    async def from_client() -> None:
        async for message in ws:
            if message.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
                continue
            channel, data = codec.decode(message.data)
            writer = writers.get(channel // 2)
            if channel % 2 == 0 and writer is not None and data:
                with contextlib.suppress(ConnectionError):
                    writer.write(data)
                    await writer.drain()

    reader_task = asyncio.create_task(from_client())
    copying = asyncio.gather(*copies)
    try:
        if copies:
            await asyncio.wait({reader_task, copying}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        reader_task.cancel()
        copying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await copying
        for writer in writers.values():
            writer.close()
        await ws.close()


async def _read_client(ws: web.WebSocketResponse, codec: Codec, stdin: Source) -> None:
    """Client → stdin (backpressure through the pipe), resize ignored, v5 close of stdin → EOF."""
    async for message in ws:
        if message.type not in (WSMsgType.BINARY, WSMsgType.TEXT) or not message.data:
            continue
        channel, data = codec.decode(message.data)
        if isinstance(stdin, Pipe):
            if channel == STDIN and data:
                await stdin.write(data)
            elif channel == CLOSE and codec.version >= 5 and data[:1] == bytes([STDIN]):
                stdin.close_nowait()
    if isinstance(stdin, Pipe):
        stdin.close_nowait()


def _exit_status(code: int, argv: list[str], codec: Codec) -> bytes:
    """The error channel's last word: a v1 Status (v4, v5) or, for older protocols, text only on failure."""
    if code == 0:
        status: dict[str, Any] = {"metadata": {}, "status": "Success"}
    else:
        message = f"command terminated with non-zero exit code: error executing command {_go_list(argv)}, " \
                  f"exit code {code}"
        status = {"metadata": {}, "status": "Failure", "message": message, "reason": "NonZeroExitCode",
                  "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
    if codec.version >= 4:
        return json.dumps(status, separators=(",", ":")).encode()
    return status.get("message", "").encode()


def _internal_error(error: Exception, codec: Codec) -> bytes:
    message = f"error executing command in container: {error}"
    status = {"metadata": {}, "status": "Failure", "message": f"Internal error occurred: {message}",
              "reason": "InternalError", "details": {"causes": [{"message": message}]}, "code": 500}
    return json.dumps(status).encode() if codec.version >= 4 else message.encode()


def _go_list(argv: list[str]) -> str:
    return "[" + " ".join(argv) + "]"


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def _container_name(pod: Mapping[str, Any], requested: str) -> str:
    """The container exec targets, validated as kube-apiserver's `validateContainer` does."""
    name = pod["metadata"]["name"]
    names = [c["name"] for c in pod["spec"].get("containers") or []]
    if requested:
        if requested not in names:
            raise BadRequest(f"container {requested} is not valid for pod {name}")
        return requested
    if len(names) == 1:
        return names[0]
    if not names:
        raise BadRequest(f"a container name must be specified for pod {name}")
    raise BadRequest(f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]")


def _running(pod: Mapping[str, Any], container: str) -> bool:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == container:
            return "running" in (status.get("state") or {})
    return False


def _ports(values: list[str]) -> list[int]:
    ports = []
    for value in (p for v in values for p in v.split(",") if p):
        try:
            port = int(value)
        except ValueError:
            raise BadRequest(f'unable to parse "{value}" as a port: invalid syntax') from None
        if not 0 < port < 65536:
            raise BadRequest(f"port {port} must be > 0 and < 65536")
        ports.append(port)
    return ports

