"""Mirrors config-tool pkg/lib/fieldgroups/githublogin (config-facts §4.11); its checks are shared with
GitHubBuildTrigger, which upstream repeats with another prefix."""

from __future__ import annotations

from quayops.config.fieldgroups.oauth import check_oauth_config, parse_flagged_mapping
from quayops.config.fieldgroups.rules import Field, finding
from quayops.model.findings import Finding

GROUP = "GitHubLogin"
KEY = "GITHUB_LOGIN_CONFIG"
FLAGS = (Field("FEATURE_GITHUB_LOGIN", bool, "bool", False),)
CONFIG_FIELDS = (
    Field("ALLOWED_ORGANIZATIONS", list, "[]interface{}", []),
    Field("ORG_RESTRICT", bool, "bool", False),
    Field("API_ENDPOINT", str, "string", ""),
    Field("GITHUB_ENDPOINT", str, "string", ""),
    Field("CLIENT_ID", str, "string", ""),
    Field("CLIENT_SECRET", str, "string", ""),
)


def parse(config: dict) -> dict:
    """The constructor: the feature flag, then GITHUB_LOGIN_CONFIG (a mapping, or a panic)."""
    return parse_flagged_mapping(config, FLAGS, KEY, CONFIG_FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Static checks of the GitHub OAuth config when GitHub login is on."""
    fg = parse(config)
    return check_github_config(GROUP, KEY, fg[KEY]) if fg["FEATURE_GITHUB_LOGIN"] else []


def check_github_config(group: str, key: str, conf: dict | None) -> list[Finding]:
    """Required endpoint, client id and secret, and organisations when ORG_RESTRICT is on.

    The credential check that follows upstream (`Could not verify GitHub OAuth credentials`) is online.
    """
    out = check_oauth_config(group, key, conf, endpoint="GITHUB_ENDPOINT")
    if conf is None:
        return out
    if conf["ORG_RESTRICT"] and not conf["ALLOWED_ORGANIZATIONS"]:
        out.append(finding(
            group,
            f"{key}.ALLOWED_ORGANIZATIONS must contain values if {key}.ORG_RESTRICT is true",
            f"{key}.ALLOWED_ORGANIZATIONS",
        ))
    return out
