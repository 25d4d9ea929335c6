"""DistributedStorage group (config-facts §4.2): drivers, minio, Azure base64, Swift."""

import pytest

from quayops.config.fieldgroups.distributedstorage import base64_error_offset

GROUP = "DistributedStorage"


def storage(ct, locations, **extra):
    config = ct.base_config() | {"DISTRIBUTED_STORAGE_CONFIG": locations} | extra
    return ct.run_config(config)


def msgs(ct, locations, **extra):
    return ct.messages(storage(ct, locations, **extra), GROUP)


def test_no_locations(ct):
    assert msgs(ct, {}) == ["DISTRIBUTED_STORAGE_CONFIG must contain at least one storage location."]


def test_local_storage_needs_nothing(ct):
    assert msgs(ct, {"local": ["LocalStorage", {}]}) == []


def test_local_storage_with_replication_once_per_location(ct):
    locations = {"a": ["LocalStorage", {}], "b": ["LocalStorage", {}]}
    assert msgs(ct, locations, FEATURE_STORAGE_REPLICATION=True) == [
        "FEATURE_STORAGE_REPLICATION is not supported by LocalStorage."
    ] * 2


def test_storage_preference_unknown_location(ct):
    locations = {"local": ["LocalStorage", {}]}
    assert msgs(ct, locations, DISTRIBUTED_STORAGE_PREFERENCE=["nowhere"],
                DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS=["elsewhere"]) == []


def test_replication_with_one_location_not_checked(ct):
    assert msgs(ct, {"gcs": ["GoogleCloudStorage", {"access_key": "a", "secret_key": "s",
                                                    "bucket_name": "quay"}]},
                FEATURE_STORAGE_REPLICATION=True) == []


@pytest.mark.parametrize("driver", ["IBMCloudStorage", "STSS3Storage", "CloudFlareStorage", "S3storage"])
def test_unknown_driver(ct, driver):
    assert msgs(ct, {"x": [driver, {}]}) == [f"{driver} is not a valid storage type."]


@pytest.mark.parametrize(("driver", "params"), [
    ("S3Storage", ["s3_bucket"]),
    ("GoogleCloudStorage", ["access_key", "secret_key", "bucket_name"]),
    ("RadosGWStorage", ["access_key", "secret_key", "hostname", "bucket_name"]),
    ("RHOCSStorage", ["access_key", "secret_key", "hostname", "bucket_name"]),
    ("AzureStorage", ["azure_container", "azure_account_name"]),
    ("CloudFrontedS3Storage", ["s3_access_key", "s3_secret_key", "s3_bucket", "cloudfront_distribution_domain",
                               "cloudfront_key_id"]),
])
def test_required_parameters(ct, driver, params):
    assert msgs(ct, {"loc": [driver, {}]}) == [f"DISTRIBUTED_STORAGE_CONFIG.loc.{p} is required" for p in params]


def test_swift_auth_version_then_required(ct):
    assert msgs(ct, {"sw": ["SwiftStorage", {}]}) == [
        "0 must be either 1, 2, or 3.",
        "DISTRIBUTED_STORAGE_CONFIG.sw.auth_url is required",
        "DISTRIBUTED_STORAGE_CONFIG.sw.swift_container is required",
        "DISTRIBUTED_STORAGE_CONFIG.sw.swift_user is required",
        "DISTRIBUTED_STORAGE_CONFIG.sw.swift_password is required",
    ]


SWIFT = {"auth_url": "https://x/v3", "swift_container": "c", "swift_user": "u", "swift_password": "p"}


@pytest.mark.parametrize(("options", "expected"), [
    (None, ["Swift auth v3 requires a domain (string) in os_options"]),
    ({"user_domain_name": "Default"}, ["Swift auth v3 requires tenant_id (string) in os_options"]),
    ({"user_domain_name": "Default", "tenant_id": 5}, ["Swift auth v3 requires tenant_id (string) in os_options"]),
    ({"user_domain_name": "Default", "tenant_id": "t"}, []),
])
def test_swift_v3_os_options(ct, options, expected):
    params = SWIFT | {"auth_version": "3"} | ({} if options is None else {"os_options": options})
    assert msgs(ct, {"sw": ["SwiftStorage", params]}) == expected


def rados(**params):
    return {"r": ["RadosGWStorage", {"access_key": "a", "secret_key": "s", "hostname": "ceph.example.com",
                                     "bucket_name": "quay"} | params]}


