"""Config bundles on disk: write a new one from a preset and check it as `config validate` would."""

from __future__ import annotations

import io
import os
from pathlib import Path

from quayops.config.bundle import load_bundle_path
from quayops.config.presets import NewBundle
from quayops.errors import PreconditionFailed
from quayops.model.quayregistry import API_VERSION, KIND


def dump_yaml(data: object) -> str:
    """YAML 1.2 text as config-tool reads it back (block style, keys in insertion order)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096  # keep long values such as DB_URI on one line
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def registry_manifest(name: str, namespace: str, components: list[dict], bundle_secret: str) -> dict:
    """The QuayRegistry that goes with a new bundle (guide 4.1 plus the unmanaged components)."""
    spec: dict = {"configBundleSecret": bundle_secret}
    if components:
        spec["components"] = components
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def write_new_bundle(
    spec: NewBundle, directory: str | os.PathLike, *, name: str, namespace: str, force: bool = False,
    bundle_secret: str = "config-bundle-secret",
):
    """Write config.yaml, the extra files (keys 0600) and quayregistry.yaml; return (names, report).

    Refuses a non-empty directory unless `force`, so nothing is overwritten by accident.
    """
    from quayops.validation import validate_bundle

    target = Path(directory)
    if target.exists() and any(target.iterdir()) and not force:
        raise PreconditionFailed(
            f"{target} is not empty; nothing was written", field="DIRECTORY", hint="Pass --force to overwrite."
        )
    target.mkdir(parents=True, exist_ok=True)
    (target / "config.yaml").write_text(dump_yaml(spec.config))
    written = [str(target / "config.yaml")]
    for key, content in spec.files.items():
        path = target / key
        path.write_bytes(content)
        if key.endswith(".key"):
            path.chmod(0o600)
        written.append(str(path))
    registry = registry_manifest(name, namespace, spec.components, bundle_secret)
    # quayregistry.yaml lives beside the bundle but is not part of it
    reg_path = target.parent / f"{target.name}.quayregistry.yaml"
    reg_path.write_text(dump_yaml(registry))
    written.append(str(reg_path))
    report = validate_bundle(load_bundle_path(target), registry=registry)
    return written, report
