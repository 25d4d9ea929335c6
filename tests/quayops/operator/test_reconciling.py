"""One reconcile pass per test: each early return of operator-facts §9, with its exact condition."""

import random
from datetime import UTC, datetime

from quayops.operator.plan import ObjectRef, Observed, Patch, Step, render_admitted_probe_route
from quayops.operator.platform import OperatorEnv, Platform
from quayops.operator.reconciling import plan_failure, reconcile

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
STAMP = "2024-05-01T12:00:00Z"
LAST_UPDATED = "2024-05-01 12:00:00 +0000 UTC"
NAMESPACE = "quay-enterprise"
DEFAULTED = [{"kind": k, "managed": True} for k in (
    "quay", "postgres", "clair", "redis", "horizontalpodautoscaler", "objectstorage", "route", "mirror",
    "monitoring", "tls", "clairpostgres")]
KUBERNETES = Platform(routes=False, object_bucket_claims=False, monitoring=False, grafana_namespace=False)


def registry(components=None, *, bundle="quay-config", status=None, **meta):
    spec = {"configBundleSecret": bundle} if bundle else {}
    if components is not None:
        spec["components"] = components
    return {"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
            "metadata": {"name": "example-registry", "namespace": NAMESPACE, "uid": "uid-1", **meta},
            "spec": spec, "status": status or {}}


def secret(name, **files):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": NAMESPACE},
            "stringData": files}


def objects(*objs):
    return {(o["kind"], o["metadata"]["name"]): o for o in objs}


PROBE = render_admitted_probe_route(registry(), "apps.example.com")
BUNDLE = secret("quay-config", **{"config.yaml": "FEATURE_USER_INITIALIZE: true\n"})
DATASTORE = (
    {"apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim",
     "metadata": {"name": "example-registry-quay-datastore", "namespace": NAMESPACE}, "status": {"phase": "Bound"}},
    secret("example-registry-quay-datastore", AWS_ACCESS_KEY_ID="AK", AWS_SECRET_ACCESS_KEY="SK"),
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "example-registry-quay-datastore"},
     "data": {"BUCKET_NAME": "quay-datastore-1", "BUCKET_HOST": "s3.openshift-storage.svc"}},
)

KEYS = secret("example-registry-quay-registry-managed-secret-keys", CONFIG_EDITOR_PW="c" * 16, DB_ROOT_PW="r" * 32,
              DATABASE_SECRET_KEY="d" * 80, SECRET_KEY="s" * 80, SECURITY_SCANNER_V4_PSK="cHNr",
              DB_URI="postgresql://example-registry-quay-database:pw@example-registry-quay-database:5432/db")


def deployment(plan, suffix):
    return next(o for o in plan.apply if o["kind"] == "Deployment" and o["metadata"]["name"] == f"example-registry-{suffix}")


def run(observed):
    return reconcile(observed, random=random.Random(0), now=NOW)


def blocked(reason, message):
    return {"type": "RolloutBlocked", "status": "True", "reason": reason, "message": message,
            "lastUpdateTime": STAMP, "lastTransitionTime": STAMP}


def test_missing_registry_stops_without_requeue():
    plan = run(Observed(None))
    assert (plan.reason, plan.requeue_after, plan.status) == (Step.NOT_FOUND, None, None)


def test_empty_config_bundle_secret_creates_initial_bundle_and_points_spec_at_it():
    plan = run(Observed(registry(bundle="")))
    created = plan.create[0]
    assert plan.reason == Step.INITIAL_BUNDLE and plan.requeue_after == 10
    assert created["metadata"]["generateName"] == "example-registry-config-bundle-"
    assert created["metadata"]["ownerReferences"] == [
        {"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry", "name": "example-registry", "uid": "uid-1"}]
    assert plan.spec == {"configBundleSecret": created["metadata"]["name"]}
    assert created["metadata"]["name"].startswith("example-registry-config-bundle-")


def test_initial_bundle_holds_the_redhat_base_config():
    config = run(Observed(registry(bundle=""))).create[0]["stringData"]["config.yaml"]
    assert "REGISTRY_TITLE: Red Hat Quay\n" in config
    assert "ENTERPRISE_LOGO_URL: /static/img/RH_Logo_Quay_Black_UX-horizontal.svg\n" in config
    assert "TAG_EXPIRATION_OPTIONS:\n- 2w\n" in config