@pytest.mark.parametrize(("params", "expected"), [
    ({"port": "443", "is_secure": True}, []),
    ({"port": ""}, []),
    ({"port": 8080.7}, []),
    ({"hostname": "https://ceph.example.com"},
     [("An error occurred while attempting to connect to r storage. Error: Endpoint url cannot have fully "
      "qualified paths.")]),
    ({"hostname": "https://ceph.example.com", "port": 443},
     [("An error occurred while attempting to connect to r storage. Error: address "
      "https://ceph.example.com:443: too many colons in address")]),
    ({"hostname": "-ceph"},
     [("An error occurred while attempting to connect to r storage. Error: Endpoint: -ceph does not follow ip "
      "address or domain name standards.")]),
    ({"bucket_name": "ab"}, ["Could not connect to storage r. Error: Bucket name cannot be shorter than 3 characters"]),
    ({"bucket_name": "a" * 64}, ["Could not connect to storage r. Error: Bucket name cannot be longer than 63 characters"]),
    ({"bucket_name": "10.0.0.1"}, ["Could not connect to storage r. Error: Bucket name cannot be an ip address"]),
    ({"bucket_name": "a..b"}, ["Could not connect to storage r. Error: Bucket name contains invalid characters"]),
    ({"bucket_name": "quay_bucket"}, []),
])
def test_minio_client_checks(ct, params, expected):
    assert msgs(ct, rados(**params)) == expected


def test_s3_without_keys_is_online_only(ct):
    assert msgs(ct, {"s3": ["S3Storage", {"s3_bucket": "ab"}]}) == []
    assert msgs(ct, {"s3": ["S3Storage", {"s3_bucket": "ab", "s3_access_key": "a", "s3_secret_key": "s"}]}) == [
        "Could not connect to storage s3. Error: Bucket name cannot be shorter than 3 characters"
    ]


@pytest.mark.parametrize(("key", "n"), [
    ("azure_account_key_here", 5), ("YWJj", None), ("YWI=", None), ("YQ=", 3), ("Y", 0), ("YWJjZA=x", 6),
    ("YWJjZA==x", 8), ("YW\nJj", None),
])
def test_azure_key_base64_offset(key, n):
    assert base64_error_offset(key.encode()) == n


def test_azure_key_message(ct):
    assert msgs(ct, {"az": ["AzureStorage", {"azure_container": "c", "azure_account_name": "n",
                                             "azure_account_key": "azure_account_key_here"}]}) == [
        "Could not create credentials for Azure storage. Error: illegal base64 data at input byte 5"
    ]


@pytest.mark.parametrize(("value", "error"), [
    ({"x": "LocalStorage"}, "DISTRIBUTED_STORAGE_CONFIG object values must be of form (Name, Args)"),
    ({"x": [5, {}]}, "First index of value in DISTRIBUTED_STORAGE_CONFIG must be a string"),
    ({"x": ["LocalStorage", "args"]}, "Second index of value in DISTRIBUTED_STORAGE_CONFIG must be an object"),
    (rados(is_secure="true"), "is_secure must be of type boolean"),
    (rados(port="https"), "port must be of type integer"),
    (rados(port=True), "port must be of type integer"),
    (rados(access_key=5), "access_key must be of type string"),
    (rados(azure_account_name=5), "azure_container must be of type string"),
    ({"sw": ["SwiftStorage", {"auth_version": "v3"}]}, "auth_version must be of type integer"),
    ({"sw": ["SwiftStorage", {"os_options": "x"}]}, "os_options must be an object"),
])
def test_constructor_types(ct, value, error):
    result = storage(ct, value)
    assert result.stage == "load" and result.findings[0].message.endswith("More info: " + error)


def test_replication_flag_wording(ct):
    result = storage(ct, {"local": ["LocalStorage", {}]}, FEATURE_STORAGE_REPLICATION="yes")
    assert result.findings[0].message.endswith("More info: FEATURE_STORAGE_REPLICATION must be of type boolean")


def test_preference_item_type(ct):
    result = storage(ct, {"local": ["LocalStorage", {}]}, DISTRIBUTED_STORAGE_PREFERENCE=["a", 1])
    assert result.findings[0].message.endswith("More info: DISTRIBUTED_STORAGE_PREFERENCE must be of type []string")


@pytest.mark.parametrize("value", [{"x": ["LocalStorage"]}, {"x": []}])
def test_short_definition_is_a_crash(ct, value):
    result = storage(ct, value)
    assert result.stage == "load" and "Quay's config-tool itself would crash" in result.findings[0].message


@pytest.mark.parametrize("key", ["DISTRIBUTED_STORAGE_PREFERENCE", "DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS"])
def test_non_list_preference_is_a_crash(ct, key):
    result = storage(ct, {"local": ["LocalStorage", {}]}, **{key: "local"})
    assert result.stage == "load" and "would crash" in result.findings[0].message
