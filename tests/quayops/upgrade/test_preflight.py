"""Preflight risks: each check fires on its case, with its guide section, and stays quiet otherwise."""

from quayops.config.bundle import Bundle
from quayops.model.versions import parse_version
from quayops.upgrade.preflight import BLOCK, INFO, WARN, PreflightInput, check_upgrade

AVAILABLE = {"type": "Available", "status": "True", "reason": "HealthChecksPassing", "message": "x"}


def registry(version="3.5.7", available=True):
    return {"metadata": {"name": "r", "namespace": "q"},
            "status": {"currentVersion": version, "conditions": [AVAILABLE] if available else []}}


def risks(**kw):
    kw.setdefault("registry", registry())
    kw["target"] = parse_version(kw.get("target", "3.7"))
    return {r.name: r for r in check_upgrade(PreflightInput(**kw))}


def test_supported_hop_with_manual_approval_and_features_set_has_no_blockers():
    config = {f: True for f in ("FEATURE_QUOTA_MANAGEMENT", "FEATURE_PROXY_CACHE", "FEATURE_BUILD_SUPPORT",
                                "FEATURE_STORAGE_REPLICATION", "FEATURE_GENERAL_OCI_SUPPORT")}
    config["SECURITY_SCANNER_V4_ENDPOINT"] = "http://clair"
    sub = {"metadata": {"name": "quay-operator"}, "spec": {"installPlanApproval": "Manual"}}
    assert risks(config=config, subscription=sub) == {}


def test_unsupported_hop_blocks_with_the_reason():
    r = risks(registry=registry("3.3.4"), target="3.8")
    assert r["supported-path"].severity == BLOCK and "not a Quay release" in r["supported-path"].message


def test_downgrade_blocks():
    assert risks(registry=registry("3.7.14"), target="3.6")["supported-path"].severity == BLOCK


def test_registry_not_available_blocks():
    assert risks(registry=registry(available=False))["registry-available"].severity == BLOCK


def test_automatic_approval_warns_and_unsupported_pending_installplan_blocks():
    sub = {"metadata": {"name": "quay-operator"}, "spec": {"installPlanApproval": "Automatic"}}
    plan = {"metadata": {"name": "install-abc"},
            "spec": {"approved": False, "clusterServiceVersionNames": ["quay-operator.v3.7.14"]}}
    r = risks(registry=registry("3.3.4"), target="3.4", subscription=sub, install_plans=[plan])
    assert r["approval-strategy"].severity == WARN
    assert r["next-installplan"].severity == BLOCK and "install-abc" in r["next-installplan"].message


def test_failed_or_running_upgrade_job_blocks():
    failed = {"metadata": {"name": "r-quay-app-upgrade"},
              "status": {"failed": 1, "conditions": [{"type": "Failed", "message": "BackoffLimitExceeded"}]}}
    assert "BackoffLimitExceeded" in risks(upgrade_job=failed)["upgrade-job"].message
    active = {"metadata": {"name": "r-quay-app-upgrade"}, "status": {"active": 1}}
    assert "still running" in risks(upgrade_job=active)["upgrade-job"].message


def test_tls_without_san_blocks_from_3_6(cert_factory):
    cert, key = cert_factory(cn="quay.example.com")
    r = risks(bundle=Bundle(files={"ssl.cert": cert, "ssl.key": key}))
    assert r["tls-without-san"].severity == BLOCK and r["tls-without-san"].section == "12.2.2.2"
    cert, key = cert_factory(dns=("quay.example.com",))
    assert "tls-without-san" not in risks(bundle=Bundle(files={"ssl.cert": cert, "ssl.key": key}))


def test_swift_v3_without_tenant_id_blocks():
    config = {"DISTRIBUTED_STORAGE_CONFIG": {"sw": ["SwiftStorage", {"auth_version": "3", "os_options": {}}]}}
    assert risks(config=config)["swift-v3-tenant-id"].section == "12.2.3"


def test_edge_routing_from_3_3_through_3_4_warns():
    route = {"spec": {"tls": {"termination": "edge"}}}
    r = risks(registry=registry("3.3.4"), target="3.7", quay_route=route)
    assert r["edge-routing-3.3"].severity == WARN


def test_single_namespace_install_warns_about_monitoring():
    group = {"metadata": {"name": "og"}, "spec": {"targetNamespaces": ["q"]}}
    assert risks(operator_group=group)["single-namespace-monitoring"].section == "12.5.1"


def test_features_to_enable_after_upgrade_are_listed():
    r = risks(registry=registry("3.4.7"), config={"FEATURE_QUOTA_MANAGEMENT": True})
    assert r["features-3.7"].severity == INFO and "FEATURE_QUOTA_MANAGEMENT" not in r["features-3.7"].message
    assert r["clair-v4"].section == "12.2.2.3" and r["feature-oci"].section == "12.5.2"


def test_unset_current_version_means_nothing_to_upgrade():
    reg = {"metadata": {"name": "r"}, "status": {"conditions": [AVAILABLE]}}
    assert risks(registry=reg)["current-version"].severity == INFO
