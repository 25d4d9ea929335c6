"""Mirrors config-tool pkg/lib/fieldgroups/actionlogarchiving (config-facts §4.13)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, read_fields, read_mapping, required
from quayops.model.findings import Finding

GROUP = "ActionLogArchiving"
LOCATION_NOT_CONFIGURED = "ACTION_LOG_ARCHIVE_LOCATION must be in DISTRIBUTED_STORAGE_CONFIG"
ARCHIVE_FIELDS = (
    Field("ACTION_LOG_ARCHIVE_LOCATION", str, "string", ""),
    Field("ACTION_LOG_ARCHIVE_PATH", str, "string", ""),
)
FEATURE = (Field("FEATURE_ACTION_LOG_ROTATION", bool, "bool", False),)


def parse(config: dict) -> dict:
    """The constructor: archive keys, DISTRIBUTED_STORAGE_CONFIG as a mapping, then the feature flag."""
    fg = read_fields(config, ARCHIVE_FIELDS)
    fg["DISTRIBUTED_STORAGE_CONFIG"] = read_mapping(config, "DISTRIBUTED_STORAGE_CONFIG")
    return fg | read_fields(config, FEATURE)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Path and location required, and the location must be a configured storage location."""
    fg = parse(config)
    if not fg["FEATURE_ACTION_LOG_ROTATION"]:
        return []
    out = [
        finding(GROUP, required(key), key)
        for key in ("ACTION_LOG_ARCHIVE_PATH", "ACTION_LOG_ARCHIVE_LOCATION")
        if not fg[key]
    ]
    if fg["DISTRIBUTED_STORAGE_CONFIG"] is None:
        return [*out, finding(GROUP, required("DISTRIBUTED_STORAGE_CONFIG"), "DISTRIBUTED_STORAGE_CONFIG")]
    if fg["ACTION_LOG_ARCHIVE_LOCATION"] not in fg["DISTRIBUTED_STORAGE_CONFIG"]:
        out.append(finding(GROUP, LOCATION_NOT_CONFIGURED, "ACTION_LOG_ARCHIVE_LOCATION"))
    return out
