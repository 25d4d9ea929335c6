"""Deletion with the finalizer: clean-up in all-namespaces mode, then the finalizer goes (operator-facts §12)."""

import random
from datetime import UTC, datetime

from quayops.operator.plan import ObjectRef, Observed, Patch, Step
from quayops.operator.platform import Platform
from quayops.operator.reconciling import reconcile

NOW = datetime(2024, 5, 1, tzinfo=UTC)
GRAFANA = ObjectRef("v1", "ConfigMap", "example-registry-grafana-dashboard-quay", "openshift-config-managed")
LABELLED = {"metadata": {"name": "quay-enterprise", "labels": {
    "openshift.io/cluster-monitoring": "true", "quay-operator/managed-label": "true"}}}
UNLABEL = Patch(ObjectRef("v1", "Namespace", "quay-enterprise", ""),
                {"metadata": {"labels": {"openshift.io/cluster-monitoring": None, "quay-operator/managed-label": None}}})


def deleting(finalizers=("quay-operator/finalizer",)):
    return {"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
            "metadata": {"name": "example-registry", "namespace": "quay-enterprise", "uid": "uid-1",
                         "deletionTimestamp": "2024-05-01T00:00:00Z", "finalizers": list(finalizers)},
            "spec": {"configBundleSecret": "quay-config"}}


def run(registry, **kwargs):
    return reconcile(Observed(registry, **kwargs), random=random.Random(0), now=NOW)


def test_without_finalizer_nothing_happens():
    plan = run(deleting(finalizers=()))
    assert (plan.reason, plan.requeue_after, plan.delete, plan.remove_finalizer) == (Step.DELETION, None, (), "")


def test_cleanup_removes_labels_and_dashboard_then_finalizer():
    plan = run(deleting(), namespace=LABELLED)
    assert plan.patch == (UNLABEL,) and plan.delete == (GRAFANA,)
    assert plan.remove_finalizer == "quay-operator/finalizer" and plan.requeue_after is None


def test_labels_stay_while_other_registries_share_the_namespace():
    plan = run(deleting(), namespace=LABELLED, registries_in_namespace=2)
    assert plan.patch == () and plan.delete == (GRAFANA,)


def test_labels_the_operator_did_not_set_stay():
    plan = run(deleting(), namespace={"metadata": {"labels": {"openshift.io/cluster-monitoring": "true"}}})
    assert plan.patch == ()


def test_single_namespace_install_skips_cleanup_but_removes_finalizer():
    plan = run(deleting(), namespace=LABELLED, platform=Platform(watch_namespace="quay-enterprise"))
    assert (plan.patch, plan.delete, plan.remove_finalizer) == ((), (), "quay-operator/finalizer")


def test_nothing_else_is_deleted_gc_does_it():
    plan = run(deleting(), namespace=LABELLED)
    assert plan.apply == () and plan.create == () and plan.status is None
