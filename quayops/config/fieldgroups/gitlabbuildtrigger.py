"""Mirrors config-tool pkg/lib/fieldgroups/gitlabbuildtrigger (config-facts §4.11)."""

from __future__ import annotations

from quayops.config.fieldgroups.githublogin import HTTP_PREFIXES
from quayops.config.fieldgroups.rules import Field, finding, read_fields, read_mapping
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
    fg = read_fields(config, FLAGS)
    conf = read_mapping(config, KEY)
    fg[KEY] = None if conf is None else read_fields(conf, CONFIG_FIELDS)
    return fg


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Endpoint, client id and secret, when builds and GitLab builds are both on."""
    fg = parse(config)
    if not (fg["FEATURE_BUILD_SUPPORT"] and fg["FEATURE_GITLAB_BUILD"]):
        return []
    conf = fg[KEY]
    if conf is None:
        return [finding(GROUP, f"{KEY} is required for {GROUP}", KEY)]
    out = []
    if not conf["GITLAB_ENDPOINT"]:
        out.append(finding(GROUP, f"{KEY}.GITLAB_ENDPOINT is required for {GROUP}", f"{KEY}.GITLAB_ENDPOINT"))
    if not conf["GITLAB_ENDPOINT"].startswith(HTTP_PREFIXES):
        out.append(finding(GROUP, f"{KEY}.GITLAB_ENDPOINT must be a url", f"{KEY}.GITLAB_ENDPOINT"))
    for name in ("CLIENT_ID", "CLIENT_SECRET"):
        if not conf[name]:
            out.append(finding(GROUP, f"{KEY}.{name} is required for {GROUP}", f"{KEY}.{name}"))
    return out
