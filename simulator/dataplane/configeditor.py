"""The config editor behind `<name>-quay-config-editor` pods (guide 5.3, 6.1): config-tool's API with basic auth
`quayconfig:<password>`: read the mounted config, validate, and commit through the operator's reconfigure
(`quayops.operator.reconfiguring`, operator-facts §13), which writes a new bundle and re-derives components."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from quayops.config.bundle import Bundle
from quayops.config.validating import run_config_tool
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.operator.checks import CONFIG_KEYS
from quayops.operator.reconfiguring import plan_reconfigure
from quayops.operator.rendering.base import CONFIG_EDITOR_USER, FIELD_GROUP_NAMES
from quayops.operator.rendering.configmerge import dump_yaml
from simulator.controllers.base import Context, Key, Watched
from simulator.dataplane.directory import Address, ServiceDirectory
from simulator.dataplane.loop import LoopThread
from simulator.dataplane.processes import LOOPBACK
from simulator.dataplane.registries import (
    final_config,
    mounted_secret,
    read_secret,
    ready_replicas,
    registry_keys,
)

log = logging.getLogger(__name__)

FIELD_MANAGER = "quay-operator"  # the commit is the operator's /reconfigure acting
REALM = 'Basic realm="Quay Config Editor"'


class ConfigEditor:
    """One registry's editor: every request reads the Deployment's current Secrets from the Store."""

    def __init__(self, ctx: Context, namespace: str, registry: str) -> None:
        self.ctx, self.namespace, self.registry = ctx, namespace, registry

    def deployment(self) -> dict[str, Any] | None:
        return self.ctx.read("apps/v1", "Deployment", f"{self.registry}-quay-config-editor", self.namespace)

    def password(self) -> str | None:
        """QUAY_PASSWORD as the pod gets it: the Secret key its env names."""
        deployment = self.deployment() or {}
        for container in deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []:
            for env in container.get("env") or []:
                ref = (env.get("valueFrom") or {}).get("secretKeyRef") or {}
                if env.get("name") == "QUAY_PASSWORD" and ref.get("name"):
                    value = read_secret(self.ctx, ref["name"], self.namespace).get(ref.get("key", "password"))
                    return value.decode() if value is not None else None
        return None

    def current(self) -> dict[str, Any]:
        """config-tool's view of /conf/stack: config.yaml and the certificates beside it, base64 as Go's []byte."""
        deployment = self.deployment()
        if deployment is None:
            raise web.HTTPServiceUnavailable(text="config editor is gone")
        _, config = final_config(self.ctx, deployment)
        certs = {k: v for k, v in read_secret(self.ctx, mounted_secret(deployment, "-quay-config-tls-"),
                                              self.namespace).items()}
        extra = read_secret(self.ctx, mounted_secret(deployment, "-extra-ca-certs-"), self.namespace)
        certs |= {f"extra_ca_certs/{k}": v for k, v in extra.items()}
        return {"config.yaml": config, "certs": {k: base64.b64encode(v).decode() for k, v in sorted(certs.items())}}


EDITOR = web.AppKey("editor", ConfigEditor)


def _decode_bundle(body: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
    if not isinstance(body, dict) or not isinstance(body.get("config.yaml"), dict):
        raise web.HTTPBadRequest(text='expected {"config.yaml": {...}, "certs": {...}}')
    try:
        certs = {k: base64.b64decode(v, validate=True) for k, v in (body.get("certs") or {}).items()}
    except (binascii.Error, TypeError) as e:
        raise web.HTTPBadRequest(text=f"certs must be base64: {e}") from e
    return body["config.yaml"], certs


@web.middleware
async def _basic_auth(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                      ) -> web.StreamResponse:
    """config-tool's basic auth: user `quayconfig` and the editor's password, compared in constant time."""
    expected = request.app[EDITOR].password()
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    try:
        user, _, given = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user, given = "", ""
    if scheme.lower() != "basic" or expected is None or user != CONFIG_EDITOR_USER or not hmac.compare_digest(
            given.encode(), expected.encode()):
        return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": REALM})
    return await handler(request)


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(request.app[EDITOR].current())


async def validate_config(request: web.Request) -> web.Response:
    """config-tool's validation rows `[{FieldGroup, Tags, Message}]`; empty when the config is valid."""
    config, certs = _decode_bundle(await request.json())
    result = run_config_tool(Bundle({"config.yaml": dump_yaml(config).encode(), **certs}, source="config-editor"))
    return web.json_response([{"FieldGroup": f.field_group or "", "Tags": [f.field] if f.field else [],
                               "Message": f.message} for f in result.findings])


