"""The store's bookkeeping: one monotonic resourceVersion, uids, generation only on spec changes."""

from __future__ import annotations

import pytest

from simulator.store import Store
from simulator.store.errors import AlreadyExists, Conflict, NotFound


@pytest.fixture
def store() -> Store:
    return Store(seed=1)


def test_resource_version_is_cluster_wide_and_monotonic(store, manifests):
    dep = store.kind("apps/v1", "Deployment")
    cm = store.kind("v1", "ConfigMap")
    a = store.create(dep, manifests.deployment("a"), namespace="default")
    b = store.create(cm, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}, namespace="default")
    assert int(b["metadata"]["resourceVersion"]) == int(a["metadata"]["resourceVersion"]) + 1
    assert a["metadata"]["uid"] != b["metadata"]["uid"]


def test_generation_bumps_on_spec_not_on_status_or_metadata(store, manifests):
    dep = store.kind("apps/v1", "Deployment")
    created = store.create(dep, manifests.deployment("a"), namespace="default")
    assert created["metadata"]["generation"] == 1
    labelled = store.patch(dep, "a", {"metadata": {"labels": {"x": "y"}}}, "application/merge-patch+json",
                           namespace="default")
    assert labelled["metadata"]["generation"] == 1
    status = store.patch(dep, "a", {"status": {"replicas": 1}}, "application/merge-patch+json",
                         namespace="default", subresource="status")
    assert status["metadata"]["generation"] == 1 and status["status"] == {"replicas": 1}
    scaled = store.patch(dep, "a", {"spec": {"replicas": 3}}, "application/merge-patch+json", namespace="default")
    assert scaled["metadata"]["generation"] == 2


def test_status_written_through_the_main_resource_is_ignored(store, manifests):
    dep = store.kind("apps/v1", "Deployment")
    store.create(dep, manifests.deployment("a"), namespace="default")
    after = store.patch(dep, "a", {"status": {"replicas": 9}}, "application/merge-patch+json", namespace="default")
    assert "status" not in after or after["status"].get("replicas") != 9


def test_stale_resource_version_conflicts(store):
    cm = store.kind("v1", "ConfigMap")
    first = store.create(cm, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                              "data": {"k": "1"}}, namespace="default")
    store.update(cm, {**first, "data": {"k": "2"}}, namespace="default")
    with pytest.raises(Conflict, match="the object has been modified"):
        store.update(cm, {**first, "data": {"k": "3"}}, namespace="default")
    assert store.get(cm, "c", "default")["data"] == {"k": "2"}


def test_noop_update_keeps_resource_version(store):
    cm = store.kind("v1", "ConfigMap")
    first = store.create(cm, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, namespace="default")
    again = store.update(cm, first, namespace="default")
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_already_exists_and_not_found(store):
    cm = store.kind("v1", "ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    store.create(cm, body, namespace="default")
    with pytest.raises(AlreadyExists, match='configmaps "c" already exists'):
        store.create(cm, body, namespace="default")
    with pytest.raises(NotFound, match='configmaps "nope" not found'):
        store.get(cm, "nope", "default")


def test_generate_name_is_reproducible_with_a_seed():
    names = []
    for _ in range(2):
        s = Store(seed=42)
        cm = s.kind("v1", "ConfigMap")
        names.append(s.create(cm, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "x-"}},
                              namespace="default")["metadata"]["name"])
    assert names[0] == names[1] and names[0].startswith("x-") and len(names[0]) == 7


def test_platform_profiles_decide_the_served_groups():
    assert Store(platform="openshift").resources.by_path("route.openshift.io", "v1", "routes") is not None
    kube = Store(platform="kubernetes").resources
    assert kube.by_path("route.openshift.io", "v1", "routes") is None
    assert kube.by_path("operators.coreos.com", "v1alpha1", "subscriptions") is None
    assert kube.by_path("quay.redhat.com", "v1", "quayregistries") is not None
