"""Admin endpoints for fault injection, outside `/api*`: `GET`, `POST` and `DELETE /_simulator/faults[/{id}]`.

HTTP translation only: `simulator.faults.FaultBook` holds the faults and their rules.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from simulator.apiserver.handlers import json_response
from simulator.faults import FaultBook
from simulator.store.errors import BadRequest

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PATH = "/_simulator/faults"


def fault_routes(book: FaultBook) -> list[tuple[str, str, Handler]]:
    """(method, path, handler) for the ApiServer's `admin` routes; the handlers block in a thread, not the loop."""

    async def list_faults(request: web.Request) -> web.Response:
        faults = await asyncio.to_thread(book.list)
        now = book.ctx.clock.now()
        return json_response({"kind": "FaultList", "items": [f.to_dict(now) for f in faults]})

    async def add_fault(request: web.Request) -> web.Response:
        body = await _body(request)
        kind, target = body.get("kind"), body.get("target")
        if not isinstance(kind, str) or not isinstance(target, str):
            raise BadRequest('a fault needs "kind" and "target" strings')
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise BadRequest('"params" must be an object')
        fault = await asyncio.to_thread(book.add, kind, target, for_seconds=body.get("for"), **params)
        return json_response(fault.to_dict(book.ctx.clock.now()), 201)

    async def clear_all(request: web.Request) -> web.Response:
        return await _cleared(book, "all")

    async def clear_one(request: web.Request) -> web.Response:
        return await _cleared(book, request.match_info["id"])

    return [("GET", PATH, list_faults), ("POST", PATH, add_fault), ("DELETE", PATH, clear_all),
            ("DELETE", PATH + "/{id}", clear_one)]


async def _cleared(book: FaultBook, which: str) -> web.Response:
    faults = await asyncio.to_thread(book.clear, which)
    now = book.ctx.clock.now()
    return json_response({"kind": "FaultList", "items": [f.to_dict(now) for f in faults]})


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError as e:
        raise BadRequest(f"error decoding request body: {str(e)[:200]}") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body
