"""Mirrors config-tool pkg/lib/fieldgroups/googlelogin (config-facts §4.11)."""

from __future__ import annotations

from quayops.config.fieldgroups.oauth import check_oauth_config, parse_flagged_mapping
from quayops.config.fieldgroups.rules import Field
from quayops.model.findings import Finding

GROUP = "GoogleLogin"
KEY = "GOOGLE_LOGIN_CONFIG"
FLAGS = (Field("FEATURE_GOOGLE_LOGIN", bool, "bool", False),)
CONFIG_FIELDS = (
    Field("CLIENT_SECRET", str, "string", ""),
    Field("CLIENT_ID", str, "string", ""),
)


def parse(config: dict) -> dict:
    """The constructor: the feature flag, then GOOGLE_LOGIN_CONFIG (a mapping, or a panic)."""
    return parse_flagged_mapping(config, FLAGS, KEY, CONFIG_FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Client id and secret required when Google login is on; the token probe is online only."""
    fg = parse(config)
    if not fg["FEATURE_GOOGLE_LOGIN"]:
        return []
    return check_oauth_config(GROUP, KEY, fg[KEY])
