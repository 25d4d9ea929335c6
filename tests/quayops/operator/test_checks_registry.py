"""check_registry: every operator refusal for a QuayRegistry + bundle, as Findings (operator-facts §3, §9)."""

from quayops.config.bundle import Bundle
from quayops.model.quayregistry import minimal_registry
from quayops.operator.checks import check_registry
from quayops.operator.platform import Platform


def registry(*components):
    cr = minimal_registry()
    cr["spec"] = {"configBundleSecret": "config-bundle", "components": list(components)}
    return cr


def bundle(config=b"", **files):
    return Bundle({"config.yaml": config, **{k.replace("_", "."): v for k, v in files.items()}})


def messages(findings):
    return [f.message for f in findings]


def test_minimal_registry_with_empty_bundle_on_openshift_is_accepted():
    assert check_registry(minimal_registry(), bundle(), platform=Platform()) == []


def test_unmanaged_postgres_without_db_fields():
    findings = check_registry(registry({"kind": "postgres", "managed": False}), bundle(), platform=Platform())
    assert messages(findings) == [
        "required component `postgres` marked as unmanaged, but `configBundleSecret` is missing necessary fields"
    ]
    finding = findings[0]
    assert (finding.layer, finding.component) == ("operator", "postgres")
    assert finding.hint.startswith("RolloutBlocked/ConfigInvalid: add config.yaml fields of postgres")
    assert finding.hint.endswith("or mark postgres managed.")


def test_override_on_unmanaged_clair():
    cr = registry({"kind": "clair", "managed": False, "overrides": {"replicas": 0}})
    findings = check_registry(cr, bundle(), platform=Platform())
    assert messages(findings) == ["invalid overrides: cannot set overrides on unmanaged clair"]
    assert findings[0].hint.startswith("RolloutBlocked/ComponentOverrideInvalid: ")


def test_independent_stages_each_report_their_first_error():
    cr = registry(
        {"kind": "redis", "managed": True, "overrides": {"volumeSize": "1Gi"}},
        {"kind": "postgres", "managed": False},
        {"kind": "objectstorage", "managed": False},
    )
    findings = check_registry(
        cr, bundle(), platform=Platform(), related_images={"RELATED_IMAGE_COMPONENT_QUAY": "h:1/q:2"}
    )
    assert messages(findings) == [
        "invalid overrides: component redis does not support volumeSize overrides",
        "required component `postgres` marked as unmanaged, but `configBundleSecret` is missing necessary fields",
        "could not inflate kubernetes objects: image override must be reference by tag or digest: h:1/q:2",
    ]


def test_declared_managed_route_without_routes_is_a_defaulting_error_without_condition():
    cr = registry({"kind": "route", "managed": True})
    findings = check_registry(cr, bundle(b"SERVER_HOSTNAME: quay.example.com\n"), platform=Platform(routes=False))
    # later stages continue on the list defaulted without platform checks: tls defaults unmanaged there
    assert messages(findings) == [
        "error validating component route: Route API not available",
        "required component `tls` marked as unmanaged, but `configBundleSecret` is missing necessary fields",
    ]
    assert findings[0].hint.startswith("no condition")
    assert findings[0].component == "route"


def test_declared_managed_monitoring_in_single_namespace_reports_dependency_error_once():
    cr = registry({"kind": "monitoring", "managed": True})
    findings = check_registry(cr, bundle(), platform=Platform(watch_namespace="quay-enterprise"))
    assert messages(findings) == [
        "could not check for monitoring support: Monitoring is only supported in AllNamespaces mode. Disabling."
    ]
    assert findings[0].hint.startswith("RolloutBlocked/MonitoringComponentDependencyError: ")


def test_single_namespace_install_defaults_monitoring_unmanaged_silently():
    assert check_registry(minimal_registry(), bundle(), platform=Platform(watch_namespace="quay-enterprise")) == []


def test_kubernetes_without_routes_or_obc_needs_unmanaged_config():
    platform = Platform(routes=False, object_bucket_claims=False, monitoring=False)
    findings = check_registry(minimal_registry(), bundle(), platform=platform)
    assert messages(findings) == [
        "required component `objectstorage` marked as unmanaged, but `configBundleSecret` is missing necessary fields"
    ]


def test_unparsable_config_is_reported_once_and_config_stages_skipped():
    findings = check_registry(minimal_registry(), bundle(b"a: [\n"), platform=Platform())
    assert len(findings) == 1
    assert findings[0].message.startswith("could not check for build manager support: yaml: ")


def test_managed_clair_with_scanner_flag_false():
    findings = check_registry(minimal_registry(), bundle(b"FEATURE_SECURITY_SCANNER: false\n"), platform=Platform())
    assert messages(findings) == [
        "clair component marked as managed, but `configBundleSecret` contains required fields"
    ]


# operator-facts §3.5: rules 3.7/3.8 do NOT have


def test_no_tls_managed_requires_route_managed_rule():
    cr = registry({"kind": "route", "managed": False}, {"kind": "tls", "managed": True})
    assert check_registry(cr, bundle(b"SERVER_HOSTNAME: quay.example.com\n"), platform=Platform()) == []


def test_no_version_compatibility_check():
    cr = registry()
    cr["status"] = {"currentVersion": "not-a-real-version"}
    assert check_registry(cr, bundle(), platform=Platform()) == []


def test_no_builder_restriction_with_managed_tls():
    config = b"FEATURE_BUILD_SUPPORT: true\nBUILDMAN_HOSTNAME: builder.apps.example.com:443\n"
    assert check_registry(minimal_registry(), bundle(config), platform=Platform()) == []


def test_no_field_value_validation_for_unmanaged_components():
    cr = registry({"kind": "objectstorage", "managed": False}, {"kind": "postgres", "managed": False},
                  {"kind": "redis", "managed": False})
    config = b"DISTRIBUTED_STORAGE_CONFIG: 42\nDB_CONNECTION_ARGS: nonsense\nBUILDLOGS_REDIS: 'x'\n"
    assert check_registry(cr, bundle(config), platform=Platform()) == []
