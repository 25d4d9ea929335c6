"""The config editor's "reconfigure" call to the operator: a new bundle Secret and re-derived components.

Mirrors quay-operator pkg/configure/configure.go, the operator's HTTP :7071 `/reconfigure` handler
(operator-facts §13). Pure: the caller serves HTTP, creates the Secret and updates the QuayRegistry.
"""

from __future__ import annotations

import base64
import posixpath
import random as random_module
from collections.abc import Mapping
from dataclasses import dataclass

from quayops.operator.checks import CLAIR_CONFIG_FILE, ComponentConfigUnverifiable, contains_component_config
from quayops.operator.components import Kind
from quayops.operator.plan import render_generated_name
from quayops.operator.rendering.configmerge import dump_yaml

INVALID_TOKEN_FORMAT = "Invalid token format"
INVALID_TOKEN = "Invalid token"
# Kept exactly as they are; every other kind is re-derived from the new config.
KEPT_KINDS = frozenset({Kind.HPA, Kind.MONITORING, Kind.ROUTE, Kind.CLAIRPOSTGRES})
EXTRA_CA_DIR = "extra_ca_certs/"


@dataclass(frozen=True)
class Reconfiguration:
    """The handler's answer: an HTTP code (and body on refusal), else the Secret and the new spec."""

    code: int
    message: str = ""
    secret: dict | None = None
    spec: dict | None = None


def plan_reconfigure(method: str, body: Mapping, registry: dict, old_bundle: Mapping[str, bytes], *,
                     random: random_module.Random, authorization: str = "", password: str | None = None) -> Reconfiguration:
    """Decide a `/reconfigure` request for `registry` (named by `body["quayRegistryName"]`).

    `body` is the decoded JSON (`config.yaml` a mapping, `certs` path → bytes). `password` is the
    config editor's password when the 3.8 Bearer check applies, None for 3.7 (no check).
    """
    if method != "POST":
        return Reconfiguration(405)
    if password is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            return Reconfiguration(404, INVALID_TOKEN_FORMAT)
        if token != password:
            return Reconfiguration(404, INVALID_TOKEN)
    name = body.get("quayRegistryName") or registry["metadata"]["name"]
    config = dict(body.get("config.yaml") or {})
    files: dict[str, bytes] = {}
    for path, content in (body.get("certs") or {}).items():
        base = posixpath.basename(path)
        files[f"extra_ca_cert_{base}" if path.startswith(EXTRA_CA_DIR) else base] = content
    if CLAIR_CONFIG_FILE in old_bundle:
        files[CLAIR_CONFIG_FILE] = old_bundle[CLAIR_CONFIG_FILE]
    files["config.yaml"] = dump_yaml(config).encode()
    prefix = f"{name}-quay-config-bundle-"
    secret_name = render_generated_name(prefix, random)
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": secret_name, "generateName": prefix,
                           "namespace": body.get("namespace") or registry["metadata"]["namespace"],
                           "labels": {"quay-registry": name}},
              "data": {k: base64.b64encode(v).decode() for k, v in files.items()}}
    components = [_rederive(dict(c), config, files) for c in (registry.get("spec") or {}).get("components") or []]
    spec = {**(registry.get("spec") or {}), "components": components, "configBundleSecret": secret_name}
    return Reconfiguration(200, secret=secret, spec=spec)


def _rederive(component: dict, config: Mapping, files: Mapping[str, bytes]) -> dict:
    """One component after reconfiguration: kept, managed, or unmanaged with its overrides cleared."""
    kind = component.get("kind")
    if kind in KEPT_KINDS:
        return component
    if kind == Kind.QUAY or (kind == Kind.MIRROR and config.get("FEATURE_REPO_MIRROR") is True):
        return {**component, "managed": True}
    try:
        has_config = contains_component_config(kind, config, files)
    except ComponentConfigUnverifiable:  # an unknown kind or a broken clair-config.yaml: left as it is
        return component
    if has_config:
        return {"kind": kind, "managed": False}
    return {**component, "managed": True}
