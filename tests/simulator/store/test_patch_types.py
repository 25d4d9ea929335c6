"""Merge, JSON and strategic-merge patches, with the list merge keys that matter."""

from __future__ import annotations

import pytest

from simulator.store import schemas
from simulator.store.errors import Invalid
from simulator.store.patching import json_patch, merge_patch, strategic_merge_patch

POD_SPEC = schemas.resolve(schemas.builtin_definitions()["io.k8s.api.core.v1.PodSpec"])


def test_merge_patch_deletes_with_null_and_replaces_lists():
    assert merge_patch({"a": 1, "b": {"c": 2}, "l": [1, 2]}, {"a": None, "b": {"d": 3}, "l": [3]}) == {
        "b": {"c": 2, "d": 3}, "l": [3]}


def test_json_patch_ops_and_failed_test():
    doc = {"spec": {"replicas": 1, "list": [1, 2]}}
    out = json_patch(doc, [{"op": "replace", "path": "/spec/replicas", "value": 2},
                           {"op": "add", "path": "/spec/list/-", "value": 3},
                           {"op": "remove", "path": "/spec/list/0"}])
    assert out == {"spec": {"replicas": 2, "list": [2, 3]}} and doc["spec"]["replicas"] == 1
    with pytest.raises(Invalid, match="test failed"):
        json_patch(doc, [{"op": "test", "path": "/spec/replicas", "value": 5}])


def test_strategic_merge_merges_containers_env_and_ports_by_key():
    spec = {"containers": [{"name": "a", "image": "x:1", "env": [{"name": "A", "value": "1"}],
                            "ports": [{"containerPort": 80}]},
                           {"name": "b", "image": "y:1"}],
            "volumes": [{"name": "v1", "emptyDir": {}}]}
    patch = {"containers": [{"name": "a", "env": [{"name": "B", "value": "2"}], "ports": [{"containerPort": 443}]}],
             "volumes": [{"name": "v2", "emptyDir": {}}]}
    out = strategic_merge_patch(spec, patch, POD_SPEC)
    a = out["containers"][0]
    assert [c["name"] for c in out["containers"]] == ["a", "b"] and a["image"] == "x:1"
    assert a["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert [p["containerPort"] for p in a["ports"]] == [80, 443]
    assert [v["name"] for v in out["volumes"]] == ["v1", "v2"]


def test_strategic_merge_delete_directive_and_element_order():
    spec = {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}
    out = strategic_merge_patch(spec, {"containers": [{"name": "a", "$patch": "delete"}]}, POD_SPEC)
    assert [c["name"] for c in out["containers"]] == ["b"]
    out = strategic_merge_patch(spec, {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}, POD_SPEC)
    assert [c["name"] for c in out["containers"]] == ["b", "a"]
