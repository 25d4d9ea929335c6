"""The aiohttp application: bearer-token auth, the route table, Status errors, and admin endpoints.

Admin endpoints live under `/_simulator/` (outside `/api*`): `reset` forgets every object,
`compact` expires resourceVersions so watches and continue tokens get 410; others join through `admin`.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from simulator.apiserver import discovery
from simulator.apiserver.handlers import MAX_BODY_BYTES, Handlers, error_response, json_response
from simulator.apiserver.openapi import OpenAPI
from simulator.apiserver.routes import parse_target
from simulator.store import Store
from simulator.store.errors import InternalError, NotAcceptable, NotFound, StatusError, Unauthorized

log = logging.getLogger(__name__)
_PUBLIC = ("/version", "/healthz", "/livez", "/readyz")
_NOT_FOUND = "the server could not find the requested resource"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiServer:
    """HTTP translation for one Store. `handlers.hooks` is where fault injection plugs in."""

    def __init__(self, store: Store, *, token: str, server_address: str = "127.0.0.1:6443") -> None:
        self.store = store
        self.token = token
        self.server_address = server_address
        self.handlers = Handlers(store)
        self.admin: list[tuple[str, str, Handler]] = []  # more (method, path, handler) under /_simulator/
        self.openapi = OpenAPI(lambda: store.resources)
        self._resources_seen = id(store.resources), len(list(store.resources))

    def _openapi(self) -> OpenAPI:
        seen = id(self.store.resources), len(list(self.store.resources))
        if seen != self._resources_seen:  # a CRD came or went
            self.openapi.invalidate()
            self._resources_seen = seen
        return self.openapi

    def _guard(self, handler: Handler, *, public: bool = False) -> Handler:
        """`handler` behind bearer-token auth, with StatusError → Status body and crashes → 500.

        A wrapper per route rather than an aiohttp middleware: aiohttp rebuilds the middleware chain on
        every request, which cost ~15% of a write's CPU time.
        """
        expected = f"Bearer {self.token}".encode()

        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                if not public and not hmac.compare_digest(request.headers.get("Authorization", "").encode(),
                                                          expected):
                    raise Unauthorized("Unauthorized")
                return await handler(request)
            except StatusError as e:
                return error_response(e)
            except web.HTTPException:
                raise
            except Exception as e:
                log.exception("internal error serving %s %s", request.method, request.path)
                return error_response(InternalError(f"Internal error occurred: {type(e).__name__}: {e}"[:500]))

        return guarded

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES * 2)
        router = _GuardedRouter(app.router, self._guard)
        router.add_get("/version", self.version)
        for path in ("/healthz", "/livez", "/readyz"):
            router.add_get(path, self.healthz)
        router.add_get("/api", self.api)
        router.add_get("/api/", self.api)
        router.add_get("/apis/", self.apis)
        router.add_get("/api/{version}", self.core_resources)
        router.add_get("/apis", self.apis)
        router.add_get("/apis/{group}", self.group)
        router.add_get("/apis/{group}/{version}", self.group_resources)
        router.add_get("/openapi/v2", self.openapi_v2)
        router.add_get("/openapi/v3", self.openapi_v3)
        router.add_get("/openapi/v3/{path:.+}", self.openapi_v3_group_version)
        router.add_route("*", "/api/{version}/{tail:.+}", self.core_resource)
        router.add_route("*", "/apis/{group}/{version}/{tail:.+}", self.group_resource)
        router.add_post("/_simulator/reset", self.reset)
        router.add_post("/_simulator/compact", self.compact)
        for method, path, handler in self.admin:
            router.add_route(method, path, handler)
        router.add_route("*", "/{tail:.*}", self.not_found)  # unknown paths: 401 or a 404 Status
        return app

    async def not_found(self, request: web.Request) -> web.Response:
        raise NotFound(_NOT_FOUND)

    async def version(self, request: web.Request) -> web.Response:
        return json_response(discovery.SERVER_VERSION)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def api(self, request: web.Request) -> web.Response:
        return json_response(discovery.api_versions(self.server_address))

    async def apis(self, request: web.Request) -> web.Response:
        return json_response(discovery.api_group_list(self.store.resources))

    async def group(self, request: web.Request) -> web.Response:
        doc = discovery.api_group(self.store.resources, request.match_info["group"])
        if doc is None:
            raise NotFound(_NOT_FOUND)
        return json_response(doc)

    def _resource_list(self, group: str, version: str) -> web.Response:
        doc = discovery.resource_list(self.store.resources, group, version)
        if doc is None:
            raise NotFound(_NOT_FOUND)
        return json_response(doc)

    async def core_resources(self, request: web.Request) -> web.Response:
        return self._resource_list("", request.match_info["version"])

    async def group_resources(self, request: web.Request) -> web.Response:
        return self._resource_list(request.match_info["group"], request.match_info["version"])

    async def core_resource(self, request: web.Request) -> web.StreamResponse:
        version = request.match_info["version"]
        target = parse_target(self.store.resources, "", version, request.match_info["tail"].split("/"))
        return await self.handlers.dispatch(request, target, "", version)

    async def group_resource(self, request: web.Request) -> web.StreamResponse:
        group, version = request.match_info["group"], request.match_info["version"]
        target = parse_target(self.store.resources, group, version, request.match_info["tail"].split("/"))
        return await self.handlers.dispatch(request, target, group, version)

    async def openapi_v2(self, request: web.Request) -> web.Response:
        accept = request.headers.get("Accept", "")
        if accept and "json" not in accept and "*/*" not in accept:
            raise NotAcceptable("only application/json is served for /openapi/v2")
        return web.Response(body=self._openapi().v2(), content_type="application/json")

    async def openapi_v3(self, request: web.Request) -> web.Response:
        return json_response(self._openapi().v3_root())

    async def openapi_v3_group_version(self, request: web.Request) -> web.Response:
        doc = self._openapi().v3_group_version(request.match_info["path"])
        if doc is None:
            raise NotFound(_NOT_FOUND)
        return web.Response(body=doc, content_type="application/json",
                            headers={"Cache-Control": "public, immutable"})

    async def reset(self, request: web.Request) -> web.Response:
        self.store.reset()
        self.openapi.invalidate()
        return json_response({"kind": "Status", "apiVersion": "v1", "status": "Success"})

    async def compact(self, request: web.Request) -> web.Response:
        self.store.compact()
        return json_response({"kind": "Status", "apiVersion": "v1", "status": "Success",
                              "message": f"compacted up to {self.store.resource_version}"})


class _GuardedRouter:
    """Registers every route through `guard`; public paths skip the token check."""

    def __init__(self, router: web.UrlDispatcher, guard: Callable[..., Handler]) -> None:
        self._router = router
        self._guard = guard

    def add_get(self, path: str, handler: Handler) -> None:
        self._router.add_get(path, self._guard(handler, public=path in _PUBLIC))

    def add_post(self, path: str, handler: Handler) -> None:
        self._router.add_post(path, self._guard(handler, public=path in _PUBLIC))

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        self._router.add_route(method, path, self._guard(handler, public=path in _PUBLIC))
