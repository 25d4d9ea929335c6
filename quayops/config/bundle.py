"""A config bundle: `config.yaml` plus the certificate and extra files of the Secret or directory."""

from __future__ import annotations

from dataclasses import dataclass, field


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
