"""hasNecessaryConfig rules A, B, C (operator-facts §3.3), per unmanaged combination of guide 3.x."""

import pytest

from quayops.operator.checks import check_component_config, parse_bundle_yaml, refuse_component_config
from quayops.operator.defaults import ensure_default_components
from quayops.operator.platform import Platform

PAIR = {"ssl.cert": b"CERT", "ssl.key": b"KEY"}
CLAIR_DB = b"indexer:\n  connstring: host=db port=5432 user=clair dbname=clair\n"


def components(*unmanaged, managed=()):
    declared = [{"kind": k, "managed": False} for k in unmanaged] + [{"kind": k, "managed": True} for k in managed]
    return ensure_default_components(declared, platform=Platform(), bundle_has_tls_pair=False)


def required_missing(kind):
    return f"required component `{kind}` marked as unmanaged, but `configBundleSecret` is missing necessary fields"


def managed_with_config(kind):
    return f"{kind} component marked as managed, but `configBundleSecret` contains required fields"


def test_all_managed_with_empty_bundle_passes():
    assert check_component_config(components(), {}, {}) is None


@pytest.mark.parametrize("kind", ["postgres", "objectstorage", "route", "redis", "tls"])
def test_required_unmanaged_without_config(kind):
    assert check_component_config(components(kind), {}, {}) == required_missing(kind)


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        ("postgres", {"DB_URI": "postgresql://quay:pw@db:5432/quay"}),
        ("postgres", {"DB_CONNECTION_ARGS": {"sslmode": "verify-full"}}),  # one field is enough
        ("objectstorage", {"DISTRIBUTED_STORAGE_CONFIG": {"s3": ["S3Storage", {}]}}),
        ("objectstorage", {"FEATURE_STORAGE_REPLICATION": False}),  # false still counts
        ("redis", {"BUILDLOGS_REDIS": {"host": "redis"}}),  # USER_EVENTS_REDIS not needed
        ("route", {"SERVER_HOSTNAME": "quay.example.com"}),
    ],
)
def test_unmanaged_required_with_any_one_field_passes(kind, config):
    assert check_component_config(components(kind), config, {}) is None


def test_unmanaged_tls_with_pair_passes():
    assert check_component_config(components("tls"), {}, PAIR) is None


def test_unmanaged_tls_needs_both_files():
    assert check_component_config(components("tls"), {}, {"ssl.cert": b"CERT"}) == required_missing("tls")


@pytest.mark.parametrize("kind", ["clair", "horizontalpodautoscaler", "mirror", "monitoring"])
def test_optional_unmanaged_without_config_passes(kind):
    assert check_component_config(components(kind), {}, {}) is None


def test_guide_unmanaged_hpa_monitoring_mirror_together():
    assert check_component_config(components("horizontalpodautoscaler", "monitoring", "mirror"), {}, {}) is None


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        ("clair", {"FEATURE_SECURITY_SCANNER": False}),
        ("postgres", {"DB_URI": "postgresql://x"}),
        ("redis", {"USER_EVENTS_REDIS": {"host": "r"}}),
        ("objectstorage", {"DISTRIBUTED_STORAGE_PREFERENCE": ["default"]}),
    ],
)
def test_managed_with_config(kind, config):
    assert check_component_config(components(), config, {}) == managed_with_config(kind)


def test_managed_tls_with_pair_in_bundle():
    assert check_component_config(components(), {}, PAIR) == managed_with_config("tls")


def test_managed_tls_with_empty_pair_files_still_counts():
    assert check_component_config(components(), {}, {"ssl.cert": b"", "ssl.key": b""}) == managed_with_config("tls")


@pytest.mark.parametrize(
    "config",
    [
        {"SERVER_HOSTNAME": "quay.example.com", "PREFERRED_URL_SCHEME": "https"},
        {"FEATURE_REPO_MIRROR": True, "REPO_MIRROR_INTERVAL": 10},
    ],
)
def test_managed_route_and_mirror_accept_config(config):
    assert check_component_config(components(), config, {}) is None


def test_security_scanner_psk_alone_is_not_clair_config():
    assert check_component_config(components(), {"SECURITY_SCANNER_V4_PSK": "abc"}, {}) is None


def test_null_valued_key_counts_as_config():
    config, _ = parse_bundle_yaml(b"DB_URI: null\n")
    assert check_component_config(components(), config, {}) == managed_with_config("postgres")


def test_clairpostgres_unmanaged_without_config_while_clair_managed():
    assert check_component_config(components("clairpostgres"), {}, {}) == (
        "clairpostgres component unmanaged but no clair postgres config provided"
    )


def test_clairpostgres_unmanaged_with_connstring_passes():
    assert check_component_config(components("clairpostgres"), {}, {"clair-config.yaml": CLAIR_DB}) is None


@pytest.mark.parametrize("section", ["indexer", "matcher", "notifier"])
def test_clairpostgres_connstring_in_any_section(section):
    files = {"clair-config.yaml": f"{section}:\n  connstring: host=db\n".encode()}
    assert check_component_config(components("clairpostgres"), {}, files) is None


def test_clair_config_without_connstring_is_no_config():
    files = {"clair-config.yaml": b"log_level: debug\nindexer:\n  connstring: ''\n"}
    assert check_component_config(components("clairpostgres"), {}, files) == (
        "clairpostgres component unmanaged but no clair postgres config provided"
    )


def test_clairpostgres_and_clair_unmanaged_passes():
    assert check_component_config(components("clair", "clairpostgres"), {}, {}) is None


def test_clairpostgres_managed_with_clair_unmanaged_passes():
    assert check_component_config(components("clair"), {}, {}) is None


def test_clairpostgres_managed_with_connstring_is_managed_with_config():
    assert check_component_config(components(), {}, {"clair-config.yaml": CLAIR_DB}) == (
        managed_with_config("clairpostgres")
    )


def test_unparsable_clair_config_cannot_be_verified():
    message = check_component_config(components(), {}, {"clair-config.yaml": b"indexer: [\n"})
    assert message.startswith("unable to verify component config: yaml: ")


def test_unknown_component():
    declared = [{"kind": "builder", "managed": True}]
    defaulted = ensure_default_components(declared, platform=Platform(), bundle_has_tls_pair=False)
    assert check_component_config(defaulted, {}, {}) == (
        "unable to verify component config: unknown component: builder"
    )


def test_first_error_in_spec_order_wins():
    declared = [{"kind": "redis", "managed": False}, {"kind": "postgres", "managed": False}]
    defaulted = ensure_default_components(declared, platform=Platform(), bundle_has_tls_pair=False)
    assert check_component_config(defaulted, {}, {}) == required_missing("redis")


def test_refusal_is_config_invalid_with_fix():
    refusal = refuse_component_config(components("postgres"), {}, {})
    assert refusal.reason == "ConfigInvalid"
    assert refusal.component == "postgres"
    assert "DB_URI" in refusal.fix and "mark postgres managed" in refusal.fix
