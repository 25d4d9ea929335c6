"""Mirrors config-tool pkg/lib/fieldgroups/timemachine (config-facts §4.9)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, crash, finding, read_fields
from quayops.model.findings import Finding

GROUP = "TimeMachine"
DEFAULT_NOT_IN_OPTIONS = (
    "The default tag expiration period must be included in the allowed expiration periods."
)
NON_STRING_OPTION = "TAG_EXPIRATION_OPTIONS has an item that is not a string"
DEFAULT_OPTIONS = ["0s", "1d", "1w", "2w", "4w"]
FIELDS = (
    Field("DEFAULT_TAG_EXPIRATION", str, "string", "2w"),
    Field("FEATURE_CHANGE_TAG_EXPIRATION", bool, "bool", True),
    Field("TAG_EXPIRATION_OPTIONS", list, "[]interface{}", DEFAULT_OPTIONS),
)


def parse(config: dict) -> dict:
    """The constructor: type-check every key; the options default only when the key is absent."""
    return read_fields(config, FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """The default must equal one of the options exactly; no time-pattern check on either."""
    fg = parse(config)
    options = fg["TAG_EXPIRATION_OPTIONS"]
    if any(type(option) is not str for option in options):
        return [finding(GROUP, crash(NON_STRING_OPTION), "TAG_EXPIRATION_OPTIONS")]
    if fg["DEFAULT_TAG_EXPIRATION"] not in options:
        return [finding(GROUP, DEFAULT_NOT_IN_OPTIONS, "DEFAULT_TAG_EXPIRATION")]
    return []
