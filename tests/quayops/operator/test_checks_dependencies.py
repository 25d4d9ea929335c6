"""Platform/API dependency errors of reconcile steps 9–12 (operator-facts §3.1)."""

import pytest

from quayops.operator.checks import refuse_dependencies
from quayops.operator.platform import Platform

OPENSHIFT = Platform()
MANAGED = [{"kind": k, "managed": True} for k in ("route", "objectstorage", "monitoring")]


def refuse(declared, config=b"", platform=OPENSHIFT, **kwargs):
    return refuse_dependencies(declared, {"config.yaml": config}, platform=platform, **kwargs)


def test_healthy_openshift_has_no_dependency_error():
    assert refuse(MANAGED, b"SERVER_HOSTNAME: quay.example.com\n") is None


def test_unparsable_config_with_route_managed():
    refusal = refuse(MANAGED, b"SERVER_HOSTNAME: [\n")
    assert refusal.message.startswith("could not check for `Routes` API: unable to parse config.yaml: yaml: ")
    assert (refusal.reason, refusal.component) == ("RouteComponentDependencyError", "route")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (b"SERVER_HOSTNAME: 5\n", "SERVER_HOSTNAME must be of type string"),
        (b"SERVER_HOSTNAME: null\n", "SERVER_HOSTNAME must be of type string"),
        (b"EXTERNAL_TLS_TERMINATION: 'true'\n", "EXTERNAL_TLS_TERMINATION must be of type bool"),
        (b"PREFERRED_URL_SCHEME: true\n", "PREFERRED_URL_SCHEME must be of type string"),
        (
            b"SERVER_HOSTNAME: 5\nEXTERNAL_TLS_TERMINATION: 1\n",
            "EXTERNAL_TLS_TERMINATION must be of type bool",
        ),
    ],
)
def test_wrongly_typed_host_settings_with_route_managed(config, message):
    assert refuse(MANAGED, config).message == f"could not check for `Routes` API: {message}"


def test_unparsable_config_without_declared_route_reaches_build_manager_step():
    refusal = refuse([], b"a: [\n")
    assert refusal.message.startswith("could not check for build manager support: yaml: ")
    assert (refusal.reason, refusal.component) == ("ConfigInvalid", None)


def test_wrong_host_types_ignored_when_route_not_declared_managed():
    assert refuse([{"kind": "route", "managed": False}], b"SERVER_HOSTNAME: 5\n") is None


def test_missing_obc_api_with_objectstorage_managed():
    refusal = refuse(MANAGED, platform=Platform(object_bucket_claims=False))
    assert refusal.message == (
        "error checking for object storage support: unable to list object bucket claims: "
        'no matches for kind "ObjectBucketClaim" in version "objectbucket.io/v1alpha1"'
    )
    assert refusal.reason == "ObjectStorageComponentDependencyError"


def test_pending_bucket_claim():
    refusal = refuse(MANAGED, bucket_claim_pending=True)
    assert refusal.message == (
        "error checking for object storage support: awaiting for bucket claim to be processed"
    )


def test_missing_obc_api_ignored_unless_objectstorage_declared_managed():
    assert refuse([], platform=Platform(object_bucket_claims=False)) is None


@pytest.mark.parametrize(
    ("platform", "inner"),
    [
        (Platform(watch_namespace="quay-enterprise"), "Monitoring is only supported in AllNamespaces mode. Disabling."),
        (Platform(monitoring=False), 'no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"'),
        (
            Platform(grafana_namespace=False),
            'unable to get grafana namespace: namespaces "openshift-config-managed" not found',
        ),
    ],
)
def test_monitoring_dependency_errors(platform, inner):
    refusal = refuse(MANAGED, platform=platform)
    assert refusal.message == f"could not check for monitoring support: {inner}"
    assert (refusal.reason, refusal.component) == ("MonitoringComponentDependencyError", "monitoring")


def test_single_namespace_install_without_declared_monitoring_is_fine():
    assert refuse([], platform=Platform(watch_namespace="quay-enterprise")) is None


def test_route_error_precedes_object_storage_and_monitoring():
    platform = Platform(object_bucket_claims=False, monitoring=False)
    assert refuse(MANAGED, b"SERVER_HOSTNAME: 5\n", platform).component == "route"
    assert refuse(MANAGED, b"", platform).component == "objectstorage"
