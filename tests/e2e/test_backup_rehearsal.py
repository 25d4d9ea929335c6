"""Issue 8's rehearsal on one simulator with its data plane and operator 3.7: a registry filled through its API (users,
organizations, repositories, 60 images pushed over the OCI API, 300+ blobs, some shared); backups through faults
(409 on the scale-down patch, S3 errors, the dump's connection dropped, the process killed mid-copy), each ending
complete after a resume or failed clearly with Quay back up; restore refused while Quay runs; then back up, delete
the namespace, restore, and every row, blob and image back; the runbooks; no secret in any output. File order."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml
from click.testing import CliRunner

import quayops.backup.blobs as blobs_module
from quayops.backup import cluster as cl
from quayops.backup.blobs import RetryPolicy
from quayops.backup.manifest import read_manifest, verify_backup
from quayops.backup.postgres import image_manifests, table_row_counts
from quayops.backup.procedures import Access, backup_registry
from quayops.backup.pulls import RegistryClient, verify_pulls
from quayops.cli import main
from quayops.errors import StepFailedError
from quayops.kube.client import Cluster
from quayops.kube.resolve import route_session
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.reconcile import is_available, wait_for_registry
from quayops.runbooks import run_runbook
from simulator.faults import APPLICATION
from tests.e2e.conftest import leaks, started
from tests.simulator.wiring.conftest import MINIMAL_CONFIG, Deployed, _wait_until

NS, NAME, OPERATOR = "quay-enterprise", "example-registry", "3.7.14"
MAIL_PASSWORD = "e2e-Backup-mail-5519"  # planted in the config bundle: must appear in no output
USERS, ORGS = ("alice", "bob", "carol"), ("acme", "globex")
REPOS = ("acme/app", "acme/base", "globex/web", "globex/tools")
IMAGES_PER_REPO, SHARED_LAYERS, OWN_LAYERS = 15, 16, 4
MEDIA = {"manifest": "application/vnd.oci.image.manifest.v1+json",
         "config": "application/vnd.oci.image.config.v1+json", "layer": "application/vnd.oci.image.layer.v1.tar"}


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Stack:
    sim: object
    cluster: Cluster
    registry: Deployed
    workdir: Path
    outputs: list[str] = field(default_factory=list)  # every CLI output, grepped for secrets at the end

    def access(self, **kw) -> Access:
        session = route_session(kubeconfig=self.sim.kubeconfig_path, pool_maxsize=16)
        return Access(**{"session": session, "workers": 8, "progress": False} | kw)

    def backup(self, directory: str, **kw):
        return backup_registry(self.cluster, NAME, namespace=NS, directory=self.workdir / directory,
                               access=kw.pop("access", None) or self.access(), timeout=120, report=None, **kw)

    def live(self) -> dict:
        return self.cluster.get(API_VERSION, KIND, NAME, namespace=NS)

    def assert_up(self) -> None:
        """Quay serves again and quayops left nothing behind on the QuayRegistry."""
        registry = wait_for_registry(self.cluster, NAME, namespace=NS, timeout=60, report=None)
        assert cl.detect_quiesce_record(registry) is None
        assert cl.quay_pods(self.cluster, NS, registry=NAME)
        assert is_available(registry)

    def database(self) -> psycopg.Connection:
        server = self.sim.data_plane.directory.lookup(NS, f"{NAME}-quay-database", 5432)
        uri = urlsplit(self.registry.secret(f"{NAME}-quay-registry-managed-secret-keys")["DB_URI"])
        return psycopg.connect(host=server.host, port=server.port, dbname=uri.path.lstrip("/"), user=uri.username,
                               password=uri.password, autocommit=True)

    def snapshot(self) -> dict:
        """Rows per table, every manifest, and every object of the bucket with its digest."""
        registry = self.live()
        runner, dbname = cl.locate_database(self.cluster, registry)
        bucket, s3 = cl.locate_bucket(self.cluster, registry, session=self.access().session)
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                for o in page.get("Contents", [])]
        with ThreadPoolExecutor(8) as pool:
            objects = dict(zip(keys, pool.map(lambda k: _digest(s3.get_object(Bucket=bucket, Key=k)["Body"].read()),
                                              keys), strict=True))
        return {"rows": table_row_counts(runner, dbname=dbname), "images": image_manifests(runner, dbname=dbname),
                "objects": objects}

    def secrets(self) -> dict[str, str]:
        """Every secret a backup handles: the planted one, the managed keys, the bucket's keys."""
        found = {"planted MAIL_PASSWORD": MAIL_PASSWORD}
        keys = self.registry.secret(f"{NAME}-quay-registry-managed-secret-keys")
        found |= {k: v for k, v in keys.items() if k != "DB_URI"}
        found["DB_URI password"] = urlsplit(keys["DB_URI"]).password
        found |= {k: v for k, v in self.registry.secret(f"{NAME}-quay-datastore").items()}
        return found


