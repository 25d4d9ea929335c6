"""HostSettings group (config-facts §4.4)."""

import pytest

GROUP = "HostSettings"


def host(ct, files=None, **changes):
    return ct.messages(ct.run_config(ct.base_config() | changes, files), GROUP)


def test_empty_hostname_gives_two_errors(ct):
    assert host(ct, SERVER_HOSTNAME="") == ["SERVER_HOSTNAME is required", "SERVER_HOSTNAME must be of type Hostname"]


@pytest.mark.parametrize("name", ["quay.example.com", "quay.example.com:8443", " quay.example.com ", "quay.", "10.0.0.1"])
def test_hostnames_accepted(ct, name):
    assert host(ct, SERVER_HOSTNAME=name) == []


@pytest.mark.parametrize("name", ["https://quay.example.com", "quay.example.com/path", "quay_1.example.com",
                                  "[::1]", "quay example.com"])
def test_hostnames_rejected(ct, name):
    assert host(ct, SERVER_HOSTNAME=name) == ["SERVER_HOSTNAME must be of type Hostname"]


def test_scheme_case_sensitive(ct):
    assert host(ct, PREFERRED_URL_SCHEME="HTTPS") == ["PREFERRED_URL_SCHEME must be one of http, https."]


def test_https_needs_ssl_cert_first(ct, san_pair):
    assert host(ct, PREFERRED_URL_SCHEME="https") == ["Certificate ssl.cert is required for HostSettings ."]
    assert host(ct, {"ssl.crt": san_pair[0], "ssl.key": san_pair[1]}, PREFERRED_URL_SCHEME="https") == [
        "Certificate ssl.cert is required for HostSettings ."
    ]
    assert host(ct, {"ssl.cert": san_pair[0]}, PREFERRED_URL_SCHEME="https") == [
        "Certificate ssl.key is required for HostSettings ."
    ]


def test_valid_pair_and_port_stripped(ct, san_pair):
    files = {"ssl.cert": san_pair[0], "ssl.key": san_pair[1]}
    assert host(ct, files, PREFERRED_URL_SCHEME="https", SERVER_HOSTNAME="quay.example.com:8443") == []


def test_mismatched_pair(ct, san_pair, other_key):
    files = {"ssl.cert": san_pair[0], "ssl.key": other_key}
    assert host(ct, files, PREFERRED_URL_SCHEME="https") == ["tls: private key does not match public key"]


def test_cn_only_certificate_rejected(ct, cn_only_pair):
    files = {"ssl.cert": cn_only_pair[0], "ssl.key": cn_only_pair[1]}
    assert host(ct, files, PREFERRED_URL_SCHEME="https") == [
        ("x509: certificate relies on legacy Common Name field, use SANs or temporarily enable Common Name "
        "matching with GODEBUG=x509ignoreCN=0")
    ]


def test_no_cert_checks_with_external_tls_or_http(ct, san_pair, other_key):
    files = {"ssl.cert": san_pair[0], "ssl.key": other_key}
    assert host(ct, files, PREFERRED_URL_SCHEME="https", EXTERNAL_TLS_TERMINATION=True) == []
    assert host(ct, files) == []


def test_expired_certificate_not_checked(ct):
    cert, key = ct.make_cert(dns=("quay.example.com",), expired=True)
    assert host(ct, {"ssl.cert": cert, "ssl.key": key}, PREFERRED_URL_SCHEME="https") == []
