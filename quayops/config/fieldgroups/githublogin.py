"""Mirrors config-tool pkg/lib/fieldgroups/githublogin (config-facts §4.11); its checks are shared with
GitHubBuildTrigger, which upstream repeats with another prefix."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, read_fields, read_mapping
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
HTTP_PREFIXES = ("http://", "https://")


def parse(config: dict) -> dict:
    """The constructor: the feature flag, then GITHUB_LOGIN_CONFIG (a mapping, or a panic)."""
    fg = read_fields(config, FLAGS)
    conf = read_mapping(config, KEY)
    fg[KEY] = None if conf is None else read_fields(conf, CONFIG_FIELDS)
    return fg


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Static checks of the GitHub OAuth config when GitHub login is on."""
    fg = parse(config)
    return check_github_config(GROUP, KEY, fg[KEY]) if fg["FEATURE_GITHUB_LOGIN"] else []


def check_github_config(group: str, key: str, conf: dict | None) -> list[Finding]:
    """Required endpoint, client id and secret, and organisations when ORG_RESTRICT is on.

    The credential check that follows upstream (`Could not verify GitHub OAuth credentials`) is online.
    """
    if conf is None:
        return [finding(group, f"{key} is required for {group}", key)]
    out = []
    endpoint = conf["GITHUB_ENDPOINT"]
    if not endpoint:
        out.append(finding(group, f"{key}.GITHUB_ENDPOINT is required for {group}", f"{key}.GITHUB_ENDPOINT"))
    if not endpoint.startswith(HTTP_PREFIXES):
        out.append(finding(group, f"{key}.GITHUB_ENDPOINT must be a url", f"{key}.GITHUB_ENDPOINT"))
    for name in ("CLIENT_ID", "CLIENT_SECRET"):
        if not conf[name]:
            out.append(finding(group, f"{key}.{name} is required for {group}", f"{key}.{name}"))
    if conf["ORG_RESTRICT"] and not conf["ALLOWED_ORGANIZATIONS"]:
        out.append(finding(
            group,
            f"{key}.ALLOWED_ORGANIZATIONS must contain values if {key}.ORG_RESTRICT is true",
            f"{key}.ALLOWED_ORGANIZATIONS",
        ))
    return out
