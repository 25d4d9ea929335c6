"""Mirrors config-tool pkg/lib/fieldgroups/redis (config-facts §4.3), including its two bugs."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, read_fields, read_mapping, required
from quayops.model.findings import Finding

GROUP = "Redis"
KEYS = ("BUILDLOGS_REDIS", "USER_EVENTS_REDIS")
FIELDS = (
    Field("password", str, "string", ""),
    Field("port", int, "int", 0),
    Field("host", str, "string", ""),
    Field("ssl", bool, "bool", False),
)


def parse(config: dict) -> dict:
    """The constructor: each Redis key must be a mapping (or config-tool panics) of typed fields."""
    fg = {}
    for key in KEYS:
        conf = read_mapping(config, key)
        fg[key] = None if conf is None else read_fields(conf, FIELDS)
    return fg


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Both mappings required, and a build-logs host; PINGs are online only.

    Upstream bug kept: the user-events host check tests BUILDLOGS_REDIS.host, so a missing build-logs
    host is reported twice and a missing user-events host never (config-facts §4.3 rule 4).
    """
    fg = parse(config)
    buildlogs, user_events = fg["BUILDLOGS_REDIS"], fg["USER_EVENTS_REDIS"]
    if buildlogs is None:
        return [finding(GROUP, required("BUILDLOGS_REDIS"), "BUILDLOGS_REDIS")]
    out = []
    if not buildlogs["host"]:
        out.append(finding(GROUP, required("BUILDLOGS_REDIS.HOST"), "BUILDLOGS_REDIS.host"))
    if user_events is None:
        return [*out, finding(GROUP, required("USER_EVENTS_REDIS"), "USER_EVENTS_REDIS")]
    if not buildlogs["host"]:
        out.append(finding(GROUP, required("USER_EVENTS_REDIS.HOST"), "USER_EVENTS_REDIS.host"))
    return out
