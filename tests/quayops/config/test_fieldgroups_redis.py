"""Redis group (config-facts §4.3) with its two bugs."""

import pytest

GROUP = "Redis"


def redis(ct, **changes):
    config = ct.base_config()
    for key, value in changes.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    return ct.run_config(config)


def test_buildlogs_required(ct):
    assert ct.messages(redis(ct, BUILDLOGS_REDIS=None), GROUP) == ["BUILDLOGS_REDIS is required"]


def test_user_events_required(ct):
    assert ct.messages(redis(ct, USER_EVENTS_REDIS=None), GROUP) == ["USER_EVENTS_REDIS is required"]


def test_redis_buildlogs_missing_host(ct):
    assert ct.messages(redis(ct, BUILDLOGS_REDIS={"port": 6379}), GROUP) == [
        "BUILDLOGS_REDIS.HOST is required", "USER_EVENTS_REDIS.HOST is required",
    ]


def test_redis_user_events_missing_host_not_reported(ct):
    assert ct.messages(redis(ct, USER_EVENTS_REDIS={"port": 6379}), GROUP) == []


def test_port_not_required(ct):
    assert ct.messages(redis(ct, BUILDLOGS_REDIS={"host": "r"}, USER_EVENTS_REDIS={"host": "r"}), GROUP) == []


@pytest.mark.parametrize(("conf", "error"), [
    ({"host": "r", "port": "6379"}, "port must be of type int"),
    ({"host": "r", "port": 6379.0}, "port must be of type int"),
    ({"host": "r", "ssl": "true"}, "ssl must be of type bool"),
    ({"host": 1}, "host must be of type string"),
])
def test_redis_types(ct, conf, error):
    result = redis(ct, BUILDLOGS_REDIS=conf)
    assert result.stage == "load" and result.findings[0].message.endswith("More info: " + error)


def test_redis_scalar_is_a_crash(ct):
    result = redis(ct, USER_EVENTS_REDIS="redis:6379")
    assert result.stage == "load"
    assert result.findings[0].message.startswith("USER_EVENTS_REDIS is a string, not a mapping")