def test_initial_bundle_with_upstream_branding():
    plan = run(Observed(registry(bundle=""), operator=OperatorEnv(branding="")))
    assert "REGISTRY_TITLE: Quay\n" in plan.create[0]["stringData"]["config.yaml"]


def test_missing_bundle_secret_blocks_rollout_and_creates_nothing():
    plan = run(Observed(registry()))
    assert plan.reason == Step.BUNDLE_SECRET and plan.requeue_after == 10
    assert plan.status["conditions"] == [
        blocked("ConfigInvalid", 'unable to get `configBundleSecret`: secrets "quay-config" not found')]
    assert plan.status["lastUpdated"] == LAST_UPDATED
    assert (plan.create, plan.apply) == ((), ())


def test_blocked_condition_emits_warning_event():
    event = run(Observed(registry())).events[0]
    assert (event.type, event.reason) == ("Warning", "ConfigInvalid")
    assert event.message == 'unable to get `configBundleSecret`: secrets "quay-config" not found'


def test_error_keeps_other_conditions_and_replaces_rollout_blocked_in_place():
    old = [blocked("ConfigInvalid", "old"), {"type": "Available", "status": "False"}]
    plan = run(Observed(registry(status={"conditions": old}), objects(BUNDLE), read_errors={"cluster-ca": "boom"}))
    assert [c["type"] for c in plan.status["conditions"]] == ["RolloutBlocked", "Available"]
    assert plan.status["conditions"][0]["message"] == "unable to check cluster CA certs: boom"


def test_managed_keys_read_error():
    plan = run(Observed(registry(), objects(BUNDLE), read_errors={"managed-keys": "forbidden"}))
    assert plan.reason == Step.MANAGED_KEYS
    assert plan.status["conditions"] == [blocked("ConfigInvalid", "unable to retrieve managed keys `Secret`: forbidden")]


def test_wrongly_typed_server_hostname_with_route_managed():
    bundle = secret("quay-config", **{"config.yaml": "SERVER_HOSTNAME: 5\n"})
    plan = run(Observed(registry(DEFAULTED), objects(bundle)))
    assert plan.reason == Step.ROUTES
    assert plan.status["conditions"] == [
        blocked("RouteComponentDependencyError", "could not check for `Routes` API: SERVER_HOSTNAME must be of type string")]


def test_route_probe_is_created_first():
    plan = run(Observed(registry(), objects(BUNDLE)))
    assert plan.reason == Step.ROUTE_PROBE_CREATED and plan.requeue_after == 1
    probe = plan.create[0]
    assert (probe["kind"], probe["metadata"]["name"]) == ("Route", "example-registry-test-route")
    assert probe["spec"] == {"to": {"kind": "Service", "name": "none"}}
    assert plan.status is None


def test_route_probe_without_ingress_is_polled():
    pending = {**PROBE, "status": {}, "metadata": {**PROBE["metadata"], "creationTimestamp": "2024-05-01T11:58:00Z"}}
    plan = run(Observed(registry(), objects(BUNDLE, pending)))
    assert (plan.reason, plan.requeue_after, plan.status) == (Step.ROUTE_PROBE_WAITING, 1, None)


def test_route_probe_without_ingress_after_five_minutes_fails():
    pending = {**PROBE, "status": {}, "metadata": {**PROBE["metadata"], "creationTimestamp": "2024-05-01T11:55:00Z"}}
    plan = run(Observed(registry(), objects(BUNDLE, pending)))
    assert plan.status["conditions"] == [blocked(
        "RouteComponentDependencyError", "could not check for `Routes` API: timed out waiting for the condition")]


def test_admitted_probe_is_deleted_and_its_domain_used():
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, *DATASTORE)))
    assert ObjectRef("route.openshift.io/v1", "Route", "example-registry-test-route", NAMESPACE) in plan.delete
    assert plan.status["registryEndpoint"] == "https://example-registry-quay-quay-enterprise.apps.example.com"


def test_without_route_api_no_probe_is_made():
    plan = run(Observed(registry(), objects(BUNDLE), platform=KUBERNETES))
    assert plan.reason == Step.WRITE_BACK and plan.create == () and plan.delete == ()


