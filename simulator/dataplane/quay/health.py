"""Quay's health endpoints: `/health/instance` (the pod's probes) and `/health/endtoend`, checking the real
database and bucket; the body has Quay's shape (`data.services`, `status_code`)."""

from __future__ import annotations

import psycopg
from aiohttp import web

from simulator.dataplane.quay.context import context


async def _check(request: web.Request) -> web.Response:
    ctx = context(request)
    try:
        async with ctx.db.transaction() as conn:
            await conn.execute("SELECT 1")
        database = True
    except (psycopg.Error, OSError):
        database = False
    storage = await ctx.storage.check()
    services = {"auth": database, "database": database, "disk_space": True, "registry_gunicorn": True,
                "service_key": True, "storage": storage, "web_gunicorn": True}
    status = 200 if all(services.values()) else 503
    return web.json_response({"data": {"services": services}, "status_code": status}, status=status)


async def instance(request: web.Request) -> web.Response:
    return await _check(request)


async def endtoend(request: web.Request) -> web.Response:
    return await _check(request)


ROUTES = [
    ("GET", "/health/instance", instance, "web.instance_health"),
    ("GET", "/health", instance, "web.instance_health"),
    ("GET", "/health/endtoend", endtoend, "web.endtoend_health"),
]
