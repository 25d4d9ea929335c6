"""Mirrors config-tool pkg/lib/fieldgroups/apptokenauthentication (config-facts §4.12)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, read_fields
from quayops.model.findings import Finding

GROUP = "AppTokenAuthentication"
TOKENS_DISABLED = "FEATURE_APP_SPECIFIC_TOKENS must be enabled if AUTHENTICATION_TYPE is AppToken"
DIRECT_LOGIN_ENABLED = "FEATURE_DIRECT_LOGIN must be disabled if AUTHENTICATION_TYPE is AppToken"
FIELDS = (
    Field("AUTHENTICATION_TYPE", str, "string", "Database"),
    Field("FEATURE_APP_SPECIFIC_TOKENS", bool, "bool", True),
    Field("FEATURE_DIRECT_LOGIN", bool, "bool", True),
)


def parse(config: dict) -> dict:
    """The constructor: type-check every key this group reads."""
    return read_fields(config, FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """With AppToken authentication, app tokens on and direct login off."""
    fg = parse(config)
    if fg["AUTHENTICATION_TYPE"] != "AppToken":
        return []
    out = []
    if not fg["FEATURE_APP_SPECIFIC_TOKENS"]:
        out.append(finding(GROUP, TOKENS_DISABLED, "FEATURE_APP_SPECIFIC_TOKENS"))
    if fg["FEATURE_DIRECT_LOGIN"]:
        out.append(finding(GROUP, DIRECT_LOGIN_ENABLED, "FEATURE_DIRECT_LOGIN"))
    return out
