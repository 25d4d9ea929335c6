"""Mirrors config-tool pkg/lib/fieldgroups/githubbuildtrigger (config-facts §4.11)."""

from __future__ import annotations

from quayops.config.fieldgroups.githublogin import check_github_config
from quayops.config.fieldgroups.oauth import parse_flagged_mapping
from quayops.config.fieldgroups.rules import Field
from quayops.model.findings import Finding

GROUP = "GitHubBuildTrigger"
KEY = "GITHUB_TRIGGER_CONFIG"
FLAGS = (
    Field("FEATURE_BUILD_SUPPORT", bool, "bool", False),
    Field("FEATURE_GITHUB_BUILD", bool, "bool", False),
)
CONFIG_FIELDS = (
    Field("ALLOWED_ORGANIZATIONS", list, "[]interface{}", []),
    Field("ORG_RESTRICT", bool, "bool", False),
    Field("API_ENDPOINT", str, "string", ""),
    Field("CLIENT_SECRET", str, "string", ""),
    Field("GITHUB_ENDPOINT", str, "string", ""),
    Field("CLIENT_ID", str, "string", ""),
)


def parse(config: dict) -> dict:
    """The constructor: the two flags, then GITHUB_TRIGGER_CONFIG (a mapping, or a panic)."""
    return parse_flagged_mapping(config, FLAGS, KEY, CONFIG_FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """The GitHub OAuth checks, when builds and GitHub builds are both on."""
    fg = parse(config)
    if not (fg["FEATURE_BUILD_SUPPORT"] and fg["FEATURE_GITHUB_BUILD"]):
        return []
    return check_github_config(GROUP, KEY, fg[KEY])
