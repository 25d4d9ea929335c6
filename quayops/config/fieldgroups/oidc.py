"""Mirrors config-tool pkg/lib/fieldgroups/oidc and shared.HasOIDCProvider (config-facts §4.11)."""

from __future__ import annotations

from quayops.config.fieldgroups.rules import Field, finding, read_fields, required
from quayops.model.findings import Finding

GROUP = "OIDC"
NOT_OIDC = ("GOOGLE_LOGIN_CONFIG", "GITHUB_LOGIN_CONFIG")
SUFFIX = "_LOGIN_CONFIG"
NO_TRAILING_SLASH = "OIDC_SERVER must end with a trailing /"
REQUIRED = ("OIDC_SERVER", "CLIENT_ID", "CLIENT_SECRET", "SERVICE_NAME")
# upstream wording kept: CLIENT_SECRET says "bool" and LOGIN_SCOPES says "string"
FIELDS = (
    Field("OIDC_SERVER", str, "string", ""),
    Field("CLIENT_ID", str, "string", ""),
    Field("CLIENT_SECRET", str, "bool", ""),
    Field("SERVICE_NAME", str, "string", ""),
    Field("SERVICE_ICON", str, "string", ""),
    Field("VERIFIED_EMAIL_CLAIM_NAME", str, "string", ""),
    Field("PREFERRED_USERNAME_CLAIM_NAME", str, "string", ""),
    Field("LOGIN_SCOPES", list, "string", []),
)


def login_providers(config: dict) -> dict[str, dict]:
    """Every top-level `<PREFIX>_LOGIN_CONFIG` mapping other than Google's and GitHub's, even `{}`."""
    return {
        key: value
        for key, value in config.items()
        if key.endswith(SUFFIX) and key not in NOT_OIDC and isinstance(value, dict)
    }


def parse(config: dict) -> dict[str, dict]:
    """The constructor: type-check each provider's keys (providers in file order; Go's is random)."""
    return {key: read_fields(conf, FIELDS) for key, conf in login_providers(config).items()}


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Required keys per provider; a complete provider must end OIDC_SERVER with `/`."""
    out = []
    for key, provider in parse(config).items():
        missing = [name for name in REQUIRED if not provider[name]]
        for name in missing:
            out.append(finding(GROUP, required(f"{key}.{name}"), f"{key}.{name}"))
        if not missing and not provider["OIDC_SERVER"].endswith("/"):
            out.append(finding(GROUP, NO_TRAILING_SLASH, f"{key}.OIDC_SERVER"))
    return out
