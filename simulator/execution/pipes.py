"""Byte pipes between the commands of one exec session: bounded (a slow reader slows the writer), with EOF."""

from __future__ import annotations

import asyncio
from typing import Protocol

DEPTH = 8  # chunks in flight per pipe: with 64 KiB reads, at most ~512 KiB buffered


class Source(Protocol):
    async def read(self) -> bytes:
        """The next chunk; b"" at end of stream (and after it)."""
        ...


class Sink(Protocol):
    async def write(self, data: bytes) -> None: ...

    async def close(self) -> None: ...


class Pipe:
    """`write`/`close` on one end, `read` on the other. `abandon()` is the reader leaving: later writes are
    dropped (a shell's writer would get SIGPIPE; here it just finishes)."""

    def __init__(self, depth: int = DEPTH) -> None:
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(depth)
        self._closed = self._eof = self._abandoned = False

    async def write(self, data: bytes) -> None:
        if data and not self._closed and not self._abandoned:
            await self._queue.put(data)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            if not self._abandoned:
                await self._queue.put(b"")

    def close_nowait(self) -> None:
        """EOF from a thread-free context that must not wait (the client closed stdin)."""
        if not self._closed:
            self._closed = True
            try:
                self._queue.put_nowait(b"")
            except asyncio.QueueFull:
                asyncio.get_running_loop().create_task(self._queue.put(b""))

    async def read(self) -> bytes:
        if self._eof:
            return b""
        data = await self._queue.get()
        if not data:
            self._eof = True
        return data

    def abandon(self) -> None:
        self._abandoned = True
        while not self._queue.empty():
            self._queue.get_nowait()


class Discard:
    """A sink that drops everything (`/dev/null`, an unrequested stdout)."""

    async def write(self, data: bytes) -> None:
        return None

    async def close(self) -> None:
        return None


class Empty:
    """A source at end of stream (no stdin)."""

    async def read(self) -> bytes:
        return b""