def _push_images(r: Deployed, password: dict[str, str]) -> int:
    """Push IMAGES_PER_REPO images to each repository over the OCI API: a config, two layers from a shared pool
    and OWN_LAYERS of their own, small and random; returns how many distinct blobs went up."""
    rng = random.Random(8)
    shared = [rng.randbytes(rng.randrange(64, 4096)) for _ in range(SHARED_LAYERS)]
    images = []
    for repo in REPOS:
        for i in range(IMAGES_PER_REPO):
            layers = rng.sample(shared, 2) + [rng.randbytes(rng.randrange(64, 4096)) for _ in range(OWN_LAYERS)]
            config = json.dumps({"architecture": "amd64", "os": "linux", "created": f"2024-01-{i + 1:02d}",
                                 "rootfs": {"type": "layers", "diff_ids": [_digest(x) for x in layers]}}).encode()
            images.append((repo, f"v{i}", config, layers))

    def push(image: tuple[str, str, bytes, list[bytes]]) -> None:
        repo, tag, config, layers = image
        auth = (Deployed.admin, password[Deployed.admin])
        token = r.session.get(f"{r.endpoint}/v2/auth", params={"service": r.host, "scope": f"repository:{repo}:push,pull"},
                              auth=auth, timeout=30).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for blob in (config, *layers):
            answer = r.session.post(f"{r.endpoint}/v2/{repo}/blobs/uploads/", params={"digest": _digest(blob)},
                                    data=blob, headers=headers, timeout=30)
            assert answer.status_code == 201, answer.text
        manifest = json.dumps({"schemaVersion": 2, "mediaType": MEDIA["manifest"],
                               "config": {"mediaType": MEDIA["config"], "digest": _digest(config), "size": len(config)},
                               "layers": [{"mediaType": MEDIA["layer"], "digest": _digest(x), "size": len(x)}
                                          for x in layers]}).encode()
        answer = r.session.put(f"{r.endpoint}/v2/{repo}/manifests/{tag}", data=manifest,
                               headers={**headers, "Content-Type": MEDIA["manifest"]}, timeout=30)
        assert answer.status_code == 201, answer.text

    firsts = images[::IMAGES_PER_REPO]  # each creates its repository: one at a time
    for image in firsts:
        push(image)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(push, [i for i in images if i not in firsts]))
    return len({_digest(b) for _, _, config, layers in images for b in (config, *layers)})


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("backup-rehearsal")
    with started(workdir, seed=31, with_operator=OPERATOR) as sim, pytest.MonkeyPatch.context() as mp:
        mp.setenv("KUBECONFIG", str(sim.kubeconfig_path))
        mp.delenv("QUAYOPS_RESOLVE", raising=False)
        cluster = Cluster(sim.api_client())
        config = {**MINIMAL_CONFIG, "FEATURE_MAILING": True, "MAIL_SERVER": "smtp.example.com",
                  "MAIL_USERNAME": "quay", "MAIL_PASSWORD": MAIL_PASSWORD}
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        cluster.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "config-bundle", "namespace": NS},
                        "data": {"config.yaml": base64.b64encode(yaml.safe_dump(config).encode()).decode()}})
        cluster.create({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": NAME, "namespace": NS},
                        "spec": {"configBundleSecret": "config-bundle"}})
        wait_for_registry(cluster, NAME, namespace=NS, timeout=180, report=None)
        r = Deployed(sim, cluster, NS, NAME)
        _wait_until(lambda: r.session.get(f"{r.endpoint}/health/instance", timeout=10).status_code == 200,
                    timeout=60, what="Quay behind the route")
        r.initialize()
        passwords = {r.admin: r.admin_password}
        for user in USERS:
            answer = r.api("POST", "/api/v1/superuser/users/", json={"username": user, "email": f"{user}@example.com"})
            passwords[user] = answer.json()["password"]
        for org in ORGS:
            assert r.api("POST", "/api/v1/organization/", json={"name": org, "email": f"{org}@example.com"}).ok
        blob_count = _push_images(r, passwords)
        assert blob_count > 300
        yield Stack(sim, cluster, r, workdir)


