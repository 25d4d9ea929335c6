"""A small pool of psycopg async connections to Quay's database; each use is one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row


class Database:
    """Up to `size` connections, opened on demand; a broken connection is dropped, not reused."""

    def __init__(self, conninfo: dict[str, Any], *, size: int = 8) -> None:
        self._conninfo = conninfo
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._slots = asyncio.Semaphore(size)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else await psycopg.AsyncConnection.connect(
                **self._conninfo, autocommit=True, row_factory=dict_row, connect_timeout=10)
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
