"""DynamicClient discovery over our /api and /apis, CRDs served once created, and server-side apply."""

from __future__ import annotations

import json

import pytest
from kubernetes.client.rest import ApiException


def cm(data: dict) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data}


def test_discovery_finds_openshift_and_olm_kinds(dyn):
    for api_version, kind in [("route.openshift.io/v1", "Route"), ("operators.coreos.com/v1alpha1", "Subscription"),
                              ("operators.coreos.com/v1", "OperatorGroup"), ("noobaa.io/v1alpha1", "NooBaa"),
                              ("objectbucket.io/v1alpha1", "ObjectBucketClaim"), ("autoscaling/v2",
                                                                                   "HorizontalPodAutoscaler")]:
        assert dyn.resources.get(api_version=api_version, kind=kind).kind == kind


def test_server_side_apply_owns_fields_and_reports_conflicts(dyn, ns):
    configmaps = dyn.resources.get(api_version="v1", kind="ConfigMap")
    configmaps.server_side_apply(namespace=ns, body=cm({"a": "1", "b": "1"}), field_manager="alice")
    configmaps.server_side_apply(namespace=ns, body=cm({"c": "1"}), field_manager="bob")
    with pytest.raises(ApiException) as err:
        configmaps.server_side_apply(namespace=ns, body=cm({"a": "2"}), field_manager="bob")
    body = json.loads(err.value.body)
    assert err.value.status == 409 and body["details"]["causes"][0]["field"] == ".data.a"
    assert 'conflict with "alice"' in body["message"]
    forced = configmaps.server_side_apply(namespace=ns, body=cm({"a": "2", "c": "1"}), field_manager="bob",
                                          force_conflicts=True)
    assert forced.data.to_dict() == {"a": "2", "b": "1", "c": "1"}
    # alice stops applying b: it is removed because nobody else owns it
    after = configmaps.server_side_apply(namespace=ns, body=cm({}), field_manager="alice")
    assert after.data.to_dict() == {"a": "2", "c": "1"}
    managers = {m["manager"]: m["operation"] for m in after.metadata.managedFields}
    assert managers == {"alice": "Apply", "bob": "Apply"}


def test_crds_are_served_as_soon_as_created(api, tmp_path, ns):
    from kubernetes import dynamic

    first = dynamic.DynamicClient(api, cache_file=str(tmp_path / "a.json"))
    crds = first.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    crds.create(body={"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                      "metadata": {"name": "widgets.example.com"},
                      "spec": {"group": "example.com", "scope": "Namespaced",
                               "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                               "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                                   "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                                       "type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}})
    fresh = dynamic.DynamicClient(api, cache_file=str(tmp_path / "b.json"))
    widgets = fresh.resources.get(api_version="example.com/v1", kind="Widget")
    made = widgets.create(namespace=ns, body={"apiVersion": "example.com/v1", "kind": "Widget",
                                              "metadata": {"name": "w"}, "spec": {"size": 3, "extra": True}})
    assert made.spec.size == 3 and "extra" not in made.spec  # pruned like a structural schema
    crds.delete(name="widgets.example.com")
    with pytest.raises(ApiException):
        widgets.get(namespace=ns, name="w")
