"""Component health conditions, Available, explanations and the 3.6 status shape (operator-facts §8.2)."""

from datetime import UTC, datetime

from quayops.operator.health import (
    ComponentRow,
    detect_component_rows,
    evaluate_health,
    explain_not_ready,
    plan_health,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
OWNER = [{"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry", "name": "example-registry", "uid": "uid-1"}]
KINDS = ("quay", "postgres", "clair", "redis", "horizontalpodautoscaler", "objectstorage", "route", "mirror",
         "monitoring", "tls", "clairpostgres")
DEPLOYMENTS = ("quay-app", "quay-config-editor", "quay-database", "quay-redis", "clair-app", "clair-postgres",
               "quay-mirror")


def registry(unmanaged=(), overrides=None, status=None):
    components = [{"kind": k, "managed": k not in unmanaged} for k in KINDS]
    for c in components:
        if overrides and c["kind"] in overrides:
            c["overrides"] = overrides[c["kind"]]
    return {"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
            "metadata": {"name": "example-registry", "namespace": "quay-enterprise", "uid": "uid-1"},
            "spec": {"configBundleSecret": "quay-config", "components": components}, "status": status or {}}


def owned(kind, suffix, **body):
    return {"kind": kind, "metadata": {"name": f"example-registry-{suffix}", "ownerReferences": OWNER}, **body}


def deployment(suffix, available=1, condition="True", message="", claim=None):
    status = {"availableReplicas": available,
              "conditions": [{"type": "Available", "status": condition, "message": message}]}
    spec = {"template": {"spec": {"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]}}} \
        if claim else {}
    return owned("Deployment", suffix, spec=spec, status=status)


def healthy(*replaced, drop=()):
    objs = [deployment(s) for s in DEPLOYMENTS]
    objs += [owned("Job", "quay-app-upgrade", status={"succeeded": 1}),
             *[owned("HorizontalPodAutoscaler", s) for s in ("quay-app", "clair-app", "quay-mirror")],
             owned("Route", "quay", status={"ingress": [{"routerName": "default",
                                                          "conditions": [{"type": "Admitted", "status": "True"}]}]}),
             owned("ObjectBucketClaim", "quay-datastore", status={"phase": "Bound"}),
             owned("PrometheusRule", "quay-prometheus-rules"), owned("ServiceMonitor", "quay-metrics-monitor"),
             {"kind": "Secret", "metadata": {"name": "quay-config"}, "data": {"config.yaml": ""}}]
    result = {(o["kind"], o["metadata"]["name"]): o for o in objs}
    for o in replaced:
        result[(o["kind"], o["metadata"]["name"])] = o
    for key in drop:
        result.pop(key)
    return result


def conditions(reg, objects):
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in evaluate_health(reg, objects, now=NOW)}


def test_everything_healthy():
    result = conditions(registry(), healthy())
    assert result == {
        "ComponentHPAReady": ("True", "ComponentReady", "Horizontal pod autoscaler found"),
        "ComponentRouteReady": ("True", "ComponentReady", "Route admitted"),
        "ComponentMonitoringReady": ("True", "ComponentReady", "ServiceMonitor and PrometheusRules created"),
        "ComponentPostgresReady": ("True", "ComponentReady", "Deployment example-registry-quay-database healthy"),
        "ComponentObjectStorageReady": ("True", "ComponentReady", "Object bucket claim bound"),
        "ComponentClairReady": ("True", "ComponentReady", "Clair component healthy"),
        "ComponentClairPostgresReady": ("True", "ComponentReady", "ClairPostgres component healthy"),
        "ComponentTLSReady": ("True", "ComponentReady", "Using cluster wildcard certs"),
        "ComponentRedisReady": ("True", "ComponentReady", "Deployment example-registry-quay-redis healthy"),
        "ComponentQuayReady": ("True", "ComponentReady", "Quay component healthy"),
        "ComponentMirrorReady": ("True", "ComponentReady", "Deployment example-registry-quay-mirror healthy"),
        "Available": ("True", "HealthChecksPassing", "All components reporting as healthy"),
    }


def test_condition_order_follows_evaluation():
    types = [c["type"] for c in evaluate_health(registry(), healthy(), now=NOW)]
    assert types == ["ComponentHPAReady", "ComponentRouteReady", "ComponentMonitoringReady", "ComponentPostgresReady",
                     "ComponentObjectStorageReady", "ComponentClairReady", "ComponentClairPostgresReady",
                     "ComponentTLSReady", "ComponentRedisReady", "ComponentQuayReady", "ComponentMirrorReady",
                     "Available"]


def test_unmanaged_components_report_not_managed():
    unmanaged = ("horizontalpodautoscaler", "route", "monitoring", "postgres", "objectstorage", "clair",
                 "clairpostgres", "redis", "mirror")
    result = conditions(registry(unmanaged), {})
    assert {t: v for t, v in result.items() if v[1] == "ComponentNotManaged"} == {
        "ComponentHPAReady": ("True", "ComponentNotManaged", "Horizontal pod autoscaler not managed by the operator"),
        "ComponentRouteReady": ("True", "ComponentNotManaged", "Route is not managed by the operator"),
        "ComponentMonitoringReady": ("True", "ComponentNotManaged", "Monitoring not managed by the operator"),
        "ComponentPostgresReady": ("True", "ComponentNotManaged", "Postgres not managed by the operator"),
        "ComponentObjectStorageReady": ("True", "ComponentNotManaged", "Object storage not managed by the operator"),
        "ComponentClairReady": ("True", "ComponentNotManaged", "Clair not managed by the operator"),
        "ComponentClairPostgresReady": ("True", "ComponentNotManaged", "ClairPostgres not managed by the operator"),
        "ComponentRedisReady": ("True", "ComponentNotManaged", "Redis not managed by the operator"),
    }


def test_unmanaged_mirror_when_quay_is_ready():
    assert conditions(registry(("mirror",)), healthy())["ComponentMirrorReady"] == (
        "True", "ComponentNotManaged", "Mirror not managed by the operator")


def test_failing_dependencies_keep_quay_and_mirror_awaiting():
    objects = healthy(drop=[("Deployment", "example-registry-quay-database"), ("Deployment", "example-registry-quay-redis")])
    result = conditions(registry(), objects)
    assert result["ComponentPostgresReady"] == ("False", "ComponentNotReady", "Postgres deployment not found")
    assert result["ComponentRedisReady"] == ("False", "ComponentNotReady", "Redis deployment not found")
    assert result["ComponentQuayReady"] == (
        "False", "ComponentNotReady", "Awaiting for component postgres,redis to become available")
    assert result["ComponentMirrorReady"] == (
        "False", "ComponentNotReady", "Awaiting for component quay to become available")
    assert result["Available"] == ("False", "ComponentNotReady", "Some components are not ready")


def test_deployment_not_owned():
    foreign = {**deployment("quay-redis"), "metadata": {"name": "example-registry-quay-redis"}}
    assert conditions(registry(), healthy(foreign))["ComponentRedisReady"][2] == (
        "Redis deployment not owned by QuayRegistry")


def test_owner_with_other_uid_does_not_own():
    other = deployment("clair-app")
    other["metadata"]["ownerReferences"] = [{**OWNER[0], "uid": "uid-2"}]
    assert conditions(registry(), healthy(other))["ComponentClairReady"][2] == (
        "Deployment example-registry-clair-app not owned by QuayRegistry")


def test_generic_deployment_checks():
    assert conditions(registry(), healthy(deployment("clair-app", available=0)))["ComponentClairReady"][2] == (
        "Deployment example-registry-clair-app has zero replicas available")
    no_condition = {**deployment("clair-app"), "status": {"availableReplicas": 1}}
    assert conditions(registry(), healthy(no_condition))["ComponentClairReady"][2] == (
        "Available condition not found for example-registry-clair-app")
    unavailable = deployment("clair-app", condition="False", message="Deployment does not have minimum availability.")
    assert conditions(registry(), healthy(unavailable))["ComponentClairReady"][2] == (
        "Deployment example-registry-clair-app: Deployment does not have minimum availability.")


def test_clair_scaled_down_by_override():
    reg = registry(overrides={"clair": {"replicas": 0}})
    assert conditions(reg, healthy(deployment("clair-app", available=0)))["ComponentClairReady"] == (
        "True", "ComponentReady", "Clair manually scaled down")
    assert conditions(reg, healthy())["ComponentClairReady"] == (
        "False", "ComponentNotReady", "Clair component is being scaled down")


def test_mirror_scaled_down_by_override():
    reg = registry(overrides={"mirror": {"replicas": 0}})
    assert conditions(reg, healthy(deployment("quay-mirror", available=0)))["ComponentMirrorReady"][2] == (
        "Mirror manually scaled down")
    assert conditions(reg, healthy())["ComponentMirrorReady"][2] == "Mirror component is being scaled down"


def test_quay_scaled_down_skips_quay_app():
    reg = registry(overrides={"quay": {"replicas": 0}})
    assert conditions(reg, healthy(deployment("quay-app", available=0)))["ComponentQuayReady"][2] == (
        "Quay component healthy")
    assert conditions(reg, healthy())["ComponentQuayReady"][2] == "Quay component is being scaled down"


def test_quay_needs_its_upgrade_job():
    assert conditions(registry(), healthy(drop=[("Job", "example-registry-quay-app-upgrade")]))["ComponentQuayReady"] == (
        "False", "ComponentNotReady", "Job example-registry-quay-app-upgrade not found")
    running = owned("Job", "quay-app-upgrade", status={"active": 1})
    assert conditions(registry(), healthy(running))["ComponentQuayReady"][2] == (
        "Job example-registry-quay-app-upgrade not finished")


def test_quay_config_editor_checked_after_quay_app():
    result = conditions(registry(), healthy(drop=[("Deployment", "example-registry-quay-config-editor")]))
    assert result["ComponentQuayReady"][2] == "Deployment example-registry-quay-config-editor not found"
    assert result["ComponentMirrorReady"][2] == "Awaiting for component quay to become available"


def test_hpa_needs_all_three_even_with_clair_unmanaged():
    objects = healthy(drop=[("HorizontalPodAutoscaler", "example-registry-clair-app")])
    assert conditions(registry(("clair",)), objects)["ComponentHPAReady"] == (
        "False", "ComponentNotReady", "Horizontal pod autoscaler not found")
    foreign = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "example-registry-quay-mirror"}}
    assert conditions(registry(), healthy(foreign))["ComponentHPAReady"][2] == (
        "Horizontal pod autoscaler not owned by QuayRegistry")


def test_hpa_failure_counts_for_available():
    objects = healthy(drop=[("HorizontalPodAutoscaler", "example-registry-quay-app")])
    result = conditions(registry(), objects)
    assert result["ComponentQuayReady"][0] == "True"
    assert result["Available"] == ("False", "ComponentNotReady", "Some components are not ready")


def test_route_states():
    assert conditions(registry(), healthy(drop=[("Route", "example-registry-quay")]))["ComponentRouteReady"][2] == (
        "Route not found")
    assert conditions(registry(), healthy(owned("Route", "quay")))["ComponentRouteReady"][2] == (
        "Route found but no ingress")
    refused = owned("Route", "quay", status={"ingress": [
        {"routerName": "a", "conditions": [{"type": "Admitted", "status": "True"}]},
        {"routerName": "b", "conditions": [{"type": "Admitted", "status": "False"}]}]})
    assert conditions(registry(), healthy(refused))["ComponentRouteReady"][2] == "Route not fully admitted"


def test_monitoring_states():
    objects = healthy(drop=[("PrometheusRule", "example-registry-quay-prometheus-rules")])
    assert conditions(registry(), objects)["ComponentMonitoringReady"][2] == (
        "PrometheusRule example-registry-quay-prometheus-rules not found")
    foreign = {"kind": "ServiceMonitor", "metadata": {"name": "example-registry-quay-metrics-monitor"}}
    assert conditions(registry(), healthy(foreign))["ComponentMonitoringReady"][2] == (
        "ServiceMonitor example-registry-quay-metrics-monitor not owned by QuayRegistry")


def test_object_storage_states():
    pending = owned("ObjectBucketClaim", "quay-datastore", status={"phase": "Pending"})
    assert conditions(registry(), healthy(pending))["ComponentObjectStorageReady"] == (
        "False", "ComponentNotReady", "Object bucket claim not bound")
    objects = healthy(drop=[("ObjectBucketClaim", "example-registry-quay-datastore")])
    assert conditions(registry(), objects)["ComponentObjectStorageReady"][2] == "Unable to locate object bucket claim"


def test_tls_states():
    with_certs = {"kind": "Secret", "metadata": {"name": "quay-config"}, "data": {"ssl.cert": "", "ssl.key": "a2V5"}}
    only_cert = {"kind": "Secret", "metadata": {"name": "quay-config"}, "data": {"ssl.cert": "Y2VydA=="}}
    assert conditions(registry(), healthy(with_certs))["ComponentTLSReady"] == (
        "False", "ComponentNotReady", "TLS managed but config bundle contain certs")
    assert conditions(registry(("tls",)), healthy(with_certs))["ComponentTLSReady"] == (
        "True", "ComponentReady", "Config bundle contains certs")
    assert conditions(registry(("tls",)), healthy(only_cert))["ComponentTLSReady"][2] == (
        "TLS unmanaged but config bundle does not contain certs")
    assert conditions(registry(), healthy(drop=[("Secret", "quay-config")]))["ComponentTLSReady"][2] == (
        "Config bundle does not exist")
    unset = registry()
    unset["spec"]["configBundleSecret"] = ""
    assert conditions(unset, healthy())["ComponentTLSReady"][2] == "Config bundle secret not populated"


def test_status_loop_keeps_transition_time_of_unchanged_conditions_and_prunes_unknown_types():
    old = {"conditions": [
        {"type": "ComponentRouteReady", "status": "True", "reason": "ComponentReady", "message": "Route admitted",
         "lastTransitionTime": "2024-01-01T00:00:00Z"},
        {"type": "Legacy", "status": "True"},
        {"type": "ComponentQuayReady", "status": "False", "lastTransitionTime": "2024-01-01T00:00:00Z"}]}
    plan = plan_health(registry(status=old), healthy(), now=NOW)
    got = {c["type"]: c for c in plan.status["conditions"]}
    assert plan.requeue_after == 60 and "Legacy" not in got
    assert got["ComponentRouteReady"]["lastTransitionTime"] == "2024-01-01T00:00:00Z"
    assert got["ComponentQuayReady"]["lastTransitionTime"] == "2024-05-01T12:00:00Z"
    assert [c["type"] for c in plan.status["conditions"]][:2] == ["ComponentRouteReady", "ComponentQuayReady"]


def test_explain_running_migrations():
    running = owned("Job", "quay-app-upgrade", status={"active": 1})
    assert explain_not_ready(registry(), healthy(running)) == [
        "migrations still running: job example-registry-quay-app-upgrade has 0 succeeded pods"]


def test_explain_failed_migrations():
    failed = owned("Job", "quay-app-upgrade", status={"failed": 6, "conditions": [
        {"type": "Failed", "status": "True", "message": "Job has reached the specified backoff limit"}]})
    assert explain_not_ready(registry(), healthy(failed)) == [
        "migrations failed: job example-registry-quay-app-upgrade: Job has reached the specified backoff limit"]


def test_explain_zero_replicas_and_pending_pvc():
    database = deployment("quay-database", available=0, claim="example-registry-quay-database")
    pvc = {"kind": "PersistentVolumeClaim", "metadata": {"name": "example-registry-quay-database"},
           "status": {"phase": "Pending"}}
    assert explain_not_ready(registry(), healthy(database, pvc, deployment("clair-app", available=0))) == [
        "quay-database has zero replicas available", "PVC example-registry-quay-database Pending",
        "clair-app has zero replicas available"]


def test_explain_rollout_blocked_first():
    status = {"conditions": [{"type": "RolloutBlocked", "status": "True", "reason": "ConfigInvalid",
                              "message": 'unable to get `configBundleSecret`: secrets "quay-config" not found'}]}
    assert explain_not_ready(registry(status=status), healthy())[0] == (
        'rollout blocked (ConfigInvalid): unable to get `configBundleSecret`: secrets "quay-config" not found')


def test_explain_nothing_when_healthy():
    assert explain_not_ready(registry(), healthy()) == []


def test_rows_from_3_7_conditions():
    status = {"conditions": [
        {"type": "RolloutBlocked", "status": "False"},
        {"type": "ComponentClairReady", "status": "False", "reason": "ComponentNotReady",
         "message": "Deployment example-registry-clair-app has zero replicas available"},
        {"type": "ComponentHPAReady", "status": "True", "reason": "ComponentNotManaged",
         "message": "Horizontal pod autoscaler not managed by the operator"}]}
    assert detect_component_rows(registry(status=status)) == [
        ComponentRow("clair", False, "ComponentNotReady", "Deployment example-registry-clair-app has zero replicas available"),
        ComponentRow("horizontalpodautoscaler", True, "ComponentNotManaged",
                     "Horizontal pod autoscaler not managed by the operator")]


def test_rows_from_3_6_unhealthy_components():
    reg = registry(status={"unhealthyComponents": {"clair": [
        {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
         "message": "Deployment does not have minimum availability."}]}})
    reg["spec"]["components"] = [{"kind": "quay", "managed": True}, {"kind": "clair", "managed": True}]
    assert detect_component_rows(reg) == [
        ComponentRow("quay", True, "", ""),
        ComponentRow("clair", False, "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")]
