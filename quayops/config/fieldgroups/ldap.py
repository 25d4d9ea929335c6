"""Mirrors config-tool pkg/lib/fieldgroups/ldap (config-facts §4.12)."""

from __future__ import annotations

from quayops.config.certs import pem_has_certificate
from quayops.config.fieldgroups.rules import (
    Field,
    finding,
    one_of,
    parse_url,
    read_fields,
    required,
    url_error,
)
from quayops.model.findings import Finding

GROUP = "LDAP"
SCHEMES = ("ldap", "ldaps")
BAD_LDAP_CERT = "Could not successfully load ldap.crt"
FIELDS = (
    Field("AUTHENTICATION_TYPE", str, "string", "Database"),
    Field("LDAP_ADMIN_DN", str, "string", ""),
    Field("LDAP_ADMIN_PASSWD", str, "string", ""),
    Field("LDAP_ALLOW_INSECURE_FALLBACK", bool, "bool", False),
    Field("LDAP_BASE_DN", list, "array", []),
    Field("LDAP_EMAIL_ATTR", str, "string", "mail"),
    Field("LDAP_UID_ATTR", str, "string", "uid"),
    Field("LDAP_URI", str, "string", "ldap://localhost"),
    Field("LDAP_USER_FILTER", str, "string", ""),
    Field("LDAP_USER_RDN", list, "[]interface{}", []),
)


def parse(config: dict) -> dict:
    """The constructor: type-check every key this group reads."""
    return read_fields(config, FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Admin DN and password, an ldap/ldaps URI, and a PEM ldap.crt if one is bundled."""
    fg = parse(config)
    if fg["AUTHENTICATION_TYPE"] != "LDAP":
        return []
    out = [finding(GROUP, required(key), key) for key in ("LDAP_ADMIN_DN", "LDAP_ADMIN_PASSWD") if not fg[key]]
    try:
        uri = parse_url(fg["LDAP_URI"])
    except ValueError as e:
        return [*out, finding(GROUP, url_error(fg["LDAP_URI"], e), "LDAP_URI")]
    if uri.scheme not in SCHEMES:
        return [*out, finding(GROUP, one_of("LDAP_URI", SCHEMES), "LDAP_URI")]
    if "ldap.crt" in files and not pem_has_certificate(files["ldap.crt"]):
        out.append(finding(GROUP, BAD_LDAP_CERT, "ldap.crt"))
    return out
