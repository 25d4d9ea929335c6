"""Every guide and documentation example of config-facts §6, as YAML fixtures in examples/, with the outcome
config-facts gives it. Fragments are merged onto examples/base.yaml; complete configs run alone."""

from pathlib import Path

import pytest

from quayops.config.bundle import Bundle
from quayops.config.loading import parse_config_yaml
from quayops.config.validating import run_config_tool

EXAMPLES = Path(__file__).parent / "examples"
WRAP = ("An error occurred during validation. Process could not marshal config.yaml. This is most likely due to "
        "an incorrect type. \nMore info: ")
CA_NOT_ADDED = (
    "Could not connect to database. Error: cannot parse `postgresql://quayuser:xxxxx@quay-server.example.com:5432"
    "/quay?sslmode=verify-ca&sslrootcert=%2Ftmp%2Fdatabase.pem`: failed to configure TLS (unable to add CA to "
    "cert pool)"
)
VALID = [
    "guide-3.1.3-super-users", "guide-3.1.6-automation", "guide-3.1.5-new-features", "guide-3.2.1.1-s3",
    "guide-3.2.1.2-gcs", "guide-3.2.1.5-swift", "guide-3.2.1.6-noobaa", "guide-3.3.1-existing-postgres",
    "guide-3.3.2.1-db-uri", "guide-3.3.2.2.2-mysql-ssl", "guide-3.5.1-external-redis",
    "guide-3.5.1.1.3-redis-ssl", "guide-5.3-downloaded-config", "guide-9.3.2.1-virtual-builders",
    "docs-local-storage", "docs-tag-expiration", "docs-clair",
]


def fixture(name: str) -> dict:
    return parse_config_yaml((EXAMPLES / f"{name}.yaml").read_text())


def run(config: dict, files: dict[str, bytes] | None = None):
    import io

    from ruamel.yaml import YAML

    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(config, out)
    return run_config_tool(Bundle({"config.yaml": out.getvalue().encode(), **(files or {})}))


def merged(name: str) -> dict:
    return fixture("base") | fixture(name)


@pytest.mark.parametrize("name", VALID)
def test_statically_valid(name):
    result = run(merged(name))
    assert (result.stage, [f.message for f in result.findings]) == ("validate", [])


def test_azure_key_is_not_base64():
    result = run(merged("guide-3.2.1.3-azure"))
    assert [(f.field_group, f.message) for f in result.findings] == [
        ("DistributedStorage", ("Could not create credentials for Azure storage. Error: illegal base64 data at input "
                               "byte 5")),
    ]


def test_radosgw_is_secure_string_is_fatal():
    result = run(merged("guide-3.2.1.4-radosgw"))
    assert result.stage == "load"
    assert [f.message for f in result.findings] == [WRAP + "is_secure must be of type boolean"]


def test_radosgw_corrected_is_valid_with_string_port_and_unknown_preference():
    config = merged("guide-3.2.1.4-radosgw")
    config["DISTRIBUTED_STORAGE_CONFIG"]["radosGWStorage"][1]["is_secure"] = True
    assert config["DISTRIBUTED_STORAGE_PREFERENCE"] == ["default"]
    assert run(config).findings == []


def test_noobaa_docs_form_with_string_is_secure_is_fatal():
    config = merged("guide-3.2.1.6-noobaa")
    config["DISTRIBUTED_STORAGE_CONFIG"]["default"][1]["is_secure"] = "true"
    assert run(config).findings[0].message == WRAP + "is_secure must be of type boolean"


def test_postgres_ssl_example_needs_database_pem(san_pair):
    assert [f.message for f in run(merged("guide-3.3.2.2.1-postgres-ssl")).findings] == [CA_NOT_ADDED]
    assert run(merged("guide-3.3.2.2.1-postgres-ssl"), {"database.pem": san_pair[0]}).findings == []


def test_mysql_ssl_example_with_a_mysql_uri():
    config = merged("guide-3.3.2.2.2-mysql-ssl") | {"DB_URI": "mysql+pymysql://quay:pw@mysql:3306/quay"}
    assert [f.message for f in run(config).findings] == [
        "Could not connect to database. Error: Could not find database.pem in config bundle"
    ]


def test_georeplication_is_valid():
    assert run(fixture("guide-10.3.1.1-georeplication")).findings == []


def test_georeplication_with_a_local_location_is_invalid():
    config = fixture("guide-10.3.1.1-georeplication")
    config["DISTRIBUTED_STORAGE_CONFIG"]["local"] = ["LocalStorage", {"storage_path": "/datastorage/registry"}]
    assert [f.message for f in run(config).findings] == [
        "FEATURE_STORAGE_REPLICATION is not supported by LocalStorage."
    ]


def test_georeplication_placeholder_hostname_as_printed():
    config = fixture("guide-10.3.1.1-georeplication") | {"SERVER_HOSTNAME": "<georep.quayteam.org or any other name> 1"}
    assert [f.message for f in run(config).findings] == ["SERVER_HOSTNAME must be of type Hostname"]
