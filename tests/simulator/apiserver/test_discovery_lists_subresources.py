"""`/api/v1` and `/apis/apps/v1` list the subresources kube-apiserver lists, with its verbs and kinds: pods/exec,
pods/attach and pods/portforward (served over WebSocket), pods/log, pods/status, deployments/scale."""

from __future__ import annotations

import json


def _entries(kubectl, path: str) -> dict[str, dict]:
    doc = json.loads(kubectl("get", "--raw", path).stdout)
    return {r["name"]: r for r in doc["resources"]}


def test_core_lists_pod_subresources_as_kube_apiserver_does(kubectl):
    core = _entries(kubectl, "/api/v1")
    pods = {name: (r["kind"], r["verbs"], r["namespaced"]) for name, r in core.items() if name.startswith("pods/")}
    assert pods == {
        "pods/attach": ("PodAttachOptions", ["create", "get"], True),
        "pods/exec": ("PodExecOptions", ["create", "get"], True),
        "pods/log": ("Pod", ["get"], True),
        "pods/portforward": ("PodPortForwardOptions", ["create", "get"], True),
        "pods/status": ("Pod", ["get", "patch", "update"], True),
    }
    assert [n for n in core if n.startswith("pods")] == ["pods", "pods/attach", "pods/exec", "pods/log",
                                                         "pods/portforward", "pods/status"]
    assert core["namespaces/finalize"]["verbs"] == ["update"]


def test_scale_takes_autoscaling_v1_scale(kubectl):
    scale = _entries(kubectl, "/apis/apps/v1")["deployments/scale"]
    assert (scale["group"], scale["version"], scale["kind"], scale["verbs"]) == (
        "autoscaling", "v1", "Scale", ["get", "patch", "update"])


def test_api_resources_still_lists_pods_once(kubectl):
    names = kubectl("api-resources", "--api-group=", "-o", "name").stdout.split()
    assert names.count("pods") == 1 and not [n for n in names if "/" in n]
