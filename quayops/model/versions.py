"""Quay versions: parse `3.7`, `3.7.14` or `v3.7.14`, order them, and name their minor."""

from __future__ import annotations

import re
from dataclasses import dataclass

from quayops.errors import QuayopsError

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")


class VersionInvalid(QuayopsError):
    """A string that is not a Quay version."""


@dataclass(frozen=True, order=True)
class Version:
    """A Quay release; `patch` None means "any z-stream of this minor" (`3.7`)."""

    major: int
    minor: int
    patch: int | None = None

    @property
    def minor_key(self) -> tuple[int, int]:
        return (self.major, self.minor)

    @property
    def minor_name(self) -> str:
        return f"{self.major}.{self.minor}"

    def __str__(self) -> str:
        return self.minor_name if self.patch is None else f"{self.minor_name}.{self.patch}"


def parse_version(text: object, *, field: str = "version") -> Version:
    """A Version from `3.7`, `3.7.14` or `v3.7.14`; anything else raises VersionInvalid naming the field."""
    m = _VERSION.match(str(text).strip()) if isinstance(text, str) else None
    if not m:
        raise VersionInvalid(
            f"invalid Quay version {text!r} for {field}: expected MAJOR.MINOR[.PATCH], such as 3.7, 3.7.14 or v3.7.14",
            field=field,
        )
    major, minor, patch = m.groups()
    return Version(int(major), int(minor), None if patch is None else int(patch))
