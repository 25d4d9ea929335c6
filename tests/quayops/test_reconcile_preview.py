"""preview: the operator's decisions run as a dry run, through to its first full pass."""

from datetime import UTC, datetime

from quayops.config.bundle import Bundle
from quayops.model.quayregistry import minimal_registry
from quayops.operator.plan import Step
from quayops.operator.platform import OperatorEnv, Platform
from quayops.reconcile import describe_objects, mask_secret_object, preview

NOW = datetime(2026, 11, 27, tzinfo=UTC)
BUNDLE = Bundle(files={"config.yaml": b"SERVER_HOSTNAME: quay.example.com\n"})


def conditions(p):
    return [(c["type"], c["status"], c["reason"], c["message"]) for c in p.plan.conditions]


def test_new_registry_passes_through_preparation_to_migrations():
    p = preview(minimal_registry(), BUNDLE, now=NOW)
    assert p.passes[0] == Step.INITIAL_BUNDLE and p.passes[-1] == Step.MIGRATIONS_STARTED
    assert conditions(p) == [
        ("RolloutBlocked", "False", "ComponentsCreationSuccess", "All objects created/updated successfully"),
        ("ComponentsCreated", "False", "MigrationsInProgress", "running database migrations"),
    ]
    assert len(p.objects) == 49 and any(o["kind"] == "Job" for o in p.objects)
    assert [c["kind"] for c in p.components][:2] == ["quay", "postgres"] and all(c["managed"] for c in p.components)
    assert p.registry["status"]["registryEndpoint"] == "https://quay.example.com"


def test_current_version_equal_to_the_operator_renders_48_objects_and_completes():
    p = preview(minimal_registry(), BUNDLE, operator=OperatorEnv(quay_version="v3.7.14"),
                current_version="v3.7.14", now=NOW)
    assert p.plan.reason == Step.COMPLETE and len(p.objects) == 48


def test_refusal_stops_at_the_operators_condition():
    registry = {**minimal_registry(), "spec": {"components": [{"kind": "postgres", "managed": False}]}}
    p = preview(registry, BUNDLE, now=NOW)
    message = "required component `postgres` marked as unmanaged, but `configBundleSecret` is missing necessary fields"
    assert conditions(p) == [("RolloutBlocked", "True", "ConfigInvalid", message)]
    assert p.objects == []


def test_route_managed_without_route_api_is_a_defaulting_error_without_condition():
    registry = {**minimal_registry(), "spec": {"components": [{"kind": "route", "managed": True}]}}
    p = preview(registry, BUNDLE, platform=Platform(routes=False), now=NOW)
    assert p.plan.reason == Step.DEFAULTING and p.plan.conditions == ()
    assert p.plan.error == "error validating component route: Route API not available"


def test_to_dict_masks_every_secret_value():
    d = preview(minimal_registry(), BUNDLE, now=NOW).to_dict()
    for obj in d["objects"]:
        if obj["kind"] == "Secret":
            assert set((obj.get("stringData") or {}).values()) <= {"*****"}
    assert "DB_URI: postgresql://example-registry-quay-database:*****@" in d["config.yaml"]
    assert "SECRET_KEY: '*****'" in d["config.yaml"]


def test_mask_secret_object_keeps_metadata():
    masked = mask_secret_object({"kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "eA=="}})
    assert masked == {"kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "*****"}}


def test_describe_reads_3_6_unhealthy_components_shape():
    registry = {**minimal_registry(), "spec": {"components": [{"kind": "clair", "managed": True},
                                                              {"kind": "postgres", "managed": True}]},
                "status": {"unhealthyComponents": {"clair": [
                    {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                     "message": "Deployment does not have minimum availability."}]}}}
    d = describe_objects(registry, {})
    rows = d.components.set_index("component")
    assert not rows.loc["clair", "ready"] and rows.loc["postgres", "ready"]
    assert rows.loc["clair", "message"] == "Deployment does not have minimum availability."


def test_describe_without_component_conditions_evaluates_the_objects():
    p = preview(minimal_registry(), BUNDLE, now=NOW)
    d = describe_objects(p.registry, {(o["kind"], o["metadata"]["name"]): o for o in p.objects})
    rows = d.components.set_index("component")
    assert rows.loc["horizontalpodautoscaler", "ready"] and not rows.loc["postgres", "ready"]
    assert rows.loc["postgres", "message"] == "Deployment example-registry-quay-database has zero replicas available"
    assert "PVC example-registry-quay-database Pending" in d.blockers
