"""Issue 9's rehearsal on one fresh simulator with its data plane: operator 3.5 with Manual approval and a registry
holding images; a catalog jump quayops refuses to approve, changing nothing; the upgrade to 3.7 through the
`upgrade/upgrade` runbook with its pre-upgrade backup, data intact; a QuayEcosystem migration (supported, then local
storage); and a failing migration Job stopping a hop with a clear message. Tests run in file order."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml

from quayops.install.olm import OLM, apply_operator_install, plan_operator_install, wait_for_operator
from quayops.kube.client import Cluster
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.reconcile import is_available, wait_for_registry
from quayops.runbooks import run_runbook
from quayops.upgrade.ecosystem import (
    ECOSYSTEM,
    migrate_ecosystem,
    predict_ecosystem_migration,
    read_ecosystem,
    revert_ecosystem_migration,
)
from quayops.upgrade.execution import UpgradeFailed, run_upgrade
from quayops.upgrade.planning import UpgradeRefused
from simulator.controllers.olm import Subscriptions
from simulator.dataplane.objectstore import s3_client
from tests.e2e.conftest import leaks, secret_value, started
from tests.simulator.wiring.conftest import MINIMAL_CONFIG, Deployed, _wait_until

NS, NAME, SUB_NS = "quay-enterprise", "example-registry", "openshift-operators"
JOB = f"{NAME}-quay-app-upgrade"
APPS = "apps.sim.example.com"
ECO_DB_PASSWORD = "e2e-ecosystem-db-4411"  # planted: must appear in no output


@dataclass
class Rehearsal:
    sim: object
    cluster: Cluster
    registry: Deployed
    workdir: Path
    layers: dict[str, Path] = field(default_factory=dict)
    tags: list[tuple[str, str]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def database(self) -> psycopg.Connection:
        server = self.sim.data_plane.directory.lookup(NS, f"{NAME}-quay-database", 5432)
        uri = urlsplit(self.registry.secret(f"{NAME}-quay-registry-managed-secret-keys")["DB_URI"])
        return psycopg.connect(host=server.host, port=server.port, dbname=uri.path.lstrip("/"), user=uri.username,
                               password=uri.password)

    def snapshot_data(self) -> tuple[list[tuple[str, str]], dict[str, int]]:
        """Live tags with their manifest digests, and the row count of every table."""
        with self.database() as conn:
            tags = conn.execute("SELECT t.name, m.digest FROM tag t JOIN manifest m ON m.id = t.manifest_id "
                                "WHERE t.lifetime_end_ms IS NULL ORDER BY t.name").fetchall()
            tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                                 "ORDER BY tablename")]
            rows = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        return tags, rows

    def subscription(self) -> dict:
        return self.cluster.get(OLM, "Subscription", "quay-operator", namespace=SUB_NS)

    def olm(self) -> Subscriptions:
        return next(c for c in self.sim.runner.controllers if isinstance(c, Subscriptions))


def _sha(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory) -> Iterator[Rehearsal]:
    """Operator 3.5.7 from stable-3.5 with Manual approval, a registry with a user, an org, a repo and two images."""
    workdir = tmp_path_factory.mktemp("upgrade-rehearsal")
    with started(workdir, seed=23) as sim, pytest.MonkeyPatch.context() as mp:
        mp.setenv("KUBECONFIG", str(sim.kubeconfig_path))
        mp.delenv("QUAYOPS_RESOLVE", raising=False)
        cluster = Cluster(sim.api_client())
        install = plan_operator_install(channel="stable-3.5", approval="Manual")
        apply_operator_install(cluster, install)
        wait_for_operator(cluster, install, approve=True, timeout=120, report=None)
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        cluster.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "config-bundle", "namespace": NS},
                        "data": {"config.yaml": base64.b64encode(yaml.safe_dump(MINIMAL_CONFIG).encode()).decode()}})
        cluster.create({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": NAME, "namespace": NS},
                        "spec": {"configBundleSecret": "config-bundle"}})
        wait_for_registry(cluster, NAME, namespace=NS, timeout=180, report=None)
        registry = Deployed(sim, cluster, NS, NAME)
        _wait_until(lambda: registry.session.get(f"{registry.endpoint}/health/instance", timeout=10).status_code == 200,
                    timeout=60, what="Quay behind the route")
        registry.initialize()
        assert registry.api("POST", "/api/v1/organization/", json={"name": "acme", "email": "a@example.com"}
                            ).status_code == 201
        assert registry.api("POST", "/api/v1/repository", json={"namespace": "acme", "repository": "app",
                                                                 "visibility": "private", "description": ""}
                            ).status_code == 201
        r = Rehearsal(sim, cluster, registry, workdir)
        mp.chdir(workdir)  # oras pushes files under the working directory only
        for tag, size in (("v1", 300_000), ("v2", 1_200_000)):
            layer = Path(f"layer-{tag}.bin")
            layer.write_bytes(os.urandom(size))
            r.layers[tag] = workdir / layer
            pushed = registry.oras(push_to="acme/app").push(target=f"{registry.host}/acme/app:{tag}", files=[str(layer)])
            assert pushed.status_code == 201
        r.tags, r.rows = r.snapshot_data()
        assert [t for t, _ in r.tags] == ["v1", "v2"]
        yield r


def test_a_catalog_jump_is_refused_and_nothing_changes(rehearsal: Rehearsal):
    r, olm = rehearsal, rehearsal.olm()
    olm.publish("stable-3.7", "3.8.0")  # a catalog update whose skipRange offers 3.5 → 3.8
    try:
        with pytest.raises(UpgradeRefused) as refused:
            run_upgrade(r.cluster, NAME, namespace=NS, target="3.7", approve=True, skip_backup=True, timeout=60,
                        report=None)
    finally:
        olm.catalog.channels["stable-3.7"].pop()
    message = str(refused.value)
    assert "it installs quay-operator.v3.8.0 (Quay 3.8.0), not the planned hop 3.5.7 → 3.7" in message
    assert "left unapproved and the Subscription is back on channel stable-3.5" in message
    assert "Nothing was changed." in message
    plans = {p["spec"]["clusterServiceVersionNames"][0]: p
             for p in r.cluster.list(OLM, "InstallPlan", namespace=SUB_NS)["items"]}
    assert plans["quay-operator.v3.8.0"]["spec"]["approved"] is False
    sub = r.subscription()
    assert (sub["spec"]["channel"], sub["status"]["installedCSV"]) == ("stable-3.5", "quay-operator.v3.5.7")
    assert [c["metadata"]["name"] for c in r.cluster.list(OLM, "ClusterServiceVersion", namespace=SUB_NS)["items"]] \
        == ["quay-operator.v3.5.7"]
    live = r.registry.registry()
    assert live["status"]["currentVersion"] == "v3.5.7" and is_available(live)
    # what the refusal's hint says: the reviewed plan goes, so the next preflight does not trip on it
    r.cluster.delete(OLM, "InstallPlan", plans["quay-operator.v3.8.0"]["metadata"]["name"], namespace=SUB_NS)


def test_upgrade_runbook_takes_the_registry_to_3_7_with_its_data(rehearsal: Rehearsal, env):
    r = rehearsal
    server = r.sim.data_plane.directory.lookup(NS, f"{NAME}-quay-database", 5432)
    uri = urlsplit(r.registry.secret(f"{NAME}-quay-registry-managed-secret-keys")["DB_URI"])
    env(PGPASSWORD=uri.password)
    dump = r.workdir / "before-upgrade.sql"
    backup = f"pg_dump -h {server.host} -p {server.port} -U {uri.username} -d {uri.path.lstrip('/')} -f {dump}"
    out = r.workdir / "out"
    record = run_runbook("upgrade/upgrade", parameters={"to": "3.7", "approve": True, "backup_command": backup,
                                                        "timeout": 300}, target="sim", out_dir=out, progress=False)
    assert record.exit_status == 0, record.summary()
    assert "backup taken" in Path(record.notebook).read_text() and b"acme" in dump.read_bytes()
    live = r.registry.registry()
    assert live["status"]["currentVersion"] == "v3.7.14" and is_available(live)
    sub = r.subscription()
    assert (sub["spec"]["channel"], sub["status"]["installedCSV"]) == ("stable-3.7", "quay-operator.v3.7.14")
    tags, rows = r.snapshot_data()
    assert tags == r.tags and rows == r.rows
    puller = r.registry.oras()
    for tag, layer in r.layers.items():
        files = puller.pull(target=f"{r.registry.host}/acme/app:{tag}", outdir=str(r.workdir / f"pulled-{tag}"))
        assert [_sha(Path(f)) for f in files] == [_sha(layer)]
    assert leaks(out, {"database password": uri.password, "first-user password": Deployed.admin_password}) == []


def _ecosystem(r: Rehearsal, ns: str, name: str, backends: list[dict], config: dict) -> None:
    """What the old operator left: its config Secret, Quay Service and passthrough Route, and the QuayEcosystem."""
    r.cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    r.cluster.create({"apiVersion": "v1", "kind": "Secret",
                      "metadata": {"name": "quay-enterprise-config-secret", "namespace": ns},
                      "data": {"config.yaml": base64.b64encode(yaml.safe_dump(config).encode()).decode()}})
    r.cluster.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"{name}-quay", "namespace": ns},
                      "spec": {"selector": {"app": "quay-ecosystem"}, "ports": [{"port": 8443}]}})
    r.cluster.create({"apiVersion": "route.openshift.io/v1", "kind": "Route",
                      "metadata": {"name": f"{name}-quay", "namespace": ns},
                      "spec": {"host": f"{name}.{APPS}", "to": {"kind": "Service", "name": f"{name}-quay"},
                               "tls": {"termination": "passthrough"}}})
    r.cluster.create({"apiVersion": ECOSYSTEM[0], "kind": ECOSYSTEM[1], "metadata": {"name": name, "namespace": ns},
                      "spec": {"quay": {"registryBackends": backends, "database": {"server": "external"},
                                        "externalAccess": {"type": "Route", "hostname": f"{name}.{APPS}",
                                                           "tls": {"termination": "passthrough"}}},
                               "redis": {}}})


def test_quayecosystem_migrates_answers_and_reverts_and_local_storage_is_refused(rehearsal: Rehearsal, env):
    r = rehearsal
    published = r.cluster.get("v1", "ConfigMap", "simulator-dataplane", namespace="simulator")["data"]
    r.sim.data_plane.postgres.create_database("quayeco", owner="quayeco", password=ECO_DB_PASSWORD)
    keys = {k: secret_value(r.cluster, "simulator", "simulator-dataplane", f"s3.{k}") for k in ("access-key", "secret-key")}
    s3_client(published["s3.endpoint"], keys["access-key"], keys["secret-key"]).create_bucket(Bucket="quay-eco")
    host, port = published["s3.endpoint"].removeprefix("http://").split(":")
    config = {"SERVER_HOSTNAME": f"quayeco.{APPS}", "SECRET_KEY": "e2e-eco-secret-key", "FEATURE_SIGNING": False,
              "DB_URI": f"postgresql://quayeco:{ECO_DB_PASSWORD}@{published['postgres.host']}:"
                        f"{published['postgres.port']}/quayeco",
              "DISTRIBUTED_STORAGE_CONFIG": {"default": ["RadosGWStorage", {
                  "hostname": host, "port": port, "is_secure": False, "access_key": keys["access-key"],
                  "secret_key": keys["secret-key"], "bucket_name": "quay-eco", "storage_path": "/datastorage"}]},
              "DISTRIBUTED_STORAGE_PREFERENCE": ["default"], **MINIMAL_CONFIG}
    _ecosystem(r, "eco", "quayeco", [{"name": "default", "radosGWStorage": {"bucketName": "quay-eco"}}], config)

    out = r.workdir / "eco-out"
    record = run_runbook("upgrade/migrate-quayecosystem", parameters={
        "namespace": "eco", "ecosystem": "quayeco", "dry_run": False, "timeout": 180}, target="sim", out_dir=out,
        progress=False)
    assert record.exit_status == 0, record.summary()
    assert f"https://quayeco.{APPS}/health/instance answered 200" in Path(record.notebook).read_text()
    eco = r.cluster.get(*ECOSYSTEM, "quayeco", namespace="eco")
    assert eco["metadata"]["labels"] == {"quay-operator/migrate": "true", "quay-operator/migration-complete": "true"}
    migrated = r.cluster.get(API_VERSION, KIND, "quayeco", namespace="eco")
    unmanaged = {c["kind"] for c in migrated["spec"]["components"] if not c["managed"]}
    assert {"objectstorage", "postgres", "mirror", "clair"} <= unmanaged and not {"route", "redis"} & unmanaged
    assert leaks(out, {"DB password": ECO_DB_PASSWORD, "storage secret key": keys["secret-key"]}) == []

    rows = revert_ecosystem_migration(r.cluster, "quayeco", namespace="eco", report=None)
    assert [row["result"] for row in rows[:2]] == ["quayeco deleted",
                                                   "Route quayeco-quay recreated → Service quayeco-quay (passthrough)"]
    assert r.cluster.find(API_VERSION, KIND, "quayeco", namespace="eco") is None
    route = r.cluster.get("route.openshift.io/v1", "Route", "quayeco-quay", namespace="eco")
    assert (route["spec"]["to"]["name"], route["spec"]["tls"]["termination"], route["spec"]["host"]) == \
        ("quayeco-quay", "passthrough", f"quayeco.{APPS}")

    # local storage: quayops refuses with the operator's own message and changes nothing; labelled by hand, the
    # operator says the same
    _ecosystem(r, "eco-local", "quaylocal", [{"name": "default", "local": {"storagePath": "/datastorage"}}], config)
    inventory = read_ecosystem(r.cluster, "quaylocal", namespace="eco-local")
    (blocker,) = [f for f in predict_ecosystem_migration(inventory.ecosystem, inventory.old_secret).findings
                  if f.severity == "block"]
    with pytest.raises(UpgradeRefused, match="cannot migrate local object storage"):
        migrate_ecosystem(r.cluster, "quaylocal", namespace="eco-local", report=None)
    assert "labels" not in r.cluster.get(*ECOSYSTEM, "quaylocal", namespace="eco-local")["metadata"]
    r.cluster.patch(*ECOSYSTEM, "quaylocal", {"metadata": {"labels": {"quay-operator/migrate": "true"}}},
                    namespace="eco-local")
    conditions = _wait_until(lambda: (r.cluster.get(*ECOSYSTEM, "quaylocal", namespace="eco-local").get("status")
                                      or {}).get("conditions"), timeout=30, what="the operator's migration condition")
    assert f"the operator would refuse: {conditions[0]['message']} ({conditions[0]['reason']})" == blocker.message
    assert r.cluster.list(API_VERSION, KIND, namespace="eco-local")["items"] == []


def _fail_next_upgrade_job(cluster: Cluster, stop: threading.Event) -> threading.Thread:
    """The fault knob on the next upgrade Job the operator creates: its pods exit 1, no retry."""
    known = {j["metadata"]["uid"] for j in cluster.list("batch/v1", "Job", namespace=NS)["items"]}

    def inject() -> None:
        while not stop.is_set():
            for event in cluster.watch("batch/v1", "Job", namespace=NS, field_selector=f"metadata.name={JOB}",
                                       timeout_seconds=2):
                job = event.get("object") or {}
                if event.get("type") == "ADDED" and job.get("metadata", {}).get("uid") not in known:
                    cluster.patch("batch/v1", "Job", JOB, {"metadata": {"annotations": {
                        "simulator.quayops.dev/exit-code": "1"}}, "spec": {"backoffLimit": 0}}, namespace=NS)
                    for pod in cluster.list("v1", "Pod", namespace=NS,
                                            label_selector="quay-component=quay-app-upgrade")["items"]:
                        cluster.delete("v1", "Pod", pod["metadata"]["name"], namespace=NS)
                    return

    thread = threading.Thread(target=inject, daemon=True)
    thread.start()
    return thread


def test_a_failing_migration_job_stops_the_hop_with_how_to_recover(rehearsal: Rehearsal):
    r = rehearsal
    r.olm().publish("stable-3.7", "3.7.15")  # a z-stream in the channel: a Manual InstallPlan waits for it
    stop = threading.Event()
    injector = _fail_next_upgrade_job(r.cluster, stop)
    try:
        with pytest.raises(UpgradeFailed) as failed:
            run_upgrade(r.cluster, NAME, namespace=NS, target="3.7.15", approve=True, skip_backup=True, timeout=120,
                        report=None)
    finally:
        stop.set()
        injector.join(5)
        r.olm().catalog.channels["stable-3.7"].pop()
    message = str(failed.value)
    assert message.startswith(f"hop 3.7.14 → 3.7.15 failed: the operator's upgrade Job {NS}/{JOB} failed: Job has "
                              "reached the specified backoff limit (ComponentsCreated=False/MigrationsFailed)")
    assert f"oc logs -n {NS} job/{JOB}" in message and "restore from your latest backup (guide 11.2)" in message
    (hop,) = failed.value.hops
    assert (hop.status, hop.install_plan != "", hop.csv) == ("failed", True, "quay-operator.v3.7.15")
    assert r.registry.registry()["status"]["currentVersion"] == "v3.7.14"
