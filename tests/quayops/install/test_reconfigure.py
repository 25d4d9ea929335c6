"""Config changes of guide 5 and 6 planned on a literal bundle: list additions, values, files, and no-ops."""

from __future__ import annotations

import pytest
import yaml

from quayops.config.bundle import Bundle
from quayops.install import InstallParametersInvalid
from quayops.install.reconfigure import plan_config_change

BUNDLE = Bundle({"config.yaml": b"SUPER_USERS:\n- quayadmin\nFEATURE_USER_INITIALIZE: true\n"})


def test_adding_4w_starts_from_quays_default_2w():
    change = plan_config_change(BUNDLE, add_to_lists={"TAG_EXPIRATION_OPTIONS": ["4w"]})
    assert change.expected == {"TAG_EXPIRATION_OPTIONS": ["2w", "4w"]}
    assert change.rows == [{"key": "TAG_EXPIRATION_OPTIONS", "before": '["2w"]', "after": '["2w", "4w"]'}]
    assert yaml.safe_load(change.bundle.files["config.yaml"])["TAG_EXPIRATION_OPTIONS"] == ["2w", "4w"]


def test_a_superuser_a_value_and_a_ca_file_in_one_change():
    change = plan_config_change(BUNDLE, add_to_lists={"SUPER_USERS": ["ops"]}, set_values={"FEATURE_PROXY_CACHE": True},
                                files={"extra_ca_cert_corp.crt": b"PEM"})
    assert [r["key"] for r in change.rows] == ["SUPER_USERS", "FEATURE_PROXY_CACHE", "extra_ca_cert_corp.crt"]
    assert change.bundle.files["extra_ca_cert_corp.crt"] == b"PEM"


def test_a_change_that_is_already_there_is_refused():
    with pytest.raises(InstallParametersInvalid, match="already in the config"):
        plan_config_change(BUNDLE, add_to_lists={"SUPER_USERS": ["quayadmin"]})
