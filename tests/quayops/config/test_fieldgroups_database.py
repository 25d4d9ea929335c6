"""Database group (config-facts §4.1): the db-* cases."""

import pytest

GROUP = "Database"
PREFIX = "Could not connect to database. Error: "


def db(ct, uri, args=None, files=None):
    config = ct.base_config()
    config["DB_URI"] = uri
    if args is not None:
        config["DB_CONNECTION_ARGS"] = args
    return ct.messages(ct.run_config(config, files), GROUP)


def test_db_uri_missing(ct):
    config = ct.base_config()
    del config["DB_URI"]
    assert ct.messages(ct.run_config(config), GROUP) == ["DB_URI is required."]


def test_db_uri_empty(ct):
    assert db(ct, "") == ["DB_URI is required."]


@pytest.mark.parametrize("uri", [
    "postgresql://quayuser:quaypass@db:5432/quay", "POSTGRESQL://u:p@db/quay", "mysql+pymysql://u:p@db/quay",
])
def test_db_valid_schemes(ct, uri):
    assert db(ct, uri) == []


@pytest.mark.parametrize("uri", [
    "postgres://u:p@db/quay", "mysql://u:p@db/quay", "postgresql+psycopg2://u:p@db/quay", "sqlite:///quay.db",
    "db/quay",
])
def test_db_invalid_scheme(ct, uri):
    assert db(ct, uri) == [PREFIX + "you must use a valid scheme"]


def test_db_sslmode_invalid_masks_password(ct):
    assert db(ct, "postgresql://u:secret@db:5432/quay", {"sslmode": "bogus"}) == [
        PREFIX + "cannot parse `postgresql://u:xxxxx@db:5432/quay?sslmode=bogus`: failed to configure TLS "
        "(sslmode is invalid)"
    ]


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer", "require"])
def test_db_sslmode_non_verify_ok_without_ca(ct, mode):
    assert db(ct, "postgresql://u:p@db/quay", {"sslmode": mode, "sslrootcert": "/nowhere"}) == []


def test_db_verify_ca_without_database_pem(ct):
    assert db(ct, "postgresql://u:p@db/quay", {"sslmode": "verify-ca", "sslrootcert": "/path/to/cacert"}) == [
        PREFIX + "cannot parse `postgresql://u:xxxxx@db/quay?sslmode=verify-ca&sslrootcert=%2Ftmp%2Fdatabase.pem`: "
        "failed to configure TLS (unable to add CA to cert pool)"
    ]


def test_db_verify_full_with_database_pem(ct, san_pair):
    assert db(ct, "postgresql://u:p@db/quay", {"sslmode": "verify-full"}, {"database.pem": san_pair[0]}) == []


def test_db_mysql_ca_basename_lookup(ct, san_pair):
    args = {"ssl": {"ca": "/conf/stack/database.pem"}}
    assert db(ct, "mysql+pymysql://u:p@db/quay", args, {"database.pem": san_pair[0]}) == []
    assert db(ct, "mysql+pymysql://u:p@db/quay", {"ssl": {"ca": "foo/other.pem"}}) == [
        PREFIX + "Could not find database.pem in config bundle"
    ]
    assert db(ct, "mysql+pymysql://u:p@db/quay", args, {"database.pem": b"not pem"}) == [
        PREFIX + "Could not add CA cert to pool"
    ]


def test_db_uri_without_path_is_a_config_tool_crash(ct):
    [message] = db(ct, "postgresql://u:p@host")
    assert message.startswith("DB_URI has a host but no database path")
    assert "Quay's config-tool itself would crash" in message


def test_db_threadlocals_values_not_checked(ct):
    assert db(ct, "postgresql://u:p@db/quay", {"threadlocals": False, "autorollback": False}) == []


@pytest.mark.parametrize(("args", "error"), [
    ({"threadlocals": "yes"}, "threadlocals must be of type bool"),
    ({"autorollback": 1}, "autorollback must be of type bool"),
    ({"sslmode": 1}, "sslmode must be of type string"),
    ({"sslrootcert": True}, "sslrootcert must be of type string"),
    ({"ssl": {"ca": 5}}, "ca must be of type string"),
])
def test_db_connection_args_types(ct, args, error):
    config = ct.base_config() | {"DB_CONNECTION_ARGS": args}
    result = ct.run_config(config)
    assert result.stage == "load" and result.findings[0].message.endswith("More info: " + error)


def test_db_uri_type(ct):
    result = ct.run_config(ct.base_config() | {"DB_URI": 5})
    assert result.findings[0].message.endswith("More info: DB_URI must be of type string")


@pytest.mark.parametrize("args", ["x", [1], {"ssl": "ca"}])
def test_db_connection_args_not_mapping_crash(ct, args):
    result = ct.run_config(ct.base_config() | {"DB_CONNECTION_ARGS": args})
    assert result.stage == "load" and "Quay's config-tool itself would crash" in result.findings[0].message
