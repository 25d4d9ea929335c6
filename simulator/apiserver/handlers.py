"""Request handlers named after the Kubernetes verbs: parse the query, call the Store, serialise.

Watches stream chunked JSON lines; `Accept: ...;as=Table` gets a `meta.k8s.io/v1 Table`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import yaml
from aiohttp import web

from simulator.apiserver import tables
from simulator.apiserver.routes import RequestInfo, Target, verb_for
from simulator.apiserver.status import status_body, success_body
from simulator.store import Store
from simulator.store.errors import (
    BadRequest,
    Cause,
    Expired,
    RequestEntityTooLarge,
    StatusError,
    UnsupportedMediaType,
    conflict,
    invalid,
)
from simulator.store.patching import APPLY, APPLY_CBOR, MERGE, PATCH_TYPES, apply_patch
from simulator.store.selectors import label_selector_to_string

MAX_BODY_BYTES = 3 * 1024 * 1024  # kube-apiserver's --max-request-bytes for JSON bodies
BOOKMARK_SECONDS = 5.0
DEFAULT_WATCH_SECONDS = 1800.0
JSON = "application/json"
PROTOBUF = "application/vnd.kubernetes.protobuf"
_UNKNOWN_FORMAT = ("the body of the request was in an unknown format - accepted media types include: "
                   "application/json, application/yaml, application/vnd.kubernetes.protobuf")

RequestHook = Callable[[RequestInfo], None]


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def json_response(obj: Any, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    headers = {}
    if warnings:
        headers["Warning"] = ", ".join(f'299 - {json.dumps(w)}' for w in warnings)
    return web.Response(body=dumps(obj), status=status, content_type=JSON, headers=headers)


def error_response(err: StatusError) -> web.Response:
    headers = {}
    if err.retry_after_seconds is not None:
        headers["Retry-After"] = str(err.retry_after_seconds)
    return web.Response(body=dumps(status_body(err)), status=err.code, content_type=JSON, headers=headers)


def _bool(value: str | None) -> bool:
    return value is not None and value.lower() in ("true", "1")


def _int(query: Mapping[str, str], key: str) -> int | None:
    value = query.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f'invalid value for {key}: "{value}"') from None


def _wants_table(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    first = accept.split(",")[0]
    return "as=Table" in first and "g=meta.k8s.io" in first


def _field_validation(query: Mapping[str, str]) -> str:
    value = query.get("fieldValidation") or "Warn"
    if value not in ("Ignore", "Warn", "Strict"):
        raise BadRequest(f'fieldValidation must be one of "Ignore", "Warn", "Strict", got "{value}"')
    return value


def _decode_protobuf(raw: bytes) -> dict[str, Any]:
    """A `application/vnd.kubernetes.protobuf` body (what kubectl's typed clients send) as JSON."""
    from simulator.apiserver import protobuf  # only protobuf clients pay for the field table

    try:
        return protobuf.decode_object(raw)
    except LookupError as e:
        raise UnsupportedMediaType(f"{e}; {_UNKNOWN_FORMAT}") from None
    except protobuf.ProtobufError as e:
        raise BadRequest(f"error decoding request body: {e}") from None


def default_manager(request: web.Request) -> str:
    """The field manager when none is given: the User-Agent's product, as kube-apiserver does."""
    agent = request.headers.get("User-Agent", "")
    return agent.split("/", 1)[0] or "unknown"


class Handlers:
    """Verb handlers bound to one Store. `hooks` run before each request (fault injection's seam)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.hooks: list[RequestHook] = []

    async def _body(self, request: web.Request) -> Any:
        raw = await request.read()
        if len(raw) > MAX_BODY_BYTES:
            raise RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY_BYTES}")
        if not raw:
            return None
        ctype = request.content_type
        if ctype == PROTOBUF:
            return _decode_protobuf(raw)
        if "protobuf" in ctype or "cbor" in ctype:
            # as kube-apiserver answers an encoding it does not serve; client-go then retries in JSON
            raise UnsupportedMediaType(_UNKNOWN_FORMAT)
        try:
            if "yaml" in ctype:
                return yaml.safe_load(raw)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as e:
            raise BadRequest(f"error decoding request body: {str(e)[:200]}") from None

    async def dispatch(self, request: web.Request, target: Target, group: str, version: str) -> web.StreamResponse:
        query = request.query
        verb = verb_for(request.method, target, _bool(query.get("watch")))
        info = RequestInfo(verb, group, version, target.kind.plural, target.namespace, target.name,
                           target.subresource)
        for hook in self.hooks:
            hook(info)
        handler: Callable[[web.Request, Target], Awaitable[web.StreamResponse]] = getattr(self, verb)
        return await handler(request, target)

    # ---- reads ------------------------------------------------------------------------------

    async def get(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        if t.subresource == "log":
            return self._log(request, t)
        obj = self.store.get_shared(t.kind, t.name, t.namespace)
        if t.subresource == "scale":
            return json_response(scale_of(obj))
        if _wants_table(request):
            return json_response(tables.render_table(t.kind, [obj], resource_version=obj["metadata"].get(
                "resourceVersion", ""), include_object=request.query.get("includeObject", "Metadata")))
        return json_response(obj)

    async def list(self, request: web.Request, t: Target) -> web.StreamResponse:
        q = request.query
        result = self.store.list(t.kind, t.namespace, label_selector=q.get("labelSelector"),
                                 field_selector=q.get("fieldSelector"), limit=_int(q, "limit"),
                                 continue_=q.get("continue") or None, copy_items=False)
        if _wants_table(request):
            return json_response(tables.render_table(t.kind, result.items, resource_version=result.resource_version,
                                                     continue_=result.continue_,
                                                     include_object=q.get("includeObject", "Metadata")))
        meta: dict[str, Any] = {"resourceVersion": result.resource_version}
        if result.continue_:
            meta["continue"] = result.continue_
        return json_response({"kind": t.kind.list_kind, "apiVersion": t.kind.api_version, "metadata": meta,
                              "items": result.items})

    async def watch(self, request: web.Request, t: Target) -> web.StreamResponse:
        q = request.query
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        timeout = _int(q, "timeoutSeconds")
        table = _wants_table(request)
        send_initial = q.get("sendInitialEvents")
        response = web.StreamResponse(status=200, headers={"Content-Type": JSON, "Cache-Control": "no-cache"})
        response.enable_chunked_encoding()
        try:
            w = self.store.watch(t.kind, t.namespace, resource_version=q.get("resourceVersion"),
                                 label_selector=q.get("labelSelector"), field_selector=q.get("fieldSelector"),
                                 name=t.name, send_initial_events=_bool(send_initial) if send_initial else None,
                                 notify=lambda: loop.call_soon_threadsafe(wake.set))
        except Expired as e:
            # kube-apiserver's watch cache answers an expired resourceVersion with 200 and one ERROR event
            await response.prepare(request)
            await response.write(dumps({"type": "ERROR", "object": status_body(e)}) + b"\n")
            return response
        await response.prepare(request)
        deadline = time.monotonic() + (timeout if timeout is not None else DEFAULT_WATCH_SECONDS)
        bookmarks = _bool(q.get("allowWatchBookmarks"))
        include = q.get("includeObject", "Metadata")
        first_table = True
        try:
            while True:
                events = w.drain()
                if events:
                    chunk = []
                    for event in events:
                        if table and event["type"] != "BOOKMARK":
                            event = {"type": event["type"], "object": tables.render_table(
                                t.kind, [event["object"]], resource_version=event["object"]["metadata"].get(
                                    "resourceVersion", ""), include_object=include, with_columns=first_table)}
                            first_table = False
                        chunk.append(dumps(event) + b"\n")
                    await response.write(b"".join(chunk))
                if w.closed:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                wake.clear()
                if w.has_pending():  # an event may have arrived between drain and clear
                    continue
                try:
                    await asyncio.wait_for(wake.wait(), min(remaining, BOOKMARK_SECONDS))
                except TimeoutError:
                    if bookmarks:
                        mark = w.bookmark()
                        if mark is not None:
                            await response.write(dumps(mark) + b"\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            w.stop()
        return response

    def _log(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None and t.namespace is not None
        pod = self.store.get_shared(t.kind, t.name, t.namespace)
        containers = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
        container = request.query.get("container")
        if not container:
            if len(containers) != 1:
                raise BadRequest(f"a container name must be specified for pod {t.name}, choose one of: "
                                 f"[{' '.join(containers)}]")
            container = containers[0]
        elif container not in containers + [c.get("name") for c in (pod.get("spec") or {}).get(
                "initContainers") or []]:
            raise BadRequest(f"container {container} is not valid for pod {t.name}")
        lines = self.store.read_log(t.namespace, t.name, container)
        tail = _int(request.query, "tailLines")
        if tail is not None:
            lines = lines[-tail:] if tail else []
        return web.Response(text="".join(line + "\n" for line in lines),
                            content_type="text/plain")

    # ---- writes -----------------------------------------------------------------------------

    def _write_options(self, request: web.Request) -> dict[str, Any]:
        q = request.query
        dry = q.getall("dryRun", [])
        if any(d != "All" for d in dry):
            raise BadRequest(f'dryRun: Unsupported value: "{dry[0]}": supported values: "All"')
        return {"dry_run": bool(dry), "field_manager": q.get("fieldManager") or default_manager(request),
                "field_validation": _field_validation(q)}

    async def create(self, request: web.Request, t: Target) -> web.StreamResponse:
        body = await self._body(request)
        warnings: list[str] = []
        obj = self.store.create(t.kind, body or {}, namespace=t.namespace, warnings=warnings, shared=True,
                                **self._write_options(request))
        return json_response(obj, 201, warnings)

    async def update(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        body = await self._body(request)
        warnings: list[str] = []
        opts = self._write_options(request)
        if t.subresource == "scale":
            return json_response(self._write_scale(t, body, opts, merge=False))
        obj = self.store.update(t.kind, body or {}, namespace=t.namespace, name=t.name, subresource=t.subresource,
                                warnings=warnings, shared=True, **opts)
        return json_response(obj, 200, warnings)

    async def patch(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        ctype = request.content_type
        if ctype == APPLY_CBOR or ctype not in PATCH_TYPES:
            raise_unsupported(ctype)
        body = await self._body(request)
        if body is None:
            raise BadRequest("the body of the request is empty")
        opts = self._write_options(request)
        warnings: list[str] = []
        if t.subresource == "scale":
            return json_response(self._write_scale(t, body, opts, merge=True, patch_type=ctype))
        if ctype == APPLY:
            opts["field_manager"] = request.query.get("fieldManager") or None
        obj = self.store.patch(t.kind, t.name, body, ctype, namespace=t.namespace, subresource=t.subresource,
                               force=_bool(request.query.get("force")), warnings=warnings, shared=True, **opts)
        return json_response(obj, 200, warnings)

    def _write_scale(self, t: Target, body: Any, opts: dict[str, Any], *, merge: bool,
                     patch_type: str = "") -> dict[str, Any]:
        assert t.name is not None
        with self.store.lock:  # read-modify-write of the scale view must be atomic
            current = self.store.get(t.kind, t.name, t.namespace)
            scale = scale_of(current)
            if merge:
                scale = apply_patch(scale, body, patch_type, None, builtin=True,
                                    kind_text="autoscaling/v1, Kind=Scale")
            else:
                scale = body or {}
                expected = (scale.get("metadata") or {}).get("resourceVersion")
                if expected and expected != current["metadata"]["resourceVersion"]:
                    raise conflict(t.kind.resource, t.name, group=t.kind.group, kind=t.kind.plural)
            replicas = (scale.get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                raise invalid("Scale", "autoscaling", t.name, [Cause(
                    "FieldValueInvalid", f"Invalid value: {json.dumps(replicas)}: must be greater than or equal "
                    "to 0", "spec.replicas")])
            updated = self.store.patch(t.kind, t.name, {"spec": {"replicas": replicas}},
                                       MERGE, namespace=t.namespace,
                                       dry_run=opts["dry_run"], field_manager=opts["field_manager"])
        return scale_of(updated)

    async def delete(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        options = await self._delete_options(request)
        obj, gone = self.store.delete(t.kind, t.name, t.namespace, **options)
        return json_response(obj, 200 if gone else 202)

    async def deletecollection(self, request: web.Request, t: Target) -> web.StreamResponse:
        options = await self._delete_options(request)
        q = request.query
        self.store.deletecollection(t.kind, t.namespace, label_selector=q.get("labelSelector"),
                                    field_selector=q.get("fieldSelector"),
                                    propagation_policy=options["propagation_policy"], dry_run=options["dry_run"])
        return json_response(success_body(kind=t.kind.plural, group=t.kind.group))

    async def _delete_options(self, request: web.Request) -> dict[str, Any]:
        q = request.query
        body = await self._body(request) or {}
        if not isinstance(body, Mapping):
            raise BadRequest("DeleteOptions must be an object")
        policy = q.get("propagationPolicy") or body.get("propagationPolicy")
        orphan = q.get("orphanDependents") or body.get("orphanDependents")
        if policy is None and orphan is not None:
            policy = "Orphan" if _bool(str(orphan)) else "Background"
        grace = _int(q, "gracePeriodSeconds")
        if grace is None:
            grace = body.get("gracePeriodSeconds")
        dry = q.getall("dryRun", []) or body.get("dryRun") or []
        return {"propagation_policy": policy, "grace_period_seconds": grace,
                "preconditions": body.get("preconditions"), "dry_run": bool(dry)}


def raise_unsupported(ctype: str) -> None:
    raise UnsupportedMediaType(f'the body of the request was in an unknown format - accepted media types '
                               f'include: {", ".join(PATCH_TYPES)}')


def scale_of(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale view of a Deployment, ReplicaSet or StatefulSet."""
    meta = obj["metadata"]
    return {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                     if k in meta},
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
        "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                   "selector": label_selector_to_string((obj.get("spec") or {}).get("selector"))},
    }

