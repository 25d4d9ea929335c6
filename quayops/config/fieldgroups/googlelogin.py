"""Mirrors config-tool pkg/lib/fieldgroups/googlelogin (config-facts §4.11)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, read_fields, read_mapping
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
    fg = read_fields(config, FLAGS)
    conf = read_mapping(config, KEY)
    fg[KEY] = None if conf is None else read_fields(conf, CONFIG_FIELDS)
    return fg


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Client id and secret required when Google login is on; the token probe is online only."""
    fg = parse(config)
    if not fg["FEATURE_GOOGLE_LOGIN"]:
        return []
    if fg[KEY] is None:
        return [finding(GROUP, f"{KEY} is required for {GROUP}", KEY)]
    return [
        finding(GROUP, f"{KEY}.{name} is required for {GROUP}", f"{KEY}.{name}")
        for name in ("CLIENT_ID", "CLIENT_SECRET")
        if not fg[KEY][name]
    ]
