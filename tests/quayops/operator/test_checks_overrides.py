"""ValidateOverrides (operator-facts §3.2): messages without the "invalid overrides: " prefix."""

import pytest

from quayops.operator.checks import refuse_overrides, validate_overrides
from quayops.operator.defaults import ensure_default_components
from quayops.operator.platform import Platform


def defaulted(*declared):
    return ensure_default_components(list(declared), platform=Platform(), bundle_has_tls_pair=False)


def c(kind, managed=True, **overrides):
    return {"kind": kind, "managed": managed, "overrides": overrides}


AFFINITY = {"podAntiAffinity": {}}
ENV = [{"name": "DEBUGLOG", "value": "true"}]


def test_no_overrides_is_valid():
    assert validate_overrides(defaulted()) is None


def test_null_overrides_are_skipped():
    assert validate_overrides(defaulted({"kind": "redis", "managed": False, "overrides": None})) is None


@pytest.mark.parametrize(
    "overrides",
    [{"affinity": AFFINITY}, {"volumeSize": "60Gi"}, {"replicas": 0}, {"env": ENV}],
)
def test_overrides_on_unmanaged_component(overrides):
    assert validate_overrides(defaulted(c("clair", False, **overrides))) == (
        "cannot set overrides on unmanaged clair"
    )


def test_empty_env_does_not_count_as_override():
    assert validate_overrides(defaulted(c("clair", False, env=[]))) is None


@pytest.mark.parametrize("overrides", [{"labels": {"team": "a"}}, {"annotations": {"note": "x"}}])
def test_labels_and_annotations_allowed_on_unmanaged(overrides):
    assert validate_overrides(defaulted(c("redis", False, **overrides))) is None


def test_unmanaged_check_uses_first_entry_of_kind():
    components = defaulted(c("mirror", False), c("mirror", True, replicas=0))
    assert validate_overrides(components) == "cannot set overrides on unmanaged mirror"


def test_replicas_with_managed_hpa():
    assert validate_overrides(defaulted(c("quay", replicas=3))) == "cannot override replicas with managed HPA"


def test_replicas_zero_with_managed_hpa_is_allowed():
    # the backup scale-down (guide 11)
    components = defaulted(c("quay", replicas=0), c("clair", replicas=0), c("mirror", replicas=0))
    assert validate_overrides(components) is None


def test_replicas_allowed_with_unmanaged_hpa():
    components = defaulted(c("quay", replicas=3), {"kind": "horizontalpodautoscaler", "managed": False})
    assert validate_overrides(components) is None


def test_hpa_replicas_error_fires_before_support_check():
    assert validate_overrides(defaulted(c("redis", replicas=10))) == "cannot override replicas with managed HPA"


def test_replicas_unsupported_with_unmanaged_hpa():
    components = defaulted(c("redis", replicas=10), {"kind": "horizontalpodautoscaler", "managed": False})
    assert validate_overrides(components) == "component redis does not support replicas overrides"


@pytest.mark.parametrize("kind", ["postgres", "redis", "route", "clairpostgres"])
def test_affinity_unsupported(kind):
    assert validate_overrides(defaulted(c(kind, affinity=AFFINITY))) == (
        f"component {kind} does not support affinity overrides"
    )


@pytest.mark.parametrize("kind", ["clair", "mirror", "quay"])
def test_affinity_supported(kind):
    assert validate_overrides(defaulted(c(kind, affinity=AFFINITY))) is None


@pytest.mark.parametrize("kind", ["quay", "redis", "clairpostgres", "mirror"])
def test_volume_size_unsupported(kind):
    assert validate_overrides(defaulted(c(kind, volumeSize="60Gi"))) == (
        f"component {kind} does not support volumeSize overrides"
    )


@pytest.mark.parametrize("kind", ["postgres", "clair"])
def test_volume_size_supported(kind):
    assert validate_overrides(defaulted(c(kind, volumeSize="60Gi"))) is None


@pytest.mark.parametrize("kind", ["clairpostgres", "objectstorage", "horizontalpodautoscaler"])
def test_env_unsupported(kind):
    assert validate_overrides(defaulted(c(kind, env=ENV))) == f"component {kind} does not support env overrides"


@pytest.mark.parametrize("kind", ["quay", "clair", "mirror", "postgres", "redis"])
def test_env_supported(kind):
    assert validate_overrides(defaulted(c(kind, env=ENV))) is None


def test_support_checks_in_order_affinity_first():
    assert validate_overrides(defaulted(c("redis", affinity=AFFINITY, volumeSize="60Gi"))) == (
        "component redis does not support affinity overrides"
    )


def test_first_component_in_spec_order_wins():
    components = defaulted(c("redis", volumeSize="60Gi"), c("postgres", affinity=AFFINITY))
    assert validate_overrides(components) == "component redis does not support volumeSize overrides"


def test_refusal_carries_condition_reason_and_prefix():
    refusal = refuse_overrides(defaulted(c("clair", False, env=ENV)))
    assert refusal.message == "invalid overrides: cannot set overrides on unmanaged clair"
    assert refusal.reason == "ComponentOverrideInvalid"
    assert refusal.component == "clair"
