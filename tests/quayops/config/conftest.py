"""Fixtures for config-tool validation tests: a statically valid base config and generated certificates."""

from __future__ import annotations

import pytest

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


@pytest.fixture(scope="session")
def san_pair(cert_factory):
    return cert_factory(cn="ignored.example.com", dns=("quay.example.com", "builder.example.com"))


@pytest.fixture(scope="session")
def cn_only_pair(cert_factory):
    return cert_factory(cn="quay.example.com")


@pytest.fixture(scope="session")
def wildcard_pair(cert_factory):
    return cert_factory(dns=("*.example.com",))


@pytest.fixture(scope="session")
def ip_pair(cert_factory):
    return cert_factory(dns=("quay.example.com",), ips=("10.0.0.1",))


@pytest.fixture(scope="session")
def other_key(cert_factory) -> bytes:
    return cert_factory()[1]


class ConfigTool:
    """The helpers above as one fixture object, so test modules need no conftest import."""

    base_config = staticmethod(base_config)
    run_yaml = staticmethod(run_yaml)
    run_config = staticmethod(run_config)
    messages = staticmethod(messages)
    base_yaml = BASE_YAML


@pytest.fixture
def ct(cert_factory) -> ConfigTool:
    tool = ConfigTool()
    tool.make_cert = cert_factory
    return tool
