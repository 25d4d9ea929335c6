"""Fixtures for config-tool validation tests: a statically valid base config and generated certificates."""

from __future__ import annotations

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from quayops.config.bundle import Bundle
from quayops.config.loading import parse_config_yaml
from quayops.config.validating import run_config_tool

BASE_YAML = """\
SERVER_HOSTNAME: quay.example.com
DB_URI: postgresql://quayuser:quaypass@quay-server.example.com:5432/quay
BUILDLOGS_REDIS:
  host: quay-server.example.com
  port: 6379
USER_EVENTS_REDIS:
  host: quay-server.example.com
  port: 6379
DISTRIBUTED_STORAGE_CONFIG:
  default:
    - LocalStorage
    - storage_path: /datastorage/registry
"""


def base_config() -> dict:
    """A config that config-tool v0.1.12 validates clean offline."""
    return parse_config_yaml(BASE_YAML)


def run_yaml(text: str, files: dict[str, bytes] | None = None):
    """run_config_tool on a bundle holding `text` as config.yaml plus `files`."""
    return run_config_tool(Bundle({"config.yaml": text.encode(), **(files or {})}))


def messages(result, group: str | None = None) -> list[str]:
    return [f.message for f in result.findings if group is None or f.field_group == group]


def dump(config: dict) -> str:
    import io

    from ruamel.yaml import YAML

    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(config, out)
    return out.getvalue()


def run_config(config: dict, files: dict[str, bytes] | None = None):
    return run_yaml(dump(config), files)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_cert(*, cn: str = "quay", dns: tuple[str, ...] = (), ips: tuple[str, ...] = (), key=None,
              expired: bool = False) -> tuple[bytes, bytes]:
    """A self-signed certificate (PEM) and its key; a SAN extension only when dns or ips are given."""
    key = key or _key()
    now = datetime.datetime.now(datetime.UTC)
    start = now - datetime.timedelta(days=30 if expired else 1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=2 if expired else 365))
    )
    names = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


@pytest.fixture(scope="session")
def san_pair():
    return make_cert(cn="ignored.example.com", dns=("quay.example.com", "builder.example.com"))


@pytest.fixture(scope="session")
def cn_only_pair():
    return make_cert(cn="quay.example.com")


@pytest.fixture(scope="session")
def wildcard_pair():
    return make_cert(dns=("*.example.com",))


@pytest.fixture(scope="session")
def ip_pair():
    return make_cert(dns=("quay.example.com",), ips=("10.0.0.1",))


@pytest.fixture(scope="session")
def other_key() -> bytes:
    return _pem_key(_key())


class ConfigTool:
    """The helpers above as one fixture object, so test modules need no conftest import."""

    base_config = staticmethod(base_config)
    run_yaml = staticmethod(run_yaml)
    run_config = staticmethod(run_config)
    messages = staticmethod(messages)
    make_cert = staticmethod(make_cert)
    base_yaml = BASE_YAML


@pytest.fixture
def ct() -> ConfigTool:
    return ConfigTool()
