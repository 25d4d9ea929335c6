"""The pure decisions of the cluster steps, from literal registries: 11.1 preconditions, the 11.1.1 exports, the
11.1.2 quiesce plan for operator 3.7+ and ≤ 3.6 and its undo record, DB_URI's database, the scheduled directory."""

from __future__ import annotations

import datetime
import json

import pytest

from quayops.backup.cluster import (
    QUIESCE_ANNOTATION,
    check_preconditions,
    database_name,
    detect_quiesce_record,
    operator_version_of,
    plan_quiesce,
    render_registry_export,
    render_secret_export,
)
from quayops.backup.manifest import build_manifest, write_manifest
from quayops.backup.procedures import describe_step, scheduled_directory
from quayops.errors import PreconditionFailed
from quayops.model.versions import Version

AVAILABLE = {"conditions": [{"type": "Available", "status": "True", "reason": "HealthChecksPassing"}],
             "currentVersion": "v3.7.14"}


def registry(*unmanaged: str, status=AVAILABLE, **meta) -> dict:
    kinds = ("quay", "postgres", "clair", "redis", "horizontalpodautoscaler", "objectstorage", "route", "mirror",
             "monitoring", "tls", "clairpostgres")
    return {"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
            "metadata": {"name": "registry", "namespace": "ns", **meta},
            "spec": {"configBundleSecret": "config-bundle",
                     "components": [{"kind": k, "managed": k not in unmanaged} for k in kinds]},
            "status": status}


def test_a_healthy_fully_managed_registry_meets_the_preconditions():
    assert check_preconditions(registry(), operator=Version(3, 7, 14)) == check_preconditions(
        registry(), operator=Version(3, 7, 14), allow_unmanaged=True)
    assert check_preconditions(registry(), operator=Version(3, 7, 14)).problems == []


def test_unavailable_unmanaged_storage_and_clair_without_clairpostgres_are_refused():
    found = check_preconditions(registry("objectstorage", "clairpostgres", status={}), operator=Version(3, 7, 14))

    assert found.problems == [
        "QuayRegistry ns/registry is not Available (guide 11.1 needs a healthy deployment)",
        ("the object storage is unmanaged (objectstorage managed: false): copy the bucket with your storage vendor's "
        "tools (guide 11.1.3.1 note); quayops backs up the rest only when asked (allow_unmanaged, --allow-unmanaged)"),
        ("clair is managed but clairpostgres is not: guide 11.1 needs clairpostgres managed when clair is "
        "(operator 3.7+)")]


def test_allowed_unmanaged_database_is_left_to_the_vendor_and_36_has_no_clairpostgres_rule():
    found = check_preconditions(registry("postgres", "clairpostgres"), operator=Version(3, 6, 4),
                                allow_unmanaged=True)

    assert found.problems == []
    assert found.vendor == {"database": "the database is unmanaged (postgres managed: false): back it up with your "
                                        "database vendor's tools (guide 11.1.3 note)"}


def test_the_registry_export_drops_status_and_the_five_fields_and_keeps_labels():
    live = registry(uid="u-1", resourceVersion="42", generation=3, creationTimestamp="2024-01-01T00:00:00Z",
                    finalizers=["quay-operator/finalizer"], managedFields=[{"manager": "quay-operator"}],
                    labels={"team": "infra"})

    exported = render_registry_export(live)

    assert "status" not in exported
    assert exported["metadata"] == {"name": "registry", "namespace": "ns", "labels": {"team": "infra"}}
    assert exported["spec"] == live["spec"]


def test_a_registry_quiesced_by_quayops_is_exported_with_its_components_before():
    before = registry()
    quiesced = registry(annotations={QUIESCE_ANNOTATION: json.dumps(
        plan_quiesce(before, operator=Version(3, 7, 14)).record)})
    quiesced["spec"]["components"] = plan_quiesce(before, operator=Version(3, 7, 14)).components

    exported = render_registry_export(quiesced)

    assert exported["spec"]["components"] == before["spec"]["components"]
    assert "annotations" not in exported["metadata"]


