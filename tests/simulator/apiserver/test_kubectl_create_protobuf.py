"""Typed `kubectl create <kind>` subcommands send protobuf bodies; the simulator accepts them as kube-apiserver does.

Each test runs the bundled kubectl and asserts the stored object through the `kubernetes` client.
"""

from __future__ import annotations

import base64
import json
import ssl
from pathlib import Path

import pytest
import urllib3
from kubernetes import client

from simulator.apiserver.protobuf import MAGIC


def test_create_namespace(kubectl, core):
    kubectl("create", "namespace", "pb-created-ns")
    ns = core.read_namespace("pb-created-ns")
    assert ns.status.phase == "Active"
    assert ns.metadata.labels == {"kubernetes.io/metadata.name": "pb-created-ns"}


def test_create_secret_generic_from_file_as_the_guide_does(kubectl, core, ns, tmp_path):
    config = b"SERVER_HOSTNAME: quay.example.com\nFEATURE_USER_INITIALIZE: true\n\xc3\xa9\n"
    (tmp_path / "config.yaml").write_bytes(config)
    kubectl("create", "secret", "generic", "quay-config", "-n", ns, f"--from-file=config.yaml={tmp_path / 'config.yaml'}")
    secret = core.read_namespaced_secret("quay-config", ns)
    assert secret.type == "Opaque"
    assert base64.b64decode(secret.data["config.yaml"]) == config


def test_create_secret_docker_registry_and_literal(kubectl, core, ns):
    kubectl("create", "secret", "docker-registry", "pull", "-n", ns, "--docker-server=quay.io",
            "--docker-username=robot", "--docker-password=token")
    kubectl("create", "secret", "generic", "creds", "-n", ns, "--from-literal=user=admin",
            "--type=kubernetes.io/basic-auth")
    pull = core.read_namespaced_secret("pull", ns)
    assert pull.type == "kubernetes.io/dockerconfigjson"
    auths = json.loads(base64.b64decode(pull.data[".dockerconfigjson"]))["auths"]
    assert auths["quay.io"]["username"] == "robot"
    creds = core.read_namespaced_secret("creds", ns)
    assert (creds.type, base64.b64decode(creds.data["user"])) == ("kubernetes.io/basic-auth", b"admin")


def test_create_configmap_with_text_and_binary_files(kubectl, core, ns, tmp_path):
    (tmp_path / "app.conf").write_text("mode=fast\n")
    (tmp_path / "logo.bin").write_bytes(b"\x89PNG\x00\xff")
    kubectl("create", "configmap", "settings", "-n", ns, "--from-literal=level=debug",
            f"--from-file={tmp_path / 'app.conf'}", f"--from-file={tmp_path / 'logo.bin'}")
    cm = core.read_namespaced_config_map("settings", ns)
    assert cm.data == {"level": "debug", "app.conf": "mode=fast\n"}
    assert base64.b64decode(cm.binary_data["logo.bin"]) == b"\x89PNG\x00\xff"


def test_create_serviceaccount(kubectl, core, ns):
    kubectl("create", "serviceaccount", "robot", "-n", ns)
    assert core.read_namespaced_service_account("robot", ns).metadata.name == "robot"


def test_create_deployment(kubectl, apps, ns):
    kubectl("create", "deployment", "quay-app", "-n", ns, "--image=quay.io/projectquay/quay:3.9", "--replicas=3",
            "--port=8443")
    deploy = apps.read_namespaced_deployment("quay-app", ns)
    assert deploy.spec.replicas == 3
    assert deploy.metadata.labels == {"app": "quay-app"}
    assert deploy.spec.selector.match_labels == {"app": "quay-app"}
    container = deploy.spec.template.spec.containers[0]
    assert (container.name, container.image) == ("quay", "quay.io/projectquay/quay:3.9")
    assert container.ports[0].container_port == 8443


def test_create_deployment_with_zero_replicas_keeps_zero(kubectl, apps, ns):
    kubectl("create", "deployment", "idle", "-n", ns, "--image=busybox", "--replicas=0", "--", "sleep", "60")
    deploy = apps.read_namespaced_deployment("idle", ns)
    assert deploy.spec.replicas == 0
    assert deploy.spec.template.spec.containers[0].command == ["sleep", "60"]


