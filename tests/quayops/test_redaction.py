from quayops.redaction import MASK, is_secret_key, mask_uri, redact, scrub, secret_values


def test_secret_keys_of_quay_configs_are_recognised():
    for key in ("DB_URI", "SECRET_KEY", "DATABASE_SECRET_KEY", "s3_secret_key", "s3_access_key", "access_key",
                "secret_key", "azure_account_key", "swift_password", "password", "LDAP_ADMIN_PASSWD",
                "SECURITY_SCANNER_V4_PSK", "CLIENT_SECRET", "sas_token", "AWS_SECRET_ACCESS_KEY",
                "AWS_ACCESS_KEY_ID", "DB_ROOT_PW", "CONFIG_EDITOR_PW", "connstring"):
        assert is_secret_key(key), key


def test_plain_keys_are_not_secret():
    for key in ("SERVER_HOSTNAME", "s3_bucket", "host", "port", "storage_path", "bucket_name",
                "FEATURE_APP_SPECIFIC_TOKENS", "USER_RECOVERY_TOKEN_LIFETIME", "cloudfront_key_id",
                "configBundleSecret", "azure_account_name"):
        assert not is_secret_key(key), key


def test_redact_masks_nested_storage_keys_and_uri_password():
    config = {
        "DB_URI": "postgresql://quay:hunter22@db.example.com:5432/quay",
        "DISTRIBUTED_STORAGE_CONFIG": {"s3": ["S3Storage", {"s3_access_key": "AKIAEXAMPLE", "s3_bucket": "b"}]},
        "BUILDLOGS_REDIS": {"host": "redis", "password": ""},
    }
    out = redact(config)
    assert out["DB_URI"] == f"postgresql://quay:{MASK}@db.example.com:5432/quay"
    assert out["DISTRIBUTED_STORAGE_CONFIG"]["s3"][1] == {"s3_access_key": MASK, "s3_bucket": "b"}
    assert out["BUILDLOGS_REDIS"]["password"] == ""  # empty stays visible as empty
    assert config["DB_URI"].endswith("hunter22@db.example.com:5432/quay")  # input untouched


def test_secret_values_and_scrub_remove_every_planted_secret():
    config = {"DB_URI": "postgresql://u:pw-planted-1@h/db", "x": {"swift_password": "planted-2"},
              "clair": "host=c password=planted-3 sslmode=disable"}
    secrets = secret_values(config)
    assert {"pw-planted-1", "planted-2", "planted-3"} <= secrets
    text = "error near pw-planted-1 and planted-2; dsn host=c password=planted-3"
    assert not any(s in scrub(text, secrets) for s in ("pw-planted-1", "planted-2", "planted-3"))


def test_mask_uri_leaves_uris_without_password():
    assert mask_uri("https://quay.example.com/v2/") == "https://quay.example.com/v2/"
    assert mask_uri("redis://:s3cret@r:6379") == f"redis://:{MASK}@r:6379"
