"""Mirrors config-tool pkg/lib/fieldgroups/gitlabbuildtrigger (config-facts §4.11)."""

from __future__ import annotations

from quayops.config.fieldgroups.oauth import check_oauth_config, parse_flagged_mapping
from quayops.config.fieldgroups.rules import Field
from quayops.model.findings import Finding

GROUP = "GitLabBuildTrigger"
KEY = "GITLAB_TRIGGER_CONFIG"
FLAGS = (
    Field("FEATURE_BUILD_SUPPORT", bool, "bool", False),
    Field("FEATURE_GITLAB_BUILD", bool, "bool", False),
)
CONFIG_FIELDS = (
    Field("GITLAB_ENDPOINT", str, "string", "https://gitlab.com/"),
    Field("CLIENT_ID", str, "string", ""),
    Field("CLIENT_SECRET", str, "string", ""),
)


def parse(config: dict) -> dict:
    """The constructor: the two flags, then GITLAB_TRIGGER_CONFIG (a mapping, or a panic)."""
    return parse_flagged_mapping(config, FLAGS, KEY, CONFIG_FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Endpoint, client id and secret, when builds and GitLab builds are both on."""
    fg = parse(config)
    if not (fg["FEATURE_BUILD_SUPPORT"] and fg["FEATURE_GITLAB_BUILD"]):
        return []
    return check_oauth_config(GROUP, KEY, fg[KEY], endpoint="GITLAB_ENDPOINT")
