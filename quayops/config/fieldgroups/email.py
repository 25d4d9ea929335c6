"""Mirrors config-tool pkg/lib/fieldgroups/email (config-facts §4.13)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, read_fields, required
from quayops.model.findings import Finding

GROUP = "Email"
# FEATURE_FIPS is never parsed, so upstream's "MAIL_USE_TLS must be enabled when running in FIPS mode."
# can never fire (config-facts §4.13, verified `mail-fips-rule-is-dead`); MAIL_USE_AUTH is not read.
FIELDS = (
    Field("BLACKLISTED_EMAIL_DOMAINS", list, "[]interface{}", []),
    Field("FEATURE_BLACKLISTED_EMAILS", bool, "bool", False),
    Field("FEATURE_MAILING", bool, "bool", False),
    Field("MAIL_DEFAULT_SENDER", str, "string", "support@quay.io"),
    Field("MAIL_PASSWORD", str, "string", ""),
    Field("MAIL_PORT", int, "int", 587),
    Field("MAIL_SERVER", str, "string", ""),
    Field("MAIL_USERNAME", str, "string", ""),
    Field("MAIL_USE_TLS", bool, "bool", False),
)


def parse(config: dict) -> dict:
    """The constructor: type-check every key this group reads."""
    return read_fields(config, FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """MAIL_SERVER required when mailing is on; the SMTP probe is online only."""
    fg = parse(config)
    if fg["FEATURE_MAILING"] and not fg["MAIL_SERVER"]:
        return [finding(GROUP, required("MAIL_SERVER"), "MAIL_SERVER")]
    return []