def test_a_409_on_the_scale_down_patch_is_retried_and_the_backup_completes(stack: Stack):
    stack.sim.faults.add("api-errors", "quayregistries", verb="patch", code=409, count=1)

    result = stack.backup("first")

    assert [(s.name, s.status) for s in result.steps] == [
        ("preconditions", "completed"), ("configuration", "completed"), ("quiesce", "completed"),
        ("database", "completed"), ("blobs", "completed"), ("scale-up", "completed"), ("manifest", "completed"),
        ("consistency", "completed")]
    assert not stack.sim.faults.list()  # the 409 was served, and retried
    manifest = read_manifest(stack.workdir / "first")
    assert manifest.versions == {"operator": OPERATOR, "quay": f"v{OPERATOR}"}
    assert manifest.objects["count"] > 300 and len(manifest.images) == len(REPOS) * IMAGES_PER_REPO
    assert verify_backup(stack.workdir / "first").ok
    exported = yaml.safe_load((stack.workdir / "first" / "quay-registry.yaml").read_text())
    assert "status" not in exported and set(exported["metadata"]) == {"name", "namespace"}
    keys = yaml.safe_load((stack.workdir / "first" / "managed-secret-keys.yaml").read_text())
    assert "ownerReferences" not in keys["metadata"] and len(keys["data"]) == 6
    stack.assert_up()


def test_restore_refuses_while_quay_pods_run_in_the_namespace(stack: Stack):
    before = {s["metadata"]["name"]: s["metadata"]["resourceVersion"]
              for s in stack.cluster.list("v1", "Secret", namespace=NS)["items"]}

    out = CliRunner().invoke(main, ["restore", NAME, "-n", NS, "--from", str(stack.workdir / "first")])
    stack.outputs.append(out.output)

    assert out.exit_code == 3, out.output
    assert "step 'preconditions' failed: a Quay deployment runs in namespace quay-enterprise" in out.output
    assert "Nothing was changed." in out.output
    assert {s["metadata"]["name"]: s["metadata"]["resourceVersion"]
            for s in stack.cluster.list("v1", "Secret", namespace=NS)["items"]} == before


def test_a_lasting_409_fails_the_quiesce_step_clearly_then_a_resume_completes(stack: Stack):
    fault = stack.sim.faults.add("api-errors", "quayregistries", verb="patch", code=409, count=8)

    with pytest.raises(StepFailedError) as failed:
        stack.backup("conflict")
    stack.sim.faults.clear(fault.id)

    assert failed.value.step == "quiesce"
    assert "the object has been modified" in str(failed.value)
    assert "Quay was not scaled down." in str(failed.value) and "--resume" in str(failed.value)
    stack.assert_up()
    result = stack.backup("conflict", resume=True)
    assert [s.status for s in result.steps][:2] == ["resumed", "resumed"]
    assert verify_backup(stack.workdir / "conflict").ok


