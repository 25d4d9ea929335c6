"""managed(X), ComponentsMatch and the kind tables (operator-facts §2.1, §2.3)."""

from quayops.operator.components import (
    ALL_COMPONENTS,
    REQUIRED,
    SUPPORTS_CONFIG_WHEN_MANAGED,
    components_match,
    is_managed,
)


def test_all_components_order():
    assert list(ALL_COMPONENTS) == [
        "quay", "postgres", "clair", "redis", "horizontalpodautoscaler", "objectstorage", "route",
        "mirror", "monitoring", "tls", "clairpostgres",
    ]


def test_required_and_config_when_managed_tables():
    assert REQUIRED == {"postgres", "objectstorage", "route", "redis", "tls"}
    assert SUPPORTS_CONFIG_WHEN_MANAGED == {"route", "mirror"}


def test_managed_is_first_entry_of_kind():
    components = [{"kind": "redis", "managed": False}, {"kind": "redis", "managed": True}]
    assert is_managed(components, "redis") is False


def test_absent_kind_counts_unmanaged():
    assert is_managed([], "clair") is False


def test_quay_always_managed_even_declared_unmanaged_or_absent():
    assert is_managed([], "quay") is True
    assert is_managed([{"kind": "quay", "managed": False}], "quay") is True


def test_components_match_ignores_order_and_overrides():
    a = [{"kind": "clair", "managed": True}, {"kind": "redis", "managed": False}]
    b = [{"kind": "redis", "managed": False, "overrides": {"env": []}}, {"kind": "clair", "managed": True}]
    assert components_match(a, b)


def test_components_match_differs_on_length_or_managed():
    a = [{"kind": "clair", "managed": True}]
    assert not components_match(a, a + [{"kind": "redis", "managed": True}])
    assert not components_match(a, [{"kind": "clair", "managed": False}])
