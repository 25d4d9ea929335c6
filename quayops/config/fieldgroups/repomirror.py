"""Mirrors config-tool pkg/lib/fieldgroups/repomirror (config-facts §4.6)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, is_hostname, not_hostname, read_fields
from quayops.model.findings import Finding

GROUP = "RepoMirror"
FIELDS = (
    Field("FEATURE_REPO_MIRROR", bool, "bool", False),
    Field("REPO_MIRROR_INTERVAL", int, "int", 30),
    Field("REPO_MIRROR_SERVER_HOSTNAME", str, "string", ""),
    Field("REPO_MIRROR_TLS_VERIFY", bool, "bool", True),
)


def parse(config: dict) -> dict:
    """The constructor: type-check every key this group reads."""
    return read_fields(config, FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Hostname check of REPO_MIRROR_SERVER_HOSTNAME, only when mirroring is on and it is set."""
    fg = parse(config)
    hostname = fg["REPO_MIRROR_SERVER_HOSTNAME"]
    if fg["FEATURE_REPO_MIRROR"] and hostname and not is_hostname(hostname):
        return [finding(GROUP, not_hostname("REPO_MIRROR_SERVER_HOSTNAME"), "REPO_MIRROR_SERVER_HOSTNAME")]
    return []