def test_s3_errors_are_retried_or_fail_the_blob_step_with_quay_back_up(stack: Stack):
    bucket = stack.cluster.get("v1", "ConfigMap", f"{NAME}-quay-datastore", namespace=NS)["data"]["BUCKET_NAME"]
    retries = RetryPolicy(attempts=3, first_delay=0.05, max_delay=0.2)
    stack.sim.faults.add("s3-errors", bucket, method="GET", rate=0.1, count=15)
    flaky = stack.backup("flaky-s3", access=stack.access(retries=RetryPolicy(first_delay=0.05, max_delay=0.2)))
    assert flaky.outputs["blobs"]["objects"] > 300 and verify_backup(stack.workdir / "flaky-s3").ok

    fault = stack.sim.faults.add("s3-errors", bucket, method="GET", code=503)
    with pytest.raises(StepFailedError) as failed:
        stack.backup("down-s3", access=stack.access(retries=retries))
    stack.sim.faults.clear(fault.id)

    assert failed.value.step == "blobs" and "failed after 3 attempts" in str(failed.value)
    assert "Quay was scaled back up and is Available" in str(failed.value)
    assert not (stack.workdir / "down-s3" / "manifest.json").exists()  # never a manifest without its blobs
    stack.assert_up()
    result = stack.backup("down-s3", resume=True)
    assert {s.name: s.status for s in result.steps}["quiesce"] == "completed"  # a new quiesced moment
    assert verify_backup(stack.workdir / "down-s3").ok


def test_the_dump_connection_dropped_fails_the_database_step_then_a_resume_completes(stack: Stack):
    lock = stack.database()  # holds a lock pg_dump waits for, so the fault finds it mid-dump
    lock.execute(f"SET application_name = '{APPLICATION}'")
    lock.execute("BEGIN")
    lock.execute('LOCK TABLE "tag" IN ACCESS EXCLUSIVE MODE')
    stack.sim.faults.add("db-disconnect", f"{NAME}-quay-database", application="pg_dump", count=1)
    try:
        with pytest.raises(StepFailedError) as failed:
            stack.backup("dropped")
    finally:
        lock.execute("ROLLBACK")
        lock.close()

    assert failed.value.step == "database"
    assert "pg_dump of database 'example-registry-quay-database' failed" in str(failed.value)
    assert "Quay was scaled back up and is Available" in str(failed.value)
    stack.assert_up()
    result = stack.backup("dropped", resume=True)
    assert {s.name: s.status for s in result.steps}["database"] == "completed"
    assert verify_backup(stack.workdir / "dropped").ok


def test_a_process_killed_during_the_blob_copy_resumes_without_copying_twice(stack: Stack, monkeypatch):
    download, calls, lock = blobs_module._download, [0], threading.Lock()

    def killed_after_120(*args, **kw):
        with lock:
            calls[0] += 1
            if calls[0] > 120:
                raise KeyboardInterrupt  # the process dies: no on_failure, Quay stays quiesced
        return download(*args, **kw)

    monkeypatch.setattr(blobs_module, "_download", killed_after_120)
    with pytest.raises(KeyboardInterrupt):
        stack.backup("killed")
    monkeypatch.setattr(blobs_module, "_download", download)
    state = json.loads((stack.workdir / "killed" / "backup.state.json").read_text())
    assert state["steps"]["blobs"]["status"] == "running"
    assert cl.detect_quiesce_record(stack.live()) is not None and not cl.quay_pods(stack.cluster, NS, registry=NAME)

    result = stack.backup("killed", resume=True)

    statuses = {s.name: s.status for s in result.steps}
    assert (statuses["quiesce"], statuses["database"], statuses["blobs"]) == ("resumed", "resumed", "completed")
    assert result.outputs["blobs"]["skipped"] >= 100
    assert result.outputs["blobs"]["copied"] + result.outputs["blobs"]["skipped"] == result.outputs["blobs"]["objects"]
    assert verify_backup(stack.workdir / "killed").ok
    stack.assert_up()