def test_missing_obc_api_with_objectstorage_declared_managed():
    declared = [{"kind": "objectstorage", "managed": True}]
    plan = run(Observed(registry(declared), objects(BUNDLE, PROBE), platform=Platform(object_bucket_claims=False)))
    assert plan.reason == Step.OBJECT_STORAGE
    assert plan.status["conditions"] == [blocked(
        "ObjectStorageComponentDependencyError",
        "error checking for object storage support: unable to list object bucket claims: "
        'no matches for kind "ObjectBucketClaim" in version "objectbucket.io/v1alpha1"')]


def test_bucket_claim_without_secret_is_pending():
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, DATASTORE[0])))
    assert plan.status["conditions"][0]["message"] == (
        "error checking for object storage support: awaiting for bucket claim to be processed")


def test_unparsable_config_without_route_declared_reaches_build_manager_step():
    bundle = secret("quay-config", **{"config.yaml": "a: [\n"})
    plan = run(Observed(registry(), objects(bundle, PROBE)))
    assert plan.reason == Step.BUILD_MANAGER
    assert plan.status["conditions"][0]["message"].startswith("could not check for build manager support: yaml: ")


def test_single_namespace_install_with_monitoring_declared_managed():
    declared = [{"kind": "monitoring", "managed": True}]
    plan = run(Observed(registry(declared), objects(BUNDLE, PROBE), platform=Platform(watch_namespace=NAMESPACE)))
    assert plan.status["conditions"] == [blocked(
        "MonitoringComponentDependencyError",
        "could not check for monitoring support: Monitoring is only supported in AllNamespaces mode. Disabling.")]


def test_single_namespace_install_defaults_monitoring_unmanaged():
    plan = run(Observed(registry(), objects(BUNDLE, PROBE), platform=Platform(watch_namespace=NAMESPACE)))
    assert {"kind": "monitoring", "managed": False} in plan.spec["components"]


def test_declared_managed_route_without_route_api_returns_error_without_condition():
    plan = run(Observed(registry([{"kind": "route", "managed": True}]), objects(BUNDLE), platform=KUBERNETES))
    assert plan.reason == Step.DEFAULTING
    assert (plan.error, plan.requeue_after, plan.status) == (
        "error validating component route: Route API not available", None, None)


def test_invalid_overrides_block_rollout():
    declared = [{"kind": "redis", "managed": True, "overrides": {"replicas": 10}}]
    plan = run(Observed(registry(declared), objects(BUNDLE, PROBE)))
    assert plan.reason == Step.OVERRIDES
    assert plan.status["conditions"] == [
        blocked("ComponentOverrideInvalid", "invalid overrides: cannot override replicas with managed HPA")]


def test_defaulted_components_are_written_back_before_anything_is_applied():
    plan = run(Observed(registry(), objects(BUNDLE, PROBE)))
    assert plan.reason == Step.WRITE_BACK and plan.requeue_after == 10
    assert plan.spec == {"configBundleSecret": "quay-config", "components": DEFAULTED}
    assert plan.apply == () and plan.status is None


def test_quay_declared_unmanaged_is_written_back_managed():
    declared = [{**c, "managed": c["kind"] != "quay"} for c in DEFAULTED]
    plan = run(Observed(registry(declared), objects(BUNDLE, PROBE)))
    assert plan.spec["components"][0] == {"kind": "quay", "managed": True}


def test_missing_config_for_unmanaged_postgres():
    declared = [{**c, "managed": c["kind"] != "postgres"} for c in DEFAULTED]
    plan = run(Observed(registry(declared), objects(BUNDLE, PROBE)))
    assert plan.reason == Step.COMPONENT_CONFIG
    assert plan.status["conditions"] == [blocked(
        "ConfigInvalid",
        "required component `postgres` marked as unmanaged, but `configBundleSecret` is missing necessary fields")]


def test_volume_shrink_fails_rendering():
    declared = [{**c, "overrides": {"volumeSize": "10Gi"}} if c["kind"] == "postgres" else c for c in DEFAULTED]
    plan = run(Observed(registry(declared), objects(BUNDLE, PROBE)))
    assert plan.reason == Step.RENDER
    assert plan.status["conditions"] == [blocked(
        "ComponentCreationFailed", "could not inflate kubernetes objects: cannot shrink volume override size from 50Gi to 10Gi")]


def test_malformed_image_override_from_csv_fails_rendering():
    operator = OperatorEnv(related_images=(("RELATED_IMAGE_COMPONENT_QUAY", "host:5000/quay:tag"),))
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE), operator=operator))
    assert plan.status["conditions"][0]["message"] == (
        "could not inflate kubernetes objects: image override must be reference by tag or digest: host:5000/quay:tag")


