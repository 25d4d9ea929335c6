"""Defaulting of `spec.components` for the cluster at hand.

Mirrors quay-operator apis/quay/v1/quayregistry_types.go EnsureDefaultComponents (operator-facts §2.2).
"""

from __future__ import annotations

from quayops.errors import QuayopsError
from quayops.operator.components import ALL_COMPONENTS, Kind
from quayops.operator.platform import Platform

ROUTE_API_NOT_AVAILABLE = "Route API not available"
OBJECT_STORAGE_API_NOT_AVAILABLE = "ObjectStorage API not available"
PROMETHEUS_API_NOT_AVAILABLE = "Prometheus API not available"
VALIDATING_COMPONENT_FAILED = "error validating component {kind}: {msg}"


class ComponentDefaultError(QuayopsError):
    """EnsureDefaultComponents refused a declared managed component the platform cannot serve.

    The operator sets no condition for it: the reconcile returns the error and retries with backoff.
    """


def _platform_error(kind: str, platform: Platform) -> str | None:
    """validateComponent: why the platform cannot serve `kind` managed, or None."""
    if kind in (Kind.ROUTE, Kind.TLS) and not platform.routes:
        return ROUTE_API_NOT_AVAILABLE
    if kind == Kind.OBJECTSTORAGE and not platform.object_bucket_claims:
        return OBJECT_STORAGE_API_NOT_AVAILABLE
    if kind == Kind.MONITORING and not platform.supports_monitoring:
        return PROMETHEUS_API_NOT_AVAILABLE
    return None


def default_managed(kind: str, *, platform: Platform, bundle_has_tls_pair: bool) -> bool:
    """The managed value given to a kind that the spec does not list."""
    if kind == Kind.ROUTE:
        return platform.routes
    if kind == Kind.TLS:
        return platform.routes and not bundle_has_tls_pair
    if kind == Kind.OBJECTSTORAGE:
        return platform.object_bucket_claims
    if kind == Kind.MONITORING:
        return platform.supports_monitoring
    return True


def ensure_default_components(
    components: list[dict], *, platform: Platform, bundle_has_tls_pair: bool, strict: bool = True
) -> list[dict]:
    """The defaulted component list: declared entries kept in order, missing kinds appended.

    Returns a new list (entries are copies). `quay` is forced managed. Raises ComponentDefaultError for
    the first declared managed component, in AllComponents order, whose platform API is missing;
    `strict=False` skips that check (the validator uses it to keep checking past a defaulting error).
    """
    result = [dict(c) for c in components]
    for kind in ALL_COMPONENTS:
        declared = [c for c in result if c.get("kind") == kind]
        if not declared:
            managed = default_managed(kind, platform=platform, bundle_has_tls_pair=bundle_has_tls_pair)
            result.append({"kind": str(kind), "managed": managed})
            continue
        for component in declared:
            if kind == Kind.QUAY:
                component["managed"] = True
            msg = _platform_error(kind, platform) if strict and component.get("managed") else None
            if msg:
                raise ComponentDefaultError(
                    VALIDATING_COMPONENT_FAILED.format(kind=kind, msg=msg), component=str(kind)
                )
    return result
