"""Mirrors config-tool pkg/lib/fieldgroups/securityscanner (config-facts §4.5)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import (
    Field,
    at_least_one_present,
    finding,
    is_url,
    not_url,
    read_fields,
    read_string_list,
)
from quayops.model.findings import Finding

GROUP = "SecurityScanner"
ENDPOINTS = ("SECURITY_SCANNER_ENDPOINT", "SECURITY_SCANNER_V4_ENDPOINT")
FIELDS = (
    Field("FEATURE_SECURITY_SCANNER", bool, "bool", False),
    Field("SECURITY_SCANNER_ENDPOINT", str, "string", ""),
    Field("SECURITY_SCANNER_INDEXING_INTERVAL", int, "int", 30),
    Field("SECURITY_SCANNER_NOTIFICATIONS", bool, "bool", False),
    Field("SECURITY_SCANNER_V4_ENDPOINT", str, "string", ""),
    Field("SECURITY_SCANNER_V4_PSK", str, "string", ""),
)


def parse(config: dict) -> dict:
    """The constructor: scalar keys, then the namespace whitelist (a non-list panics)."""
    fg = read_fields(config, FIELDS)
    fg["SECURITY_SCANNER_V4_NAMESPACE_WHITELIST"] = read_string_list(
        config, "SECURITY_SCANNER_V4_NAMESPACE_WHITELIST")
    return fg


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """An endpoint is required and each one set must be a URL; the PSK is never checked."""
    fg = parse(config)
    if not fg["FEATURE_SECURITY_SCANNER"]:
        return []
    if not any(fg[key] for key in ENDPOINTS):
        return [finding(GROUP, at_least_one_present(ENDPOINTS), ENDPOINTS[0])]
    return [finding(GROUP, not_url(key), key) for key in ENDPOINTS if fg[key] and not is_url(fg[key])]
