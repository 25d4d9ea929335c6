"""BuildManager (config-facts §3, §4.10): shape and yaml.v3 type errors only."""

import pytest

ARGS = {"ALLOWED_WORKER_COUNT": 1, "ORCHESTRATOR": {"REDIS_HOST": "r"}, "EXECUTORS": [{"EXECUTOR": "kubernetes"}]}


def load(ct, value, **extra):
    return ct.run_config(ct.base_config() | {"FEATURE_BUILD_SUPPORT": True, "BUILD_MANAGER": value} | extra)


def test_list_shape_accepted(ct):
    assert load(ct, ["ephemeral", ARGS]).findings == []


def test_build_manager_single_key_mapping_accepted(ct):
    assert load(ct, {"ephemeral": ARGS}).findings == []


@pytest.mark.parametrize("value", ["ephemeral", ["ephemeral"], ["ephemeral", ARGS, "x"], [ARGS, "ephemeral"],
                                   {"a": {}, "b": {}}, [5, ARGS]])
def test_incorrect_format(ct, value):
    result = load(ct, value)
    assert result.stage == "load"
    assert result.findings[0].message.endswith("More info: Incorrect format for value BUILD_MANAGER")


def test_typed_field_error_uses_remarshalled_line(ct):
    # yaml.v3 sorts "BUILD_MANAGER" before "BUILDLOGS_REDIS" ("_" before letters): key on line 1,
    # "- ephemeral" on line 2, the arguments from line 3
    result = load(ct, ["ephemeral", {"ALLOWED_WORKER_COUNT": "one"}])
    assert result.findings[0].message.endswith(
        "More info: yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `one` into int")


def test_several_typed_errors(ct):
    args = {"ORCHESTRATOR": {"REDIS_SSL": "maybe"}, "EXECUTORS": [{"SETUP_TIME": "slow", "SSH_AUTHORIZED_KEYS": "k"}]}
    message = load(ct, ["ephemeral", args]).findings[0].message
    assert message.endswith(
        "More info: yaml: unmarshal errors:\n"
        "  line 4: cannot unmarshal !!str `slow` into int\n"
        "  line 5: cannot unmarshal !!str `k` into []interface {}\n"
        "  line 7: cannot unmarshal !!str `maybe` into bool"
    )


def test_nulls_unknown_keys_and_old_bools_pass(ct):
    args = {"JOB_REGISTRATION_TIMEOUT": 3600, "ORCHESTRATOR": {"REDIS_SSL": "yes"},
            "EXECUTORS": [{"NAME": "openshift", "MINIMUM_RETRY_THRESHOLD": None, "DEBUG": True, "SETUP_TIME": 180.0}]}
    assert load(ct, ["ephemeral", args]).findings == []


def test_no_validate_rules(ct):
    assert load(ct, ["not-ephemeral", {"EXECUTORS": [{"EXECUTOR": "anything"}]}], BUILDMAN_HOSTNAME=5).findings == []


def test_feature_build_support_type_reported_by_bitbucket(ct):
    result = ct.run_config(ct.base_config() | {"FEATURE_BUILD_SUPPORT": "yes"})
    assert result.findings[0].message.endswith("More info: FEATURE_BUILD_SUPPORT must be of type bool")
