"""Mirrors config-tool pkg/lib/fieldgroups/jwtauthentication (config-facts §4.12)."""

from __future__ import annotations

from quayops.config.fieldgroups.oauth import HTTP_PREFIXES
from quayops.config.fieldgroups.rules import Field, finding, read_fields, required
from quayops.model.findings import Finding

GROUP = "JWTAuthentication"
ISSUER_REQUIRED = "JWT_AUTH_ISSUER is required for JWT"
FIELDS = (
    Field("AUTHENTICATION_TYPE", str, "string", "Database"),
    Field("FEATURE_MAILING", bool, "bool", True),
    Field("JWT_AUTH_ISSUER", str, "string", ""),
    Field("JWT_GETUSER_ENDPOINT", str, "string", ""),
    Field("JWT_QUERY_ENDPOINT", str, "string", ""),
    Field("JWT_VERIFY_ENDPOINT", str, "string", ""),
)


def parse(config: dict) -> dict:
    """The constructor: type-check every key this group reads."""
    return read_fields(config, FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Verify endpoint and issuer required, endpoints http(s) URLs; no network."""
    fg = parse(config)
    if fg["AUTHENTICATION_TYPE"] != "JWT":
        return []
    out = []
    verify = fg["JWT_VERIFY_ENDPOINT"]
    if not verify:
        out.append(finding(GROUP, required("JWT_VERIFY_ENDPOINT"), "JWT_VERIFY_ENDPOINT"))
    if not verify.startswith(HTTP_PREFIXES):
        out.append(finding(GROUP, "JWT_VERIFY_ENDPOINT must be a url", "JWT_VERIFY_ENDPOINT"))
    for key in ("JWT_GETUSER_ENDPOINT", "JWT_QUERY_ENDPOINT"):
        if fg[key] and not fg[key].startswith(HTTP_PREFIXES):
            out.append(finding(GROUP, f"{key} must be a url", key))
    if not fg["JWT_AUTH_ISSUER"]:
        out.append(finding(GROUP, ISSUER_REQUIRED, "JWT_AUTH_ISSUER"))
    return out