def test_the_secret_export_keeps_every_key_and_drops_owner_references():
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "data": {"DB_URI": "eA==", "EXTRA": "eQ=="},
              "metadata": {"name": "registry-quay-registry-managed-secret-keys", "namespace": "ns", "uid": "u",
                           "resourceVersion": "7", "creationTimestamp": "t", "labels": {"a": "b"},
                           "ownerReferences": [{"kind": "QuayRegistry", "name": "registry", "uid": "u-1"}]}}

    assert render_secret_export(secret) == {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "data": {"DB_URI": "eA==", "EXTRA": "eQ=="},
        "metadata": {"name": "registry-quay-registry-managed-secret-keys", "namespace": "ns", "labels": {"a": "b"}}}


def test_quiesce_on_37_unmanages_the_hpa_and_sets_replicas_0_on_managed_quay_clair_mirror():
    live = registry("mirror")
    live["spec"]["components"][0]["overrides"] = {"env": [{"name": "DEBUGLOG", "value": "true"}]}

    plan = plan_quiesce(live, operator=Version(3, 7, 14))

    by_kind = {c["kind"]: c for c in plan.components}
    assert plan.method == "overrides"
    assert by_kind["horizontalpodautoscaler"] == {"kind": "horizontalpodautoscaler", "managed": False}
    assert by_kind["quay"]["overrides"] == {"env": [{"name": "DEBUGLOG", "value": "true"}], "replicas": 0}
    assert by_kind["clair"]["overrides"] == {"replicas": 0}
    assert "overrides" not in by_kind["mirror"]  # an override on an unmanaged component is refused
    assert plan.record == {"method": "overrides", "components": live["spec"]["components"]}


def test_quiesce_before_37_scales_and_an_unannotated_registry_has_nothing_to_undo():
    plan = plan_quiesce(registry(), operator=Version(3, 6, 4))

    assert (plan.method, plan.components, plan.record) == ("scale", None, {"method": "scale"})
    assert detect_quiesce_record(registry()) is None
    assert detect_quiesce_record(registry(annotations={QUIESCE_ANNOTATION: '{"method": "scale"}'})) == {
        "method": "scale"}


def test_the_database_name_comes_from_db_uri_and_the_operator_version_from_its_csv():
    assert database_name("postgresql://u:p%40ss@registry-quay-database:5432/registry-quay-database") == \
        "registry-quay-database"
    with pytest.raises(PreconditionFailed, match="DB_URI names no database"):
        database_name("postgresql://u:p@host:5432")
    assert operator_version_of("quay-operator.v3.7.14") == Version(3, 7, 14)
    assert operator_version_of("something-else") is None


def test_a_scheduled_backup_goes_to_todays_directory_and_links_from_the_newest_finished_one(tmp_path):
    for day in ("2024-05-01", "2024-05-02", "2024-05-03"):
        (tmp_path / f"registry-{day}").mkdir()
    for day in ("2024-05-01", "2024-05-02"):  # the 3rd never finished
        write_manifest(tmp_path / f"registry-{day}", build_manifest(
            tmp_path, registry={}, versions={}, dump=None, tables={}, blobs=[], referenced_digests=[]))

    directory, previous = scheduled_directory(tmp_path, "registry", now=datetime.datetime(2024, 5, 4, 1, 0))

    assert (directory, previous) == (tmp_path / "registry-2024-05-04", tmp_path / "registry-2024-05-02")
    assert scheduled_directory(tmp_path, "other")[1] is None


def test_step_details_name_counts_and_vendors_never_values():
    assert describe_step("blobs", {"vendor": "copy it yourself"}) == "left to the vendor: copy it yourself"
    assert describe_step("verify", {"rows": 9, "tables": 2, "blobs": 3, "images": 2, "pulled": 1,
                                    "not_readable": ["alice/tools"]}) == (
        "9 rows in 2 tables, 3 blobs read back, images pulled: 1/2 (1 repositories not readable with the "
        "credentials given)")
