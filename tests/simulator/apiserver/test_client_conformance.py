"""The official `kubernetes` client (typed APIs and watch.Watch) against the simulator over HTTPS."""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.error
import urllib.request

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException


def status_of(err: ApiException) -> dict:
    return json.loads(err.body)


def test_crud_with_status_bodies(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}, "data": {"k": "v"}})
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}})
    body = status_of(err.value)
    assert (err.value.status, body["kind"], body["reason"]) == (409, "Status", "AlreadyExists")
    assert body["message"] == 'configmaps "c" already exists'
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("missing", ns)
    assert err.value.status == 404 and status_of(err.value)["details"] == {"name": "missing", "kind": "configmaps"}
    core.delete_namespaced_config_map("c", ns)
    assert core.list_namespaced_config_map(ns).items == []


def test_stale_update_is_409_conflict(core, ns):
    cm = core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}, "data": {"k": "1"}})
    cm.data = {"k": "2"}
    core.replace_namespaced_config_map("c", ns, cm)
    cm.data = {"k": "3"}
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("c", ns, cm)
    assert err.value.status == 409 and status_of(err.value)["reason"] == "Conflict"
    assert "the object has been modified" in status_of(err.value)["message"]


def test_generate_name(core, ns):
    cm = core.create_namespaced_config_map(ns, {"metadata": {"generateName": "gen-"}})
    assert cm.metadata.name.startswith("gen-") and len(cm.metadata.name) == 9


def test_status_subresource_keeps_spec_and_status_apart(apps, ns, manifests):
    apps.create_namespaced_deployment(ns, manifests.deployment("d"))
    apps.patch_namespaced_deployment_status("d", ns, {"status": {"replicas": 1, "readyReplicas": 1},
                                                      "spec": {"replicas": 7}})
    dep = apps.read_namespaced_deployment("d", ns)
    assert dep.status.ready_replicas == 1 and dep.spec.replicas == 1 and dep.metadata.generation == 1


def test_scale_subresource(apps, ns, manifests):
    apps.create_namespaced_deployment(ns, manifests.deployment("d"))
    scale = apps.patch_namespaced_deployment_scale("d", ns, {"spec": {"replicas": 4}})
    assert scale.spec.replicas == 4 and scale.status.selector == "app=d"
    assert apps.read_namespaced_deployment("d", ns).spec.replicas == 4


def test_pod_log_serves_what_controllers_wrote(sim, core, ns, manifests):
    core.create_namespaced_pod(ns, manifests.pod("p"))
    sim.store.append_log(ns, "p", "c", "starting\nready")
    assert core.read_namespaced_pod_log("p", ns) == "starting\nready\n"
    assert core.read_namespaced_pod_log("p", ns, tail_lines=1) == "ready\n"


def test_label_selectors_field_selectors_and_pagination(core, ns, manifests):
    for i in range(5):
        core.create_namespaced_pod(ns, manifests.pod(f"p{i}", labels={"tier": "web" if i % 2 else "db"}))
    web = core.list_namespaced_pod(ns, label_selector="tier in (web),tier!=db")
    assert [p.metadata.name for p in web.items] == ["p1", "p3"]
    assert [p.metadata.name for p in core.list_namespaced_pod(ns, label_selector="tier notin (web)").items] == [
        "p0", "p2", "p4"]
    by_name = core.list_pod_for_all_namespaces(field_selector=f"metadata.name=p2,metadata.namespace={ns}")
    assert [p.metadata.name for p in by_name.items] == ["p2"]
    assert len(core.list_namespaced_pod(ns, field_selector="status.phase=Pending").items) == 5
    first = core.list_namespaced_pod(ns, limit=2)
    second = core.list_namespaced_pod(ns, limit=2, _continue=first.metadata._continue)
    third = core.list_namespaced_pod(ns, limit=2, _continue=second.metadata._continue)
    assert [p.metadata.name for p in first.items + second.items + third.items] == [f"p{i}" for i in range(5)]
    assert third.metadata._continue is None


