"""Mirrors config-tool pkg/lib/fieldgroups/quaydocumentation (config-facts §4.13)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, parse_url, read_fields
from quayops.model.findings import Finding

GROUP = "QuayDocumentation"
INVALID_ROOT = "Documentation root must be a valid url."
FIELDS = (Field("DOCUMENTATION_ROOT", str, "string", ""),)


def parse(config: dict) -> dict:
    """The constructor: type-check every key this group reads."""
    return read_fields(config, FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """A non-empty DOCUMENTATION_ROOT must pass url.ParseRequestURI (absolute URL or absolute path)."""
    root = parse(config)["DOCUMENTATION_ROOT"]
    if not root:
        return []
    try:
        parse_url(root, request=True)
    except ValueError:
        return [finding(GROUP, INVALID_ROOT, "DOCUMENTATION_ROOT")]
    return []
