"""Go tls.X509KeyPair and x509 VerifyHostname texts (config-facts §4.4)."""

import pytest

from quayops.config.certs import check_key_pair, pem_has_certificate, verify_hostname


def test_matching_pair(san_pair):
    assert check_key_pair(*san_pair) is None


def test_mismatched_key(san_pair, other_key):
    assert check_key_pair(san_pair[0], other_key) == "tls: private key does not match public key"


def test_no_pem_in_certificate(san_pair):
    assert check_key_pair(b"garbage", san_pair[1]) == "tls: failed to find any PEM data in certificate input"


def test_no_pem_in_key(san_pair):
    assert check_key_pair(san_pair[0], b"garbage") == "tls: failed to find any PEM data in key input"


def test_certificate_given_as_key(san_pair):
    assert check_key_pair(san_pair[0], san_pair[0]) == (
        "tls: found a certificate rather than a key in the PEM for the private key"
    )


def test_inputs_switched(san_pair):
    assert check_key_pair(san_pair[1], san_pair[0]) == (
        "tls: failed to find certificate PEM data in certificate input, but did find a private key; "
        "PEM inputs may have been switched"
    )


def test_san_match_ignores_cn(san_pair):
    assert verify_hostname(san_pair[0], "quay.example.com") is None
    assert verify_hostname(san_pair[0], "QUAY.example.com") is None
    assert verify_hostname(san_pair[0], "ignored.example.com") == (
        "x509: certificate is valid for quay.example.com, builder.example.com, not ignored.example.com"
    )


def test_cn_only_certificate_uses_legacy_cn_message(cn_only_pair):
    assert verify_hostname(cn_only_pair[0], "quay.example.com") == (
        "x509: certificate relies on legacy Common Name field, use SANs or temporarily enable Common Name "
        "matching with GODEBUG=x509ignoreCN=0"
    )


def test_cn_only_certificate_other_host(cn_only_pair):
    assert verify_hostname(cn_only_pair[0], "other.example.com") == (
        "x509: certificate is not valid for any names, but wanted to match other.example.com"
    )


@pytest.mark.parametrize(("host", "error"), [
    ("quay.example.com", None),
    ("example.com", "x509: certificate is valid for *.example.com, not example.com"),
    ("a.b.example.com", "x509: certificate is valid for *.example.com, not a.b.example.com"),
])
def test_wildcard_is_one_label(wildcard_pair, host, error):
    assert verify_hostname(wildcard_pair[0], host) == error


def test_ip_hosts_need_ip_sans(ip_pair, san_pair):
    assert verify_hostname(ip_pair[0], "10.0.0.1") is None
    assert verify_hostname(ip_pair[0], "10.0.0.2") == "x509: certificate is valid for 10.0.0.1, not 10.0.0.2"
    assert verify_hostname(san_pair[0], "10.0.0.1") == (
        "x509: cannot validate certificate for 10.0.0.1 because it doesn't contain any IP SANs"
    )


def test_expired_certificate_still_matches(ct):
    cert, key = ct.make_cert(dns=("quay.example.com",), expired=True)
    assert check_key_pair(cert, key) is None and verify_hostname(cert, "quay.example.com") is None


def test_pem_has_certificate(san_pair):
    assert pem_has_certificate(san_pair[0])
    assert not pem_has_certificate(san_pair[1])
    assert not pem_has_certificate(b"")
