"""The bundle from runbook parameters: drivers, secret fields, the external database and the route choices."""

from __future__ import annotations

import pytest
import yaml

from quayops.install import InstallParametersInvalid
from quayops.install.configure import plan_bundle

BASE = {"name": "example-registry", "namespace": "quay-enterprise", "bundle_secret": "config-bundle-secret"}


def config_of(plan) -> dict:
    return yaml.safe_load(plan.bundle.files["config.yaml"])


def test_defaults_are_the_automation_preset_with_every_component_managed():
    plan = plan_bundle(**BASE)
    assert config_of(plan)["FEATURE_USER_INITIALIZE"] is True
    assert plan.components == []


def test_an_unknown_storage_driver_names_the_choices():
    with pytest.raises(InstallParametersInvalid, match="unknown storage driver 'ceph'") as e:
        plan_bundle(**BASE, storage="ceph")
    assert e.value.field == "storage" and "radosgw" in e.value.hint


def test_storage_keys_land_in_the_drivers_fields_and_storage_becomes_unmanaged():
    plan = plan_bundle(**BASE, storage="radosgw", storage_params={"hostname": "s3.local", "is_secure": False},
                       storage_access_key="AK", storage_secret_key="SK")
    params = config_of(plan)["DISTRIBUTED_STORAGE_CONFIG"]["radosGWStorage"][1]
    assert (params["access_key"], params["secret_key"], params["hostname"]) == ("AK", "SK", "s3.local")
    assert plan.components == [{"kind": "objectstorage", "managed": False}]


def test_the_database_password_joins_the_uri_and_a_password_in_the_uri_is_refused():
    plan = plan_bundle(**BASE, db_uri="postgresql://quay@db:5432/quay", db_password="p@ss word")
    assert config_of(plan)["DB_URI"] == "postgresql://quay:p%40ss%20word@db:5432/quay"
    with pytest.raises(InstallParametersInvalid, match="db_uri carries a password"):
        plan_bundle(**BASE, db_uri="postgresql://quay:secret@db/quay")


def test_route_unmanaged_needs_a_hostname_and_a_pair_and_turns_off_external_termination():
    with pytest.raises(InstallParametersInvalid, match="route unmanaged needs SERVER_HOSTNAME"):
        plan_bundle(**BASE, route_managed=False)
    plan = plan_bundle(**BASE, route_managed=False, hostname="quay.example.org", tls_pair=(b"cert", b"key"))
    assert config_of(plan)["EXTERNAL_TLS_TERMINATION"] is False
    assert plan.components == [{"kind": "tls", "managed": False}, {"kind": "route", "managed": False}]


def test_only_optional_components_can_be_switched_off():
    with pytest.raises(InstallParametersInvalid, match="unmanaged lists quay"):
        plan_bundle(**BASE, unmanaged=["quay"])