def test_create_job_and_cronjob(kubectl, api, ns):
    batch = client.BatchV1Api(api)
    kubectl("create", "job", "migrate", "-n", ns, "--image=busybox", "--", "echo", "done")
    kubectl("create", "cronjob", "backup", "-n", ns, "--image=busybox", "--schedule=*/5 * * * *", "--", "date")
    job = batch.read_namespaced_job("migrate", ns)
    assert job.spec.template.spec.restart_policy == "Never"
    assert job.spec.template.spec.containers[0].command == ["echo", "done"]
    cron = batch.read_namespaced_cron_job("backup", ns)
    assert cron.spec.schedule == "*/5 * * * *"
    assert cron.spec.job_template.spec.template.spec.restart_policy == "OnFailure"


def test_create_rbac_objects(kubectl, api, ns):
    rbac = client.RbacAuthorizationV1Api(api)
    kubectl("create", "role", "reader", "-n", ns, "--verb=get,list", "--resource=pods,secrets")
    kubectl("create", "rolebinding", "reader", "-n", ns, "--role=reader", f"--serviceaccount={ns}:robot",
            "--user=alice")
    kubectl("create", "clusterrole", f"{ns}-watcher", "--verb=get,watch", "--resource=deployments.apps")
    kubectl("create", "clusterrolebinding", f"{ns}-watcher", f"--clusterrole={ns}-watcher", "--group=devs")
    role = rbac.read_namespaced_role("reader", ns)
    assert [(r.verbs, r.api_groups, r.resources) for r in role.rules] == [(["get", "list"], [""], ["pods", "secrets"])]
    binding = rbac.read_namespaced_role_binding("reader", ns)
    assert (binding.role_ref.kind, binding.role_ref.name) == ("Role", "reader")
    assert {(s.kind, s.name) for s in binding.subjects} == {("ServiceAccount", "robot"), ("User", "alice")}
    cluster_role = rbac.read_cluster_role(f"{ns}-watcher")
    assert cluster_role.rules[0].api_groups == ["apps"]
    crb = rbac.read_cluster_role_binding(f"{ns}-watcher")
    assert (crb.role_ref.name, crb.subjects[0].kind, crb.subjects[0].name) == (f"{ns}-watcher", "Group", "devs")


def test_create_service(kubectl, core, ns):
    kubectl("create", "service", "clusterip", "quay", "-n", ns, "--tcp=443:8443")
    svc = core.read_namespaced_service("quay", ns)
    assert svc.spec.type == "ClusterIP"
    assert svc.spec.selector == {"app": "quay"}
    port = svc.spec.ports[0]
    assert (port.port, port.target_port, port.protocol) == (443, 8443, "TCP")


@pytest.fixture
def http(sim, tmp_path: Path) -> urllib3.PoolManager:
    (tmp_path / "ca.crt").write_bytes(sim.ca_pem)
    return urllib3.PoolManager(ssl_context=ssl.create_default_context(cafile=str(tmp_path / "ca.crt")))


def _post(http, sim, path: str, body: bytes):
    return http.request("POST", sim.url + path, body=body, headers={
        "Authorization": f"Bearer {sim.token}", "Content-Type": "application/vnd.kubernetes.protobuf"})


def test_malformed_protobuf_is_a_bad_request(sim, http, ns):
    r = _post(http, sim, f"/api/v1/namespaces/{ns}/configmaps", MAGIC + b"\x12\x09short")
    assert r.status == 400
    assert json.loads(r.data)["message"].startswith("error decoding request body: field 2: length 9 runs past")


def test_protobuf_of_a_kind_without_a_table_is_unsupported(sim, http):
    type_meta = b"\x0a\x02v1\x12\x04Node"
    r = _post(http, sim, "/api/v1/nodes", MAGIC + b"\x0a" + bytes([len(type_meta)]) + type_meta)
    assert r.status == 415
    assert json.loads(r.data)["reason"] == "UnsupportedMediaType"
