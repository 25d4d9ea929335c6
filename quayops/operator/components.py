"""The component kinds and the managed/unmanaged rules.

Mirrors quay-operator apis/quay/v1/quayregistry_types.go AllComponents, requiredComponents,
ComponentIsManaged, ComponentSupportsConfigWhenManaged, ComponentsMatch (operator-facts §2.1, §2.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class Kind(StrEnum):
    """The 11 component kinds, in `AllComponents` order (defaulting and error precedence use it)."""

    QUAY = "quay"
    POSTGRES = "postgres"
    CLAIR = "clair"
    REDIS = "redis"
    HPA = "horizontalpodautoscaler"
    OBJECTSTORAGE = "objectstorage"
    ROUTE = "route"
    MIRROR = "mirror"
    MONITORING = "monitoring"
    TLS = "tls"
    CLAIRPOSTGRES = "clairpostgres"


ALL_COMPONENTS: tuple[Kind, ...] = tuple(Kind)

# Unmanaged, these must get their config from the bundle (hasNecessaryConfig rule B).
REQUIRED: frozenset[Kind] = frozenset(
    {Kind.POSTGRES, Kind.OBJECTSTORAGE, Kind.ROUTE, Kind.REDIS, Kind.TLS}
)

# Managed, these may still have their fields in the bundle (hasNecessaryConfig rule A exemption).
SUPPORTS_CONFIG_WHEN_MANAGED: frozenset[Kind] = frozenset({Kind.ROUTE, Kind.MIRROR})


def is_managed(components: Iterable[Mapping], kind: str) -> bool:
    """managed(X): the `managed` value of the first entry of that kind; absent counts as unmanaged.

    `quay` always counts as managed, listed or not.
    """
    if kind == Kind.QUAY:
        return True
    for component in components:
        if component.get("kind") == kind:
            return bool(component.get("managed"))
    return False


def components_match(a: list[Mapping], b: list[Mapping]) -> bool:
    """ComponentsMatch: same length and every entry of `a` has one in `b` with equal kind and managed.

    Order and overrides are ignored, as upstream does.
    """
    if len(a) != len(b):
        return False
    pairs_b = {(c.get("kind"), bool(c.get("managed"))) for c in b}
    return all((c.get("kind"), bool(c.get("managed"))) in pairs_b for c in a)