def test_image_override_from_csv_reaches_deployments():
    operator = OperatorEnv(quay_version="v3.7.0", related_images=(("RELATED_IMAGE_COMPONENT_QUAY", "quay.example/q@sha256:1"),))
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, *DATASTORE), operator=operator))
    app = deployment(plan, "quay-app")
    assert app["spec"]["template"]["spec"]["containers"][0]["image"] == "quay.example/q@sha256:1"


def test_first_full_pass_creates_claim_and_requeues_for_storage():
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE)))
    assert plan.reason == Step.STORAGE_PENDING and plan.requeue_after == 10
    assert ("ObjectBucketClaim", "example-registry-quay-datastore") in {(o["kind"], o["metadata"]["name"]) for o in plan.apply}
    assert "registryEndpoint" not in plan.status
    assert plan.status["conditions"] == [{
        "type": "RolloutBlocked", "status": "False", "reason": "ComponentsCreationSuccess",
        "message": "All objects created/updated successfully", "lastUpdateTime": STAMP, "lastTransitionTime": STAMP}]


def test_first_pass_has_no_bucket_config_second_pass_injects_it():
    def storage(plan):
        config = next(o for o in plan.apply if o["metadata"]["name"].startswith("example-registry-quay-config-secret-"))
        return config["stringData"]["config.yaml"]

    first = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE)))
    second = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, *DATASTORE)))
    assert "bucket_name: ''" in storage(first)
    assert "bucket_name: quay-datastore-1" in storage(second)
    assert "hostname: s3.openshift-storage.svc.cluster.local" in storage(second)


def test_fresh_install_renders_upgrade_job_and_starts_migrations():
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, *DATASTORE)))
    assert plan.reason == Step.MIGRATIONS_STARTED and plan.requeue_after == 10
    assert [o["metadata"]["name"] for o in plan.create] == ["example-registry-quay-app-upgrade"]
    assert ObjectRef("batch/v1", "Job", "example-registry-quay-app-upgrade", NAMESPACE, "Foreground") in plan.delete
    assert len(plan.apply) == 48
    app = deployment(plan, "quay-app")
    assert app["spec"]["replicas"] == 0
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in plan.status["conditions"]] == [
        ("RolloutBlocked", "False", "ComponentsCreationSuccess", "All objects created/updated successfully"),
        ("ComponentsCreated", "False", "MigrationsInProgress", "running database migrations")]
    assert [e.type for e in plan.events] == ["Normal", "Normal"]
    assert plan.add_finalizer == ""


def test_deployments_are_applied_after_everything_else():
    kinds = [o["kind"] for o in run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, *DATASTORE))).apply]
    first_deployment = kinds.index("Deployment")
    assert set(kinds[first_deployment:]) == {"Deployment"}


def test_status_fields_after_a_full_pass():
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, *DATASTORE)))
    assert plan.status["configEditorEndpoint"] == (
        "https://example-registry-quay-config-editor-quay-enterprise.apps.example.com")
    assert plan.status["configEditorCredentialsSecret"].startswith("example-registry-quay-config-editor-credentials-")
    assert plan.status["lastUpdated"] == LAST_UPDATED


def test_missing_managed_keys_generate_a_database_uri_and_the_job():
    plan = run(Observed(registry(DEFAULTED, status={"currentVersion": "v3.7.0"}), objects(BUNDLE, PROBE, *DATASTORE)))
    assert plan.rendered.database_changed and [o["kind"] for o in plan.create] == ["Job"]
    assert plan.reason == Step.COMPLETE


def test_up_to_date_registry_gets_finalizer_and_requeues_after_a_minute():
    status = {"currentVersion": "v3.7.0", "conditions": [blocked("ConfigInvalid", "old")]}
    plan = run(Observed(registry(DEFAULTED, status=status), objects(BUNDLE, PROBE, KEYS, *DATASTORE)))
    assert plan.reason == Step.COMPLETE and plan.requeue_after == 60
    assert plan.add_finalizer == "quay-operator/finalizer"
    assert plan.create == () and not any(o["kind"] == "Job" for o in plan.apply)
    assert [c["status"] for c in plan.status["conditions"]] == ["False"]
    app = deployment(plan, "quay-app")
    assert "replicas" not in app["spec"]


