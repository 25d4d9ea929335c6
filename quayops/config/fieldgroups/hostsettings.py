"""Mirrors config-tool pkg/lib/fieldgroups/hostsettings and shared.ValidateCertPairWithHostname
(config-facts §4.4)."""

from __future__ import annotations

from quayops.config.certs import check_key_pair, verify_hostname
from quayops.config.fieldgroups.rules import (
    Field,
    finding,
    is_hostname,
    not_hostname,
    one_of,
    read_fields,
    required,
)
from quayops.model.findings import Finding

GROUP = "HostSettings"
SCHEMES = ("http", "https")
CERT_FILES = ("ssl.cert", "ssl.key")
# upstream's FieldGroup here is misspelt "HostSettigns"; the CLI shows the map key, so GROUP is right
CERT_MISSING = "Certificate {name} is required for HostSettings ."
FIELDS = (
    Field("EXTERNAL_TLS_TERMINATION", bool, "bool", False),
    Field("PREFERRED_URL_SCHEME", str, "string", "http"),
    Field("SERVER_HOSTNAME", str, "string", ""),
)


def parse(config: dict) -> dict:
    """The constructor: type-check every key this group reads."""
    return read_fields(config, FIELDS)


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """Hostname and scheme always; with https and TLS in Quay, ssl.cert/ssl.key present, paired, and
    valid for SERVER_HOSTNAME (port removed). Expiry and chain are not checked."""
    fg = parse(config)
    hostname = fg["SERVER_HOSTNAME"]
    out = []
    if not hostname:
        out.append(finding(GROUP, required("SERVER_HOSTNAME"), "SERVER_HOSTNAME"))
    if not is_hostname(hostname):
        out.append(finding(GROUP, not_hostname("SERVER_HOSTNAME"), "SERVER_HOSTNAME"))
    if fg["PREFERRED_URL_SCHEME"] not in SCHEMES:
        out.append(finding(GROUP, one_of("PREFERRED_URL_SCHEME", SCHEMES), "PREFERRED_URL_SCHEME"))
    if fg["PREFERRED_URL_SCHEME"] == "https" and not fg["EXTERNAL_TLS_TERMINATION"]:
        error = check_certificates(files, hostname)
        if error:
            out.append(error)
    return out


def check_certificates(files: dict[str, bytes], hostname: str) -> Finding | None:
    """The first failing step of the certificate checks: presence, key pair, then hostname."""
    for name in CERT_FILES:
        if name not in files:
            return finding(GROUP, CERT_MISSING.format(name=name), name)
    error = check_key_pair(files["ssl.cert"], files["ssl.key"])
    if error is None:
        error = verify_hostname(files["ssl.cert"], hostname.split(":")[0])
    return None if error is None else finding(GROUP, error, "ssl.cert")
