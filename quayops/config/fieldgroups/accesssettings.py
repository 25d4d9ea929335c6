"""Mirrors config-tool pkg/lib/fieldgroups/accesssettings (config-facts §4.7)."""

from __future__ import annotations

from quayops.config.fieldgroups.oidc import login_providers
from quayops.config.fieldgroups.rules import (
    Field,
    at_least_one_enabled,
    finding,
    matches_time_pattern,
    not_time_pattern,
    one_of,
    read_fields,
)
from quayops.model.findings import Finding

GROUP = "AccessSettings"
AUTHENTICATION_TYPES = ("Database", "LDAP", "JWT", "Keystone", "OIDC", "AppToken")
LOGIN_FLAGS = ("FEATURE_DIRECT_LOGIN", "FEATURE_GITHUB_LOGIN", "FEATURE_GOOGLE_LOGIN")
INVITE_ONLY_WITHOUT_USER_CREATION = "INVITE_USER_ONLY_CREATION requires FEATURE_USER_CREATION to be enabled"
FIELDS = (
    Field("AUTHENTICATION_TYPE", str, "string", "Database"),
    Field("FEATURE_ANONYMOUS_ACCESS", bool, "bool", True),
    Field("FEATURE_DIRECT_LOGIN", bool, "bool", True),
    Field("FEATURE_GITHUB_LOGIN", bool, "bool", False),
    Field("FEATURE_GOOGLE_LOGIN", bool, "bool", False),
    Field("FEATURE_INVITE_ONLY_USER_CREATION", bool, "bool", False),
    Field("FEATURE_PARTIAL_USER_AUTOCOMPLETE", bool, "bool", True),
    Field("FEATURE_USERNAME_CONFIRMATION", bool, "bool", True),
    Field("FEATURE_USER_CREATION", bool, "bool", True),
    Field("FEATURE_USER_LAST_ACCESSED", bool, "bool", True),
    Field("FEATURE_USER_LOG_ACCESS", bool, "bool", False),
    Field("FEATURE_USER_METADATA", bool, "bool", False),
    Field("FEATURE_USER_RENAME", bool, "bool", False),
    Field("FRESH_LOGIN_TIMEOUT", str, "string", "10m"),
    Field("USER_RECOVERY_TOKEN_LIFETIME", str, "string", "30m"),
    Field("FEATURE_EXTENDED_REPOSITORY_NAMES", bool, "bool", True),
    Field("CREATE_REPOSITORY_ON_PUSH_PUBLIC", bool, "bool", False),
    Field("FEATURE_USER_INITIALIZE", bool, "bool", False),
)


def parse(config: dict) -> dict:
    """The constructor: type-check every key this group reads."""
    return read_fields(config, FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Authentication type, a way to log in, time patterns and the invite-only rule; always runs."""
    fg = parse(config)
    out = []
    if fg["AUTHENTICATION_TYPE"] not in AUTHENTICATION_TYPES:
        out.append(finding(GROUP, one_of("AUTHENTICATION_TYPE", AUTHENTICATION_TYPES), "AUTHENTICATION_TYPE"))
    if not login_providers(config) and not any(fg[flag] for flag in LOGIN_FLAGS):
        out.append(finding(GROUP, at_least_one_enabled(LOGIN_FLAGS), "FEATURE_DIRECT_LOGIN"))
    for key in ("FRESH_LOGIN_TIMEOUT", "USER_RECOVERY_TOKEN_LIFETIME"):
        # an empty string is skipped here, unlike TeamSyncing (config-facts §13 item 8)
        if fg[key] and not matches_time_pattern(fg[key]):
            out.append(finding(GROUP, not_time_pattern(key), key))
    if not fg["FEATURE_USER_CREATION"] and fg["FEATURE_INVITE_ONLY_USER_CREATION"]:
        out.append(finding(GROUP, INVITE_ONLY_WITHOUT_USER_CREATION, "FEATURE_INVITE_ONLY_USER_CREATION"))
    return out
