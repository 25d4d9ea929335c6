"""The checks config-tool repeats across its OAuth groups (GitHub and Google login, GitHub and GitLab
build triggers): one flagged mapping of client credentials, with an endpoint for GitHub and GitLab."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, read_fields, read_mapping
from quayops.model.findings import Finding

HTTP_PREFIXES = ("http://", "https://")


def parse_flagged_mapping(config: dict, flags: tuple[Field, ...], key: str, fields: tuple[Field, ...]) -> dict:
    """The constructor: the feature flags, then `key` as a mapping of `fields` (None when absent)."""
    fg = read_fields(config, flags)
    conf = read_mapping(config, key)
    fg[key] = None if conf is None else read_fields(conf, fields)
    return fg


def check_oauth_config(group: str, key: str, conf: dict | None, *, endpoint: str | None = None) -> list[Finding]:
    """`<key> is required for <group>`, then the endpoint (required, http(s) URL) and client id/secret.

    The credential probe that follows upstream is online only.
    """
    if conf is None:
        return [finding(group, f"{key} is required for {group}", key)]
    out = []
    if endpoint:
        field = f"{key}.{endpoint}"
        if not conf[endpoint]:
            out.append(finding(group, f"{field} is required for {group}", field))
        if not conf[endpoint].startswith(HTTP_PREFIXES):
            out.append(finding(group, f"{field} must be a url", field))
    for name in ("CLIENT_ID", "CLIENT_SECRET"):
        if not conf[name]:
            out.append(finding(group, f"{key}.{name} is required for {group}", f"{key}.{name}"))
    return out
