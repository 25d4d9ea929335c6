"""SPDY/3.1 framing and the kubelet's side of `portforward.k8s.io` over it, for kubectl's port-forward tunnelled
through a WebSocket (`SPDY/3.1+portforward.k8s.io`, feature PortForwardWebsockets). Mirrors moby/spdystream and
kubelet `pkg/kubelet/cri/streaming/portforward/httpstream.go`; no flow control, as spdystream has none."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
CHUNK = 32 * 1024

# The SPDY/3 header-compression dictionary (draft 3, section 2.6.10.1): length-prefixed words, then a tail.
_WORDS = (
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
    "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
    "content-base", "content-encoding", "content-language", "content-length", "content-location", "content-md5",
    "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after",
    "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
    "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public",
    "set-cookie", "keep-alive", "origin",
)
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = b"".join(len(w).to_bytes(4, "big") + w.encode() for w in _WORDS) + _TAIL.encode()


class ProtocolError(Exception):
    pass


def control_frame(frame_type: int, payload: bytes, flags: int = 0) -> bytes:
    return struct.pack(">HHI", 0x8000 | VERSION, frame_type, (flags << 24) | len(payload)) + payload


def data_frame(stream_id: int, data: bytes, flags: int = 0) -> bytes:
    return struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(data)) + data


def encode_headers(headers: dict[str, str]) -> bytes:
    out = [struct.pack(">I", len(headers))]
    for name, value in headers.items():
        out += [struct.pack(">I", len(name)), name.encode(), struct.pack(">I", len(value)), value.encode()]
    return b"".join(out)


def decode_headers(block: bytes) -> dict[str, str]:
    (count,), pos, headers = struct.unpack_from(">I", block), 4, {}
    for _ in range(count):
        (n,) = struct.unpack_from(">I", block, pos)
        name = block[pos + 4:pos + 4 + n].decode()
        pos += 4 + n
        (v,) = struct.unpack_from(">I", block, pos)
        headers[name.lower()] = block[pos + 4:pos + 4 + v].decode().split("\x00")[0]
        pos += 4 + v
    return headers


@dataclass
class _Pair:
    """The error and data streams kubectl opens per forwarded connection (same `requestid`)."""

    error: int = 0
    data: int = 0
    port: int = 0
    writer: asyncio.StreamWriter | None = None
    task: asyncio.Task[None] | None = None


Dial = Callable[[int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


class PortForwardSession:
    """The server end of one SPDY connection: `feed(bytes)` what the client sent; frames go out via `send`.

    Each data stream is connected with `dial(port)`; a dial error is written to its error stream in kubelet's
    words (`error forwarding port ... to pod ...`)."""

    def __init__(self, send: Callable[[bytes], Awaitable[None]], dial: Dial, *, pod: str, uid: str) -> None:
        self._send, self._dial, self._pod, self._uid = send, dial, pod, uid
        self._buffer = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, zdict=DICTIONARY)
        self._pairs: dict[str, _Pair] = {}
        self._streams: dict[int, _Pair] = {}

    async def feed(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= 8:
            first, second = struct.unpack_from(">II", self._buffer)
            length = second & 0xFFFFFF
            if len(self._buffer) < 8 + length:
                return
            payload = bytes(self._buffer[8:8 + length])
            del self._buffer[:8 + length]
            flags = second >> 24
            if first & 0x80000000:
                await self._control(first & 0xFFFF, flags, payload)
            else:
                await self._data(first & 0x7FFFFFFF, flags, payload)

    async def close(self) -> None:
        """The tunnel closed: stop every forward."""
        for pair in self._pairs.values():
            if pair.task is not None:
                pair.task.cancel()
            if pair.writer is not None:
                pair.writer.close()

    async def _control(self, frame_type: int, flags: int, payload: bytes) -> None:
        if frame_type == SYN_STREAM:
            stream_id = struct.unpack_from(">I", payload)[0] & 0x7FFFFFFF
            headers = decode_headers(self._inflate.decompress(payload[10:]))
            await self._reply(stream_id)
            await self._open(stream_id, headers)
        elif frame_type == RST_STREAM:
            pair = self._streams.get(struct.unpack_from(">I", payload)[0] & 0x7FFFFFFF)
            if pair is not None and pair.writer is not None:
                pair.writer.close()
        elif frame_type == PING:
            await self._send(control_frame(PING, payload))
        elif frame_type == GOAWAY:
            await self.close()
        elif frame_type in (HEADERS, SYN_REPLY):
            self._inflate.decompress(payload[4:])  # keep the shared zlib context in step
        # SETTINGS and WINDOW_UPDATE: spdystream does no flow control, nor do we

    async def _reply(self, stream_id: int) -> None:
        block = self._deflate.compress(encode_headers({})) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        await self._send(control_frame(SYN_REPLY, struct.pack(">I", stream_id) + block))

    async def _open(self, stream_id: int, headers: dict[str, str]) -> None:
        pair = self._pairs.setdefault(headers.get("requestid", str(stream_id)), _Pair())
        self._streams[stream_id] = pair
        if headers.get("streamtype") == "error":
            pair.error = stream_id
            return
        if headers.get("streamtype") != "data":
            return
        pair.data = stream_id
        try:
            pair.port = int(headers.get("port", ""))
            reader, pair.writer = await self._dial(pair.port)
        except (OSError, ValueError) as e:
            port = headers.get("port", "")
            message = f"error forwarding port {port} to pod {self._pod}, uid {self._uid}: {e}"
            pair.task = asyncio.create_task(self._fail(pair, message))
            return
        pair.task = asyncio.create_task(self._copy_back(pair, reader))

    async def _data(self, stream_id: int, flags: int, payload: bytes) -> None:
        pair = self._streams.get(stream_id)
        if pair is None or stream_id != pair.data or pair.writer is None:
            return
        with contextlib.suppress(ConnectionError):
            if payload:
                pair.writer.write(payload)
                await pair.writer.drain()
            if flags & FLAG_FIN and pair.writer.can_write_eof():
                pair.writer.write_eof()

    async def _copy_back(self, pair: _Pair, reader: asyncio.StreamReader) -> None:
        """Target → client until the target closes; then FIN on data and error streams, as kubelet does."""
        try:
            while chunk := await reader.read(CHUNK):
                await self._send(data_frame(pair.data, chunk))
        except ConnectionError:
            pass
        finally:
            if pair.writer is not None:
                pair.writer.close()
        with contextlib.suppress(ConnectionError):
            await self._send(data_frame(pair.data, b"", FLAG_FIN))
            if pair.error:
                await self._send(data_frame(pair.error, b"", FLAG_FIN))

    async def _fail(self, pair: _Pair, message: str) -> None:
        log.info("port-forward: %s", message)
        with contextlib.suppress(ConnectionError):
            if pair.error:
                await self._send(data_frame(pair.error, message.encode()))
                await self._send(data_frame(pair.error, b"", FLAG_FIN))
            await self._send(data_frame(pair.data, b"", FLAG_FIN))