def test_backup_delete_the_namespace_restore_and_everything_is_back(stack: Stack):
    before = stack.snapshot()
    taken = CliRunner().invoke(main, ["backup", "create", NAME, "-n", NS, "--to", str(stack.workdir / "full"),
                                      "--workers", "8"])
    stack.outputs.append(taken.output)
    assert taken.exit_code == 0, taken.output
    checked = CliRunner().invoke(main, ["backup", "verify", str(stack.workdir / "full")])
    stack.outputs.append(checked.output)
    assert checked.exit_code == 0 and ": OK:" in checked.output

    stack.cluster.delete(API_VERSION, KIND, NAME, namespace=NS)
    stack.cluster.delete("v1", "Namespace", NS)
    _wait_until(lambda: stack.cluster.find("v1", "Namespace", NS) is None, timeout=120, what=f"namespace {NS} gone")
    restored = CliRunner(env={"QUAYADMIN_PASSWORD": Deployed.admin_password}).invoke(main, [
        "restore", NAME, "-n", NS, "--from", str(stack.workdir / "full"), "--pull-user", "quayadmin",
        "--pull-password-env", "QUAYADMIN_PASSWORD", "--workers", "8"])
    stack.outputs.append(restored.output)
    assert restored.exit_code == 0, restored.output
    assert f"images pulled: {len(before['images'])}/{len(before['images'])}" in restored.output

    after = stack.snapshot()
    assert after["rows"] == before["rows"]
    assert after["objects"] == before["objects"]
    assert after["images"] == before["images"]
    stack.assert_up()
    client = RegistryClient(stack.access().session, stack.registry.endpoint, credentials=("quayadmin",
                                                                                          Deployed.admin_password))
    pulled = verify_pulls(client, after["images"])
    assert (pulled.ok, pulled.manifests) == (True, len(before["images"]))
    for tag in ("v0", "v14"):
        oras = stack.registry.oras().get_manifest(f"{stack.registry.host}/acme/app:{tag}")
        assert oras["schemaVersion"] == 2


def test_the_runbooks_back_up_rehearse_and_refuse(stack: Stack, monkeypatch):
    out, root = stack.workdir / "runs", stack.workdir / "scheduled"
    monkeypatch.setenv("QUAYADMIN_PASSWORD", Deployed.admin_password)
    first = run_runbook("backup-restore/backup", parameters={"namespace": NS, "backup_root": str(root),
                                                             "workers": 8}, out_dir=out / "1", progress=False)
    again = run_runbook("backup-restore/backup", parameters={"namespace": NS, "backup_root": str(root)},
                        out_dir=out / "2", progress=False)
    assert (first.outcome, again.outcome) == ("ok", "ok"), (first.message, again.message)
    done = next(root.iterdir())
    state = json.loads((done / "backup.state.json").read_text())
    assert all(s["status"] == "completed" for s in state["steps"].values())  # the rerun changed nothing

    rehearsal = run_runbook("backup-restore/rehearse-restore", parameters={
        "backup": str(done), "namespace": "rehearsal", "pull_user": "quayadmin",
        "pull_password": "env:QUAYADMIN_PASSWORD"}, out_dir=out / "3", progress=False)
    assert rehearsal.outcome == "ok", rehearsal.message
    assert "is good: restored into the simulator and verified" in Path(rehearsal.notebook).read_text()
    refused = run_runbook("backup-restore/restore", parameters={"namespace": NS, "directory": str(done)},
                          out_dir=out / "4", progress=False)
    assert refused.outcome == "failed" and "a Quay deployment runs in namespace" in refused.message
    assert "Nothing was changed." in Path(refused.notebook).read_text()


def test_no_secret_reaches_any_output(stack: Stack):
    secrets = stack.secrets()
    cli = stack.workdir / "cli"
    cli.mkdir()
    (cli / "outputs.txt").write_text("\n".join(stack.outputs))

    assert len(stack.outputs) == 4
    assert leaks(cli, secrets) == []
    assert leaks(stack.workdir / "runs", secrets) == []
    assert leaks(stack.workdir / "full", {"planted": MAIL_PASSWORD})  # the backup itself holds them, 0600