def test_finalizer_not_added_twice():
    status = {"currentVersion": "v3.7.0"}
    reg = registry(DEFAULTED, status=status, finalizers=["quay-operator/finalizer"])
    assert run(Observed(reg, objects(BUNDLE, PROBE, *DATASTORE))).add_finalizer == ""


def test_changed_db_uri_renders_job_without_migrations_in_progress():
    declared = [{**c, "managed": c["kind"] != "postgres"} for c in DEFAULTED]
    bundle = secret("quay-config", **{"config.yaml": "DB_URI: postgresql://u:p@db.example.com/quay\n"})
    plan = run(Observed(registry(declared, status={"currentVersion": "v3.7.0"}), objects(bundle, PROBE, *DATASTORE)))
    assert plan.reason == Step.COMPLETE
    assert [o["kind"] for o in plan.create] == ["Job"]


def test_monitoring_support_labels_the_namespace():
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, *DATASTORE),
                        namespace={"metadata": {"name": NAMESPACE, "labels": {}}}))
    assert Patch(ObjectRef("v1", "Namespace", NAMESPACE, ""), {"metadata": {"labels": {
        "openshift.io/cluster-monitoring": "true", "quay-operator/managed-label": "true"}}}) in plan.patch


def test_namespace_already_monitored_is_not_labelled():
    namespace = {"metadata": {"name": NAMESPACE, "labels": {"openshift.io/cluster-monitoring": "true"}}}
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, *DATASTORE), namespace=namespace))
    assert not any(p.ref.kind == "Namespace" for p in plan.patch)


def test_grafana_dashboard_goes_to_openshift_config_managed():
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, *DATASTORE)))
    grafana = next(o for o in plan.apply if o["metadata"]["name"] == "example-registry-grafana-dashboard-quay")
    assert grafana["metadata"]["namespace"] == "openshift-config-managed"
    assert "ownerReferences" not in grafana["metadata"]


def test_rotated_cluster_ca_is_annotated_and_rolls_deployments():
    ca = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "example-registry-cluster-service-ca",
                                                                 "namespace": NAMESPACE},
          "data": {"service-ca.crt": "CERT"}}
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, ca, *DATASTORE)))
    digest = "d5d0c5c1"  # sha256("CERT")[-8:]
    assert Patch(ObjectRef("v1", "ConfigMap", "example-registry-cluster-service-ca", NAMESPACE),
                 {"metadata": {"annotations": {"cluster-service-ca": digest}}}) in plan.patch
    app = deployment(plan, "quay-app")
    assert app["spec"]["template"]["metadata"]["annotations"]["cluster-service-ca"] == digest


def test_stored_managed_keys_are_reused():
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, KEYS, *DATASTORE)))
    assert plan.rendered.keys.CONFIG_EDITOR_PW == "c" * 16 and not plan.rendered.database_changed


def test_pre_3_7_hashed_managed_keys_are_the_fallback():
    old = secret("example-registry-quay-registry-managed-secret-keys-8f2k9m", CONFIG_EDITOR_PW="o" * 16)
    old["metadata"]["labels"] = {"quay-operator/quayregistry": "example-registry"}
    plan = run(Observed(registry(DEFAULTED), objects(BUNDLE, PROBE, old, *DATASTORE)))
    assert plan.rendered.keys.CONFIG_EDITOR_PW == "o" * 16


def test_config_change_rolls_the_pods():
    def config_secret(config):
        bundle = secret("quay-config", **{"config.yaml": config})
        plan = run(Observed(registry(DEFAULTED, status={"currentVersion": "v3.7.0"}), objects(bundle, PROBE, *DATASTORE)))
        app = deployment(plan, "quay-app")
        return app["spec"]["template"]["spec"]["volumes"][0]["projected"]["sources"][0]["secret"]["name"]

    assert config_secret("FEATURE_USER_INITIALIZE: true\n") != config_secret("FEATURE_USER_INITIALIZE: false\n")


def test_apply_failure_blocks_rollout():
    plan = plan_failure(registry(), Step.APPLY, 'deployments.apps "x" is invalid', now=NOW)
    assert plan.status["conditions"] == [blocked(
        "ComponentCreationFailed", 'error creating object: deployments.apps "x" is invalid')]


def test_initial_bundle_create_failure():
    plan = plan_failure(registry(bundle=""), Step.INITIAL_BUNDLE, "forbidden", now=NOW)
    assert plan.status["conditions"] == [blocked("ConfigInvalid", "unable to create base config bundle `Secret`: forbidden")]
