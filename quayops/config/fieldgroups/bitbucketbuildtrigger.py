"""Mirrors config-tool pkg/lib/fieldgroups/bitbucketbuildtrigger (config-facts §4.11)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, read_fields, read_mapping, required
from quayops.model.findings import Finding

GROUP = "BitbucketBuildTrigger"
KEY = "BITBUCKET_TRIGGER_CONFIG"
CONFIG_FIELDS = (
    Field("CONSUMER_SECRET", str, "string", ""),
    Field("CONSUMER_KEY", str, "string", ""),
)
FLAGS = (
    Field("FEATURE_BITBUCKET_BUILD", bool, "bool", False),
    Field("FEATURE_BUILD_SUPPORT", bool, "bool", False),
)


def parse(config: dict) -> dict:
    """The constructor: the trigger config first, then the two feature flags (config-facts §3)."""
    conf = read_mapping(config, KEY)
    fg = {KEY: None if conf is None else read_fields(conf, CONFIG_FIELDS)}
    return fg | read_fields(config, FLAGS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Consumer key and secret required when Bitbucket builds are on; the OAuth probe is online only."""
    fg = parse(config)
    if not (fg["FEATURE_BUILD_SUPPORT"] and fg["FEATURE_BITBUCKET_BUILD"]):
        return []
    if fg[KEY] is None:
        return [finding(GROUP, required(KEY), KEY)]
    return [
        finding(GROUP, required(f"{KEY}.{name}"), f"{KEY}.{name}")
        for name in ("CONSUMER_KEY", "CONSUMER_SECRET")
        if not fg[KEY][name]
    ]
