"""A config bundle: `config.yaml` plus the certificate and extra files of the Secret or directory."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Bundle:
    """Files of a config bundle by key (Secret data key, or path relative to the bundle directory).

    Values are bytes; `repr` shows keys and sizes only, never content, so a bundle can be logged.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    source: str = "bundle"

    @property
    def config_text(self) -> str | None:
        raw = self.files.get("config.yaml")
        return None if raw is None else raw.decode("utf-8", errors="replace")

    def has_pair(self, cert: str = "ssl.cert", key: str = "ssl.key") -> bool:
        """Both files present and non-empty (the operator's "carries a TLS pair")."""
        return bool(self.files.get(cert)) and bool(self.files.get(key))

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}: {len(v)} B" for k, v in sorted(self.files.items()))
        return f"Bundle({self.source}; {sizes})"


def bundle_from_secret(secret: dict, *, source: str = "Secret") -> Bundle:
    """A Bundle from a Secret object (dict): base64 `data` and plain `stringData`, as the API merges them."""
    import base64
    import binascii

    from quayops.errors import BundleUnreadable

    if not isinstance(secret, dict) or secret.get("kind") not in (None, "Secret"):
        kind = secret.get("kind") if isinstance(secret, dict) else type(secret).__name__
        raise BundleUnreadable(f"{source}: expected a Secret, got {kind}", field="kind")
    files: dict[str, bytes] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            files[key] = base64.b64decode(value or "", validate=True)
        except (binascii.Error, TypeError) as e:
            raise BundleUnreadable(f"{source}: data.{key} is not valid base64", field=f"data.{key}") from e
    for key, value in (secret.get("stringData") or {}).items():
        files[key] = str(value).encode()
    name = (secret.get("metadata") or {}).get("name")
    return Bundle(files=files, source=f"{source} {name}" if name else source)


def load_bundle_path(path: str | os.PathLike) -> Bundle:
    """A Bundle from a directory (config.yaml and files beside it) or a Secret manifest (YAML or JSON).

    Directory keys are paths relative to it, as config-tool loads them; `..` never appears.
    """
    from quayops.errors import BundleUnreadable

    p = Path(path)
    if p.is_dir():
        files = {
            f.relative_to(p).as_posix(): f.read_bytes()
            for f in sorted(p.rglob("*"))
            if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
        }
        return Bundle(files=files, source=str(p))
    if not p.exists():
        raise BundleUnreadable(f"config bundle {p}: no such file or directory", field="BUNDLE")
    from ruamel.yaml import YAML, YAMLError

    try:
        doc = YAML(typ="safe").load(p.read_text())
    except (YAMLError, UnicodeDecodeError) as e:
        raise BundleUnreadable(f"config bundle {p}: not a readable YAML/JSON Secret manifest ({e})") from e
    if not isinstance(doc, dict):
        raise BundleUnreadable(f"config bundle {p}: expected a directory or a Secret manifest")
    return bundle_from_secret(doc, source=str(p))
