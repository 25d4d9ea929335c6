"""Certificate checks with Go's exact error texts: crypto/tls X509KeyPair and crypto/x509 VerifyHostname as
built with Go 1.15/1.16 without GODEBUG=x509ignoreCN=0 (config-facts §4.4, §8). Pure; no expiry or chain
checks, as in config-tool."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography is imported where it is used: most bundles carry no certificate
    from cryptography import x509

NO_CERT_PEM = "tls: failed to find any PEM data in certificate input"
KEY_IN_CERT_INPUT = (
    "tls: failed to find certificate PEM data in certificate input, but did find a private key; "
    "PEM inputs may have been switched"
)
NO_CERT_BLOCK = (
    'tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the '
    "following types: {types}"
)
NO_KEY_PEM = "tls: failed to find any PEM data in key input"
CERT_IN_KEY_INPUT = "tls: found a certificate rather than a key in the PEM for the private key"
NO_KEY_BLOCK = (
    'tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM '
    "blocks of the following types: {types}"
)
MALFORMED_CERT = "x509: malformed certificate"
UNPARSABLE_KEY = "tls: failed to parse private key"
KEY_TYPE_MISMATCH = "tls: private key type does not match public key type"
KEY_MISMATCH = "tls: private key does not match public key"
UNKNOWN_ALGORITHM = "tls: unknown public key algorithm"
LEGACY_CN = (
    "x509: certificate relies on legacy Common Name field, use SANs or temporarily enable Common Name "
    "matching with GODEBUG=x509ignoreCN=0"
)
NO_IP_SANS = "x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
NO_NAMES = "x509: certificate is not valid for any names, but wanted to match {host}"
WRONG_NAMES = "x509: certificate is valid for {valid}, not {host}"

_PEM_BLOCK = re.compile(
    rb"-----BEGIN (?P<type>[^\r\n-]*)-----\r?\n(?P<body>.*?)-----END (?P=type)-----", re.DOTALL
)
_PEM_HEADER = re.compile(rb"^[^:\r\n]+:[^\r\n]*\r?\n", re.MULTILINE)


def pem_blocks(data: bytes) -> list[tuple[str, bytes, bool]]:
    """Go pem.Decode in a loop: (type, DER bytes, has headers) for each block whose body decodes."""
    blocks = []
    for match in _PEM_BLOCK.finditer(data):
        body = match["body"]
        headers = _PEM_HEADER.match(body) is not None
        body = _PEM_HEADER.sub(b"", body) if headers else body
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
        except binascii.Error:
            continue
        blocks.append((match["type"].decode(errors="replace"), der, headers))
    return blocks


def pem_has_certificate(data: bytes) -> bool:
    """x509.CertPool.AppendCertsFromPEM: true when at least one CERTIFICATE block parses."""
    for block_type, der, headers in pem_blocks(data):
        if block_type == "CERTIFICATE" and not headers and _parse_certificate(der) is not None:
            return True
    return False


def check_key_pair(cert_pem: bytes, key_pem: bytes) -> str | None:
    """Go's tls.X509KeyPair: None when the pair loads and matches, else Go's error text."""
    from cryptography.hazmat.primitives import serialization
    blocks = pem_blocks(cert_pem)
    certs = [der for block_type, der, _ in blocks if block_type == "CERTIFICATE"]
    if not certs:
        skipped = [block_type for block_type, _, _ in blocks]
        if not skipped:
            return NO_CERT_PEM
        if len(skipped) == 1 and skipped[0].endswith("PRIVATE KEY"):
            return KEY_IN_CERT_INPUT
        return NO_CERT_BLOCK.format(types=_go_list(skipped))
    skipped = []
    key_der = None
    for block_type, der, _ in pem_blocks(key_pem):
        if block_type == "PRIVATE KEY" or block_type.endswith(" PRIVATE KEY"):
            key_der = der
            break
        skipped.append(block_type)
    if key_der is None:
        if not skipped:
            return NO_KEY_PEM
        if skipped == ["CERTIFICATE"]:
            return CERT_IN_KEY_INPUT
        return NO_KEY_BLOCK.format(types=_go_list(skipped))
    cert = _parse_certificate(certs[0])
    if cert is None:
        return MALFORMED_CERT
    try:
        private = serialization.load_der_private_key(key_der, password=None)
    except (ValueError, TypeError):
        return UNPARSABLE_KEY
    return _match_keys(cert.public_key(), private)


def _match_keys(public, private) -> str | None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    if isinstance(public, rsa.RSAPublicKey):
        if not isinstance(private, rsa.RSAPrivateKey):
            return KEY_TYPE_MISMATCH
        same = public.public_numbers().n == private.public_key().public_numbers().n
    elif isinstance(public, ec.EllipticCurvePublicKey):
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            return KEY_TYPE_MISMATCH
        mine, theirs = public.public_numbers(), private.public_key().public_numbers()
        same = (mine.x, mine.y) == (theirs.x, theirs.y)
    elif isinstance(public, ed25519.Ed25519PublicKey):
        if not isinstance(private, ed25519.Ed25519PrivateKey):
            return KEY_TYPE_MISMATCH
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        same = public.public_bytes(*raw) == private.public_key().public_bytes(*raw)
    else:
        return UNKNOWN_ALGORITHM
    return None if same else KEY_MISMATCH


def verify_hostname(cert_pem: bytes, host: str) -> str | None:
    """Go's Certificate.VerifyHostname on the first certificate of `cert_pem`; None when it matches.

    `host` is a bare host name or IP: the caller strips any `:port` (HostSettings does). SAN DNS names
    only; the subject CN is ignored and named in the legacy-CN message; `*.` matches one label.
    """
    der = next((der for block_type, der, _ in pem_blocks(cert_pem) if block_type == "CERTIFICATE"), None)
    cert = None if der is None else _parse_certificate(der)
    if cert is None:
        return MALFORMED_CERT
    dns_names, ip_sans, has_san = _sans(cert)
    candidate = host[1:-1] if len(host) >= 3 and host[0] == "[" and host[-1] == "]" else host
    ip = _parse_ip(candidate)
    if ip is not None:
        if any(ip == san for san in ip_sans):
            return None
        host = candidate
    elif any(_match_hostnames(name.lower(), host.lower()) for name in dns_names):
        return None
    common_name = _common_name(cert)
    if not has_san and _match_hostnames(common_name, host):
        return LEGACY_CN
    if ip is not None:
        if not ip_sans:
            return NO_IP_SANS.format(host=host)
        valid = ", ".join(str(san) for san in ip_sans)
    else:
        valid = ", ".join(dns_names)
    if not valid:
        return NO_NAMES.format(host=host)
    return WRONG_NAMES.format(valid=valid, host=host)


def _parse_certificate(der: bytes) -> x509.Certificate | None:
    from cryptography import x509
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None


def _sans(cert: x509.Certificate) -> tuple[list[str], list, bool]:
    from cryptography import x509
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], [], False
    return san.get_values_for_type(x509.DNSName), san.get_values_for_type(x509.IPAddress), True


def _common_name(cert: x509.Certificate) -> str:
    from cryptography import x509
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[-1].value) if names else ""


def _parse_ip(text: str):
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip


def _match_hostnames(pattern: str, host: str) -> bool:
    """Go 1.15 matchHostnames: same label count, `*` allowed as the whole first label only."""
    pattern, host = pattern.removesuffix("."), host.removesuffix(".")
    if not pattern or not host:
        return False
    pattern_parts, host_parts = pattern.split("."), host.split(".")
    if len(pattern_parts) != len(host_parts):
        return False
    return all((i == 0 and part == "*") or part == host_parts[i] for i, part in enumerate(pattern_parts))


def _go_list(items: list[str]) -> str:
    """Go's %v of a []string: `[a b]`."""
    return "[" + " ".join(items) + "]"
