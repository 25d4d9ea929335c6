"""A small pool of psycopg async connections to Quay's database; each use is one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row


class Database:
    """Up to `size` connections, opened on demand; a broken connection is dropped, not reused, and an idle one
    is checked before use, so the pool reconnects once the server is back (as Quay's retrying connections do)."""

    def __init__(self, conninfo: dict[str, Any], *, size: int = 8) -> None:
        self._conninfo = conninfo
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._slots = asyncio.Semaphore(size)

    async def _checkout(self) -> psycopg.AsyncConnection[Any]:
        """An idle connection that answers, else a new one.

        One that does not answer means the server ended our sessions (a restart, a restore dropping the
        database): the other idle ones went with it, so all are closed rather than each failing a request.
        """
        if self._idle:
            conn = self._idle.pop()
            try:
                await conn.execute("")  # a round trip, as psycopg_pool's check_connection
                return conn
            except psycopg.OperationalError:
                await conn.close()
                await self.close()
        return await psycopg.AsyncConnection.connect(**self._conninfo, autocommit=True, row_factory=dict_row,
                                                     connect_timeout=10)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with self._slots:
            conn = await self._checkout()
            try:
                async with conn.transaction():
                    yield conn
            finally:
                if conn.broken or conn.closed:
                    await conn.close()
                else:
                    self._idle.append(conn)

    async def close(self) -> None:
        while self._idle:
            await self._idle.pop().close()
