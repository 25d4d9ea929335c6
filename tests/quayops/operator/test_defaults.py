"""EnsureDefaultComponents (operator-facts §2.2)."""

import pytest

from quayops.errors import QuayopsError
from quayops.operator.components import ALL_COMPONENTS
from quayops.operator.defaults import ComponentDefaultError, ensure_default_components
from quayops.operator.platform import Platform

OPENSHIFT = Platform()
NO_ROUTES = Platform(routes=False)


def managed_by_kind(components):
    return {c["kind"]: c["managed"] for c in components}


def test_empty_spec_on_openshift_gets_every_kind_managed_in_order():
    result = ensure_default_components([], platform=OPENSHIFT, bundle_has_tls_pair=False)
    assert result == [{"kind": k, "managed": True} for k in ALL_COMPONENTS]


def test_declared_components_keep_position_and_values_missing_appended():
    declared = [
        {"kind": "objectstorage", "managed": False},
        {"kind": "clair", "managed": False, "overrides": {"labels": {"a": "b"}}},
    ]
    result = ensure_default_components(declared, platform=OPENSHIFT, bundle_has_tls_pair=False)
    assert result[:2] == declared
    assert [c["kind"] for c in result[2:]] == [
        "quay", "postgres", "redis", "horizontalpodautoscaler", "route", "mirror", "monitoring", "tls",
        "clairpostgres",
    ]


def test_returns_a_new_list_and_leaves_input_untouched():
    declared = [{"kind": "quay", "managed": False}]
    result = ensure_default_components(declared, platform=OPENSHIFT, bundle_has_tls_pair=False)
    assert declared == [{"kind": "quay", "managed": False}]
    assert result[0] == {"kind": "quay", "managed": True}


def test_tls_pair_in_bundle_defaults_tls_unmanaged():
    result = ensure_default_components([], platform=OPENSHIFT, bundle_has_tls_pair=True)
    assert managed_by_kind(result)["tls"] is False
    assert managed_by_kind(result)["route"] is True


def test_route_unmanaged_still_defaults_tls_managed_with_routes():
    # upstream test SomeComponentsProvidedWithRoutes; no "tls needs route" rule (§3.5)
    result = ensure_default_components(
        [{"kind": "route", "managed": False}], platform=OPENSHIFT, bundle_has_tls_pair=False
    )
    assert managed_by_kind(result)["tls"] is True


def test_no_routes_defaults_route_and_tls_unmanaged():
    result = managed_by_kind(ensure_default_components([], platform=NO_ROUTES, bundle_has_tls_pair=False))
    assert (result["route"], result["tls"]) == (False, False)


def test_no_obc_defaults_objectstorage_unmanaged():
    platform = Platform(object_bucket_claims=False)
    result = ensure_default_components([], platform=platform, bundle_has_tls_pair=False)
    assert managed_by_kind(result)["objectstorage"] is False


@pytest.mark.parametrize(
    "platform",
    [Platform(watch_namespace="quay-enterprise"), Platform(monitoring=False), Platform(grafana_namespace=False)],
)
def test_monitoring_defaults_unmanaged_without_support(platform):
    result = ensure_default_components([], platform=platform, bundle_has_tls_pair=False)
    assert managed_by_kind(result)["monitoring"] is False


@pytest.mark.parametrize(
    ("kind", "platform", "message"),
    [
        ("route", NO_ROUTES, "error validating component route: Route API not available"),
        ("tls", NO_ROUTES, "error validating component tls: Route API not available"),
        (
            "objectstorage",
            Platform(object_bucket_claims=False),
            "error validating component objectstorage: ObjectStorage API not available",
        ),
        (
            "monitoring",
            Platform(watch_namespace="quay-enterprise"),
            "error validating component monitoring: Prometheus API not available",
        ),
    ],
)
def test_declared_managed_without_platform_api_fails(kind, platform, message):
    with pytest.raises(ComponentDefaultError) as info:
        ensure_default_components([{"kind": kind, "managed": True}], platform=platform, bundle_has_tls_pair=False)
    assert isinstance(info.value, QuayopsError)
    assert str(info.value) == message
    assert info.value.component == kind


def test_first_failure_in_all_components_order_wins():
    declared = [{"kind": "monitoring", "managed": True}, {"kind": "tls", "managed": True},
                {"kind": "route", "managed": True}]
    platform = Platform(routes=False, monitoring=False)
    with pytest.raises(ComponentDefaultError, match="^error validating component route: "):
        ensure_default_components(declared, platform=platform, bundle_has_tls_pair=False)


def test_declared_unmanaged_without_platform_api_is_fine():
    declared = [{"kind": "route", "managed": False}, {"kind": "tls", "managed": False}]
    result = ensure_default_components(declared, platform=NO_ROUTES, bundle_has_tls_pair=False)
    assert result[:2] == declared


def test_managed_tls_with_cert_in_bundle_is_not_a_defaulting_error():
    result = ensure_default_components(
        [{"kind": "tls", "managed": True}], platform=OPENSHIFT, bundle_has_tls_pair=True
    )
    assert result[0] == {"kind": "tls", "managed": True}


def test_non_strict_skips_platform_checks():
    result = ensure_default_components(
        [{"kind": "route", "managed": True}], platform=NO_ROUTES, bundle_has_tls_pair=False, strict=False
    )
    assert result[0] == {"kind": "route", "managed": True}
