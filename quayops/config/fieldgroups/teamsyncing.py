"""Mirrors config-tool pkg/lib/fieldgroups/teamsyncing (config-facts §4.13)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import (
    Field,
    finding,
    matches_time_pattern,
    not_time_pattern,
    read_fields,
)
from quayops.model.findings import Finding

GROUP = "TeamSyncing"
FIELDS = (
    Field("FEATURE_NONSUPERUSER_TEAM_SYNCING_SETUP", bool, "bool", False),
    Field("FEATURE_TEAM_SYNCING", bool, "bool", False),
    Field("TEAM_RESYNC_STALE_TIME", str, "string", "30m"),
)


def parse(config: dict) -> dict:
    """The constructor: type-check every key this group reads."""
    return read_fields(config, FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """TEAM_RESYNC_STALE_TIME is pattern-checked always, feature off and empty string included."""
    value = parse(config)["TEAM_RESYNC_STALE_TIME"]
    if matches_time_pattern(value):
        return []
    return [finding(GROUP, not_time_pattern("TEAM_RESYNC_STALE_TIME"), "TEAM_RESYNC_STALE_TIME")]
