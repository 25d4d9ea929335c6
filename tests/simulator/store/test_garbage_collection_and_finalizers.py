"""Deletion semantics: finalizers, ownerReference cascades (background, foreground, orphan) through the
QuayRegistry → Deployment → ReplicaSet → Pod chain, and namespaces Terminating until empty."""

from __future__ import annotations

import pytest

from simulator.store import Store

MERGE = "application/merge-patch+json"


@pytest.fixture
def store() -> Store:
    return Store(seed=3)


@pytest.fixture
def chain(store, manifests):
    """A QuayRegistry owning a Deployment owning a ReplicaSet owning two Pods."""
    qr_kind = store.kind("quay.redhat.com/v1", "QuayRegistry")
    qr = store.create(qr_kind, {"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
                                "metadata": {"name": "reg"}, "spec": {}}, namespace="default")
    dep = manifests.deployment("reg-quay-app")
    dep["metadata"]["ownerReferences"] = [manifests.owner_ref(qr)]
    dep = store.create(store.kind("apps/v1", "Deployment"), dep, namespace="default")
    rs = manifests.deployment("reg-quay-app-abc")
    rs.update(kind="ReplicaSet", metadata={"name": "reg-quay-app-abc", "ownerReferences": [manifests.owner_ref(dep)]})
    rs = store.create(store.kind("apps/v1", "ReplicaSet"), rs, namespace="default")
    pods = [store.create(store.kind("v1", "Pod"), manifests.pod(f"p{i}", owner=manifests.owner_ref(rs)),
                         namespace="default") for i in range(2)]
    return qr_kind, qr, dep, rs, pods


def names(store, api_version, kind):
    return [o["metadata"]["name"] for o in store.list(store.kind(api_version, kind), "default").items]


def test_background_deletion_cascades_down_the_chain(store, chain):
    qr_kind, *_ = chain
    _, gone = store.delete(qr_kind, "reg", "default")
    assert gone
    assert names(store, "apps/v1", "Deployment") == []
    assert names(store, "apps/v1", "ReplicaSet") == []
    assert names(store, "v1", "Pod") == []


def test_foreground_deletion_waits_for_blocking_dependents(store, chain):
    qr_kind, *_ = chain
    pod_kind = store.kind("v1", "Pod")
    store.patch(pod_kind, "p0", {"metadata": {"finalizers": ["example.com/hold"]}}, MERGE, namespace="default")
    obj, gone = store.delete(qr_kind, "reg", "default", propagation_policy="Foreground")
    assert not gone and obj["metadata"]["deletionTimestamp"]
    assert "foregroundDeletion" in store.get(qr_kind, "reg", "default")["metadata"]["finalizers"]
    assert store.get(pod_kind, "p0", "default")["metadata"]["deletionTimestamp"]
    assert names(store, "v1", "Pod") == ["p0"]
    # releasing the last finalizer lets the whole chain go, bottom up
    store.patch(pod_kind, "p0", {"metadata": {"finalizers": None}}, MERGE, namespace="default")
    assert names(store, "v1", "Pod") == []
    assert names(store, "apps/v1", "ReplicaSet") == []
    assert names(store, "quay.redhat.com/v1", "QuayRegistry") == []


def test_orphan_deletion_keeps_dependents_without_the_owner_reference(store, chain):
    _, _, dep, rs, _ = chain
    store.delete(store.kind("apps/v1", "Deployment"), dep["metadata"]["name"], "default", propagation_policy="Orphan")
    kept = store.get(store.kind("apps/v1", "ReplicaSet"), rs["metadata"]["name"], "default")
    assert "ownerReferences" not in kept["metadata"]
    assert names(store, "v1", "Pod") == ["p0", "p1"]


def test_finalizers_hold_an_object_until_they_are_removed(store):
    cm = store.kind("v1", "ConfigMap")
    store.create(cm, {"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "c", "finalizers": ["example.com/f"]}}, namespace="default")
    obj, gone = store.delete(cm, "c", "default")
    assert not gone and obj["metadata"]["deletionTimestamp"]
    with pytest.raises(Exception, match="no new finalizers can be added"):
        store.patch(cm, "c", {"metadata": {"finalizers": ["example.com/f", "example.com/g"]}}, MERGE,
                    namespace="default")
    store.patch(cm, "c", {"metadata": {"finalizers": []}}, MERGE, namespace="default")
    assert store.list(cm, "default").items == []


def test_namespace_terminates_only_when_its_content_is_gone(store):
    ns_kind, cm = store.kind("v1", "Namespace"), store.kind("v1", "ConfigMap")
    store.create(ns_kind, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}})
    store.create(cm, {"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "held", "finalizers": ["example.com/f"]}}, namespace="doomed")
    store.create(cm, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "free"}}, namespace="doomed")
    store.delete(ns_kind, "doomed")
    assert store.get(ns_kind, "doomed")["status"]["phase"] == "Terminating"
    assert [o["metadata"]["name"] for o in store.list(cm, "doomed").items] == ["held"]
    with pytest.raises(Exception, match="because it is being terminated"):
        store.create(cm, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "new"}}, namespace="doomed")
    store.patch(cm, "held", {"metadata": {"finalizers": None}}, MERGE, namespace="doomed")
    with pytest.raises(Exception, match='namespaces "doomed" not found'):
        store.get(ns_kind, "doomed")


def test_creating_a_project_creates_its_namespace_with_annotations(store):
    project = store.kind("project.openshift.io/v1", "Project")
    store.create(project, {"apiVersion": "project.openshift.io/v1", "kind": "Project", "metadata": {
        "name": "infra", "annotations": {"openshift.io/node-selector": "node-role.kubernetes.io/infra="}}})
    ns = store.get(store.kind("v1", "Namespace"), "infra")
    assert ns["metadata"]["annotations"]["openshift.io/node-selector"] == "node-role.kubernetes.io/infra="
    assert store.get(project, "infra")["kind"] == "Project"
