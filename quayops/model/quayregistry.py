"""The QuayRegistry resource (quay.redhat.com/v1): reading manifests and pure accessors."""

from __future__ import annotations

import os
from pathlib import Path

from quayops.errors import RegistryInvalid

API_VERSION = "quay.redhat.com/v1"
KIND = "QuayRegistry"


def check_registry_shape(cr: object, *, source: str = "QuayRegistry") -> dict:
    """The manifest itself, if it has the CRD's shape (apiVersion, kind, name, components list).

    Raises RegistryInvalid naming the field, as the API server's schema validation would.
    """
    if not isinstance(cr, dict):
        raise RegistryInvalid(f"{source}: expected a QuayRegistry object, got {type(cr).__name__}")
    if cr.get("apiVersion") != API_VERSION or cr.get("kind") != KIND:
        raise RegistryInvalid(
            f"{source}: apiVersion/kind must be {API_VERSION}/{KIND}, got "
            f"{cr.get('apiVersion')}/{cr.get('kind')}",
            field="kind",
        )
    if not (cr.get("metadata") or {}).get("name"):
        raise RegistryInvalid(f"{source}: metadata.name is required", field="metadata.name")
    components = (cr.get("spec") or {}).get("components") or []
    if not isinstance(components, list):
        raise RegistryInvalid(f"{source}: spec.components must be a list", field="spec.components")
    for i, c in enumerate(components):
        if not isinstance(c, dict) or not isinstance(c.get("kind"), str) or not isinstance(
            c.get("managed"), bool
        ):
            raise RegistryInvalid(
                f"{source}: spec.components[{i}] needs kind (string) and managed (boolean)",
                field=f"spec.components[{i}]",
            )
    return cr


def load_registry_path(path: str | os.PathLike) -> dict:
    """A QuayRegistry from a YAML or JSON manifest file."""
    from ruamel.yaml import YAML, YAMLError

    p = Path(path)
    try:
        doc = YAML(typ="safe").load(p.read_text())
    except FileNotFoundError as e:
        raise RegistryInvalid(f"QuayRegistry manifest {p}: no such file", field="--registry") from e
    except (YAMLError, UnicodeDecodeError) as e:
        raise RegistryInvalid(f"QuayRegistry manifest {p}: not readable YAML/JSON ({e})") from e
    return check_registry_shape(doc, source=str(p))


def minimal_registry(name: str = "example-registry", namespace: str = "quay-enterprise") -> dict:
    """The guide's minimal QuayRegistry (4.1): no components listed, so every one is defaulted."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {},
    }


def components(cr: dict) -> list[dict]:
    """spec.components as stored (possibly empty)."""
    return list((cr.get("spec") or {}).get("components") or [])