def strip_managed_fields(config: dict[str, Any], field_groups: list[str]) -> dict[str, Any]:
    """config-tool's commit: the fields of the managed (read-only) field groups leave the bundle, so the operator
    keeps managing them; a group's fields are the keys that make its component "have config" (§3.3, §6.2)."""
    kinds = {group: kind for kind, group in FIELD_GROUP_NAMES.items()}
    dropped = {key for group in field_groups if group in kinds for key in CONFIG_KEYS.get(kinds[group], ())}
    return {k: v for k, v in config.items() if k not in dropped}


async def commit_to_operator(request: web.Request) -> web.Response:
    """Reconfigure: the operator's /reconfigure decision, applied as the operator would (new bundle, new spec).

    Answers, as config-tool does, with what it sent the operator.
    """
    editor: ConfigEditor = request.app[EDITOR]
    body = await request.json()
    config, certs = _decode_bundle(body)
    config = strip_managed_fields(config, list(body.get("managedFieldGroups") or []))
    ctx, ns = editor.ctx, editor.namespace
    registry = ctx.get(API_VERSION, KIND, editor.registry, ns)
    if registry is None:
        raise web.HTTPNotFound(text=f"QuayRegistry {ns}/{editor.registry} not found")
    old_bundle = read_secret(ctx, (registry.get("spec") or {}).get("configBundleSecret"), ns)
    decision = plan_reconfigure("POST", {"config.yaml": config, "certs": certs, "namespace": ns,
                                         "quayRegistryName": editor.registry}, registry, old_bundle,
                                random=random.Random())
    if decision.secret is None or decision.spec is None:
        return web.Response(status=decision.code, text=decision.message)
    ctx.store.create(ctx.kind("v1", "Secret"), decision.secret, field_manager=FIELD_MANAGER)
    ctx.store.update(ctx.kind(API_VERSION, KIND), {**registry, "spec": decision.spec}, namespace=ns,
                     field_manager=FIELD_MANAGER)
    log.info("config editor %s/%s committed bundle %s", ns, editor.registry, decision.spec["configBundleSecret"])
    return web.json_response({"quayRegistryName": editor.registry, "namespace": ns, "config.yaml": config,
                              "certs": body.get("certs") or {}})


async def index(_: web.Request) -> web.Response:
    return web.Response(text="<html><body><h1>Quay Config Editor</h1></body></html>", content_type="text/html")


def create_editor_app(editor: ConfigEditor) -> web.Application:
    app = web.Application(middlewares=[_basic_auth])
    app[EDITOR] = editor
    app.router.add_get("/", index)
    app.router.add_get("/api/v1/config", get_config)
    app.router.add_post("/api/v1/config/validate", validate_config)
    app.router.add_post("/api/v1/config/operator", commit_to_operator)
    return app


class ConfigEditors:
    """Controller: config-editor Deployments with a ready pod → an editor on loopback, as Service
    `<name>-quay-config-editor` (the route's backend)."""

    name = "config-editors"

    def __init__(self, ctx: Context, directory: ServiceDirectory, loop: LoopThread) -> None:
        self.ctx, self.directory, self.loop = ctx, directory, loop
        self.runners: dict[Key, web.AppRunner] = {}
        self.watches = (Watched("apps/v1", "Deployment", registry_keys),)

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        deployment = self.ctx.read("apps/v1", "Deployment", f"{name}-quay-config-editor", ns)
        service = f"{name}-quay-config-editor"
        if ready_replicas(deployment) < 1:
            runner = self.runners.pop(key, None)
            if runner is not None:
                self.directory.unregister(ns, service)
                self.loop.run(runner.cleanup())
            return None
        if key not in self.runners:
            port = self.loop.run(self._serve(key))
            self.directory.register(ns, service, {p: Address(LOOPBACK, port) for p in ("http", 80, 8080)})
        return None

    async def _serve(self, key: Key) -> int:
        runner = web.AppRunner(create_editor_app(ConfigEditor(self.ctx, *key)), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, LOOPBACK, 0)
        await site.start()
        self.runners[key] = runner
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        while self.runners:
            _, runner = self.runners.popitem()
            self.loop.run(runner.cleanup())
