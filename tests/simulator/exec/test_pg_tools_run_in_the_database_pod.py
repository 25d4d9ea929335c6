"""pg_dump, psql, createdb and pg_restore run in the managed database pod through pods/exec, against the
registry's real PostgreSQL: with the `kubernetes` client's `stream`, with `kubectl exec`, and through PodRunner
with the backup package's dump and restore."""

from __future__ import annotations

import io
from urllib.parse import unquote, urlsplit

from kubernetes import client
from kubernetes.stream import stream

from quayops.backup.pods import PodRunner
from quayops.backup.postgres import dump_database, restore_database, table_row_counts
from quayops.kube.execution import exec_in_pod
from tests.simulator.exec.conftest import pod_of


def _database(r) -> tuple[str, str]:
    uri = urlsplit(r.secret(f"{r.name}-quay-registry-managed-secret-keys")["DB_URI"])
    return unquote(uri.path.lstrip("/")), unquote(uri.username or "")


def test_pg_dump_through_the_client_stream_loads_back_with_psql(registry):
    pod, (dbname, _) = pod_of(registry, "postgres"), _database(registry)
    ws = stream(client.CoreV1Api(registry.cluster.api).connect_get_namespaced_pod_exec, pod, registry.namespace,
                command=["pg_dump", "--no-owner", dbname], stdout=True, stderr=True, stdin=False, tty=False,
                _preload_content=False, binary=True)
    ws.run_forever(timeout=60)
    dump = ws.read_stdout()
    assert ws.subprotocol == "v5.channel.k8s.io" and ws.returncode == 0, ws.read_stderr()
    assert b"-- PostgreSQL database dump complete" in dump

    runner = PodRunner(registry.cluster, registry.namespace, pod, timeout=60)
    assert exec_in_pod(registry.cluster, registry.namespace, pod, ["createdb", "copy_stream"]) == (0, "")
    code, stderr = exec_in_pod(registry.cluster, registry.namespace, pod,
                               ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "copy_stream"], stdin=dump)
    assert code == 0, stderr
    counts = table_row_counts(runner, dbname=dbname)
    assert counts["user"] >= 1 and counts["repository"] == 1
    assert table_row_counts(runner, dbname="copy_stream") == counts


def test_pg_dump_through_kubectl_exec_loads_back_with_psql(registry, kubectl, tmp_path):
    pod, (dbname, _) = pod_of(registry, "postgres"), _database(registry)
    ns = ("-n", registry.namespace)
    with open(tmp_path / "dump.sql", "wb") as sink:
        dumped = kubectl("exec", *ns, pod, "--", "pg_dump", "--no-owner", dbname, stdout=sink)
    assert dumped.returncode == 0, dumped.stderr
    assert kubectl("exec", *ns, pod, "--", "createdb", "copy_kubectl").returncode == 0
    loaded = kubectl("exec", "-i", *ns, pod, "--", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                     "copy_kubectl", input=(tmp_path / "dump.sql").read_bytes())
    assert loaded.returncode == 0, loaded.stderr
    runner = PodRunner(registry.cluster, registry.namespace, pod)
    assert table_row_counts(runner, dbname="copy_kubectl") == table_row_counts(runner, dbname=dbname)


def test_psql_runs_as_the_container_would(registry):
    pod, (dbname, user) = pod_of(registry, "postgres"), _database(registry)
    out = io.BytesIO()
    assert exec_in_pod(registry.cluster, registry.namespace, pod, ["psql", "-tA", "-c", "select 1"],
                       stdout=out) == (0, "")
    assert out.getvalue() == b"1\n"
    out = io.BytesIO()  # the container's env comes from the postgres-config-secret, local connections trusted
    code, stderr = exec_in_pod(registry.cluster, registry.namespace, pod, [
        "bash", "-c", 'psql -tA -U "$POSTGRESQL_USER" -d "$POSTGRESQL_DATABASE" -c "select current_user"'],
        stdout=out)
    assert (code, stderr, out.getvalue().decode()) == (0, "", f"{user}\n")
    code, stderr = exec_in_pod(registry.cluster, registry.namespace, pod, ["psql", "-d", dbname, "-c", "select nope"])
    assert code == 1 and 'column "nope" does not exist' in stderr


def _scale_quay(r, replicas: int, wait_until) -> None:
    name = f"{r.name}-quay-app"
    r.cluster.patch("apps/v1", "Deployment", name, {"spec": {"replicas": replicas}}, namespace=r.namespace)
    wait_until(lambda: bool((r.cluster.get("apps/v1", "Deployment", name, namespace=r.namespace).get("status") or {}
                             ).get("readyReplicas", 0)) == bool(replicas), timeout=60, what=f"{name} at {replicas}")


def test_podrunner_dump_and_restore_round_trip(registry, tmp_path, wait_until):
    pod, (dbname, _) = pod_of(registry, "postgres"), _database(registry)
    runner = PodRunner(registry.cluster, registry.namespace, pod, timeout=60)
    before = table_row_counts(runner, dbname=dbname)
    plain = dump_database(runner, dbname=dbname, out_path=tmp_path / "quay.sql")
    custom = dump_database(runner, dbname=dbname, out_path=tmp_path / "quay.dump", fmt="custom")
    assert plain.size > 0 and custom.format == "custom"

    _scale_quay(registry, 0, wait_until)  # the guide restores with Quay scaled down (11.2)
    restore_database(runner, dump_path=plain.path, dbname=dbname)  # psql with the dump on stdin
    assert table_row_counts(runner, dbname=dbname) == before
    restore_database(runner, dump_path=custom.path, dbname=dbname, jobs=2)  # staged into the pod's /tmp
    assert table_row_counts(runner, dbname=dbname) == before
    _scale_quay(registry, 1, wait_until)
    wait_until(lambda: registry.session.get(f"{registry.endpoint}/health/instance", timeout=10).status_code == 200,
               timeout=60, what="Quay serving on the restored database")
    listing = io.BytesIO()
    assert exec_in_pod(registry.cluster, registry.namespace, pod, ["ls", "/tmp"], stdout=listing)[0] == 0
    assert listing.getvalue() == b""  # the staged copy is gone