def test_events_field_selectors_on_involved_object(core, ns):
    for name in ("a", "b"):
        core.create_namespaced_event(ns, {"metadata": {"name": f"ev-{name}"}, "involvedObject": {
            "kind": "Pod", "name": name, "namespace": ns}, "reason": "Scheduled", "message": "ok", "type": "Normal"})
    found = core.list_namespaced_event(ns, field_selector="involvedObject.kind=Pod,involvedObject.name=b")
    assert [e.metadata.name for e in found.items] == ["ev-b"]


def test_watch_streams_events_and_resumes(core, ns):
    start = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, {"metadata": {"name": "a"}})
    core.patch_namespaced_config_map("a", ns, {"data": {"k": "v"}})
    core.delete_namespaced_config_map("a", ns)
    w = watch.Watch()
    seen = [(e["type"], e["object"].metadata.name)
            for e in w.stream(core.list_namespaced_config_map, ns, resource_version=start, timeout_seconds=1)]
    assert seen == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


def test_watch_delivers_live_events(core, ns):
    w = watch.Watch()
    got = []

    def consume():
        for event in w.stream(core.list_namespaced_config_map, ns, timeout_seconds=10):
            got.append((event["type"], event["object"].metadata.name))
            if len(got) == 2:
                w.stop()

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.3)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "x"}})
    core.create_namespaced_config_map(ns, {"metadata": {"name": "y"}})
    t.join(10)
    assert got == [("ADDED", "x"), ("ADDED", "y")]


def test_watch_from_an_expired_resource_version_is_410(sim, core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "old"}})
    old = core.read_namespaced_config_map("old", ns).metadata.resource_version
    core.create_namespaced_config_map(ns, {"metadata": {"name": "newer"}})
    sim.store.compact()
    with pytest.raises(ApiException) as err:
        list(watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=old, timeout_seconds=1))
    assert err.value.status == 410


def raw_get(sim, path: str) -> bytes:
    ctx = ssl.create_default_context(cadata=sim.ca_pem.decode())
    request = urllib.request.Request(f"{sim.url}{path}", headers={"Authorization": f"Bearer {sim.token}"})
    with urllib.request.urlopen(request, context=ctx) as response:
        return response.read()


def test_bookmarks_carry_a_resource_version(sim, core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "a"}})
    data = raw_get(sim, f"/api/v1/namespaces/{ns}/configmaps?watch=true&allowWatchBookmarks=true"
                        "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1")
    lines = [json.loads(x) for x in data.decode().splitlines() if x]
    assert [e["type"] for e in lines[:2]] == ["ADDED", "BOOKMARK"]
    assert lines[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert all(e["type"] == "BOOKMARK" and e["object"]["metadata"]["resourceVersion"] for e in lines[1:])


def test_delete_collection_by_label(core, ns, manifests):
    for i in range(3):
        core.create_namespaced_pod(ns, manifests.pod(f"p{i}", labels={"drop": "yes" if i else "no"}))
    core.delete_collection_namespaced_pod(ns, label_selector="drop=yes")
    assert [p.metadata.name for p in core.list_namespaced_pod(ns).items] == ["p0"]


def test_hpa_served_as_v2_and_v1(api, ns):
    v2 = client.AutoscalingV2Api(api)
    v2.create_namespaced_horizontal_pod_autoscaler(ns, {"metadata": {"name": "h"}, "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"}, "minReplicas": 2,
        "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": 90}}}]}})
    v1 = client.AutoscalingV1Api(api).read_namespaced_horizontal_pod_autoscaler("h", ns)
    assert v1.spec.target_cpu_utilization_percentage == 90 and v1.spec.max_replicas == 5


def test_unauthenticated_requests_get_401(sim):
    ctx = ssl.create_default_context(cadata=sim.ca_pem.decode())
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{sim.url}/api/v1/namespaces", context=ctx)
    assert err.value.code == 401 and json.loads(err.value.read())["reason"] == "Unauthorized"
    assert sim.url.startswith("https://127.0.0.1:")
