"""s3-errors and db-disconnect on the data plane's real servers: S3 answers 503 or drops connections (through the
`s3` route and the Service bucket claims name), PostgreSQL sessions such as a running pg_dump are terminated."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator

import botocore.exceptions
import psycopg
import pytest
import requests

from quayops.backup.blobs import is_transient, make_s3_client
from simulator.dataplane.postgres import find_bindir
from simulator.profiles import NOOBAA_NAMESPACE
from simulator.server import Simulator, start_simulator

S3_HOST = f"s3-{NOOBAA_NAMESPACE}.apps.sim.example.com"


@pytest.fixture(scope="module")
def plane_sim() -> Iterator[Simulator]:
    with start_simulator(seed=4, data_plane=True, run_controllers=True) as sim:
        yield sim


@pytest.fixture(autouse=True)
def _cleared(plane_sim: Simulator) -> Iterator[None]:
    yield
    plane_sim.faults.clear("all")


def _via_route(sim: Simulator, path: str = "/") -> requests.Response:
    assert sim.data_plane is not None and sim.data_plane.router is not None
    return requests.get(f"http://127.0.0.1:{sim.data_plane.router.http_port}{path}", headers={"Host": S3_HOST},
                        timeout=10)


def _eventually(check, *, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return result


def test_s3_errors_through_the_route_then_cleared(plane_sim: Simulator):
    _eventually(lambda: _via_route(plane_sim).status_code != 503)  # the s3 route is admitted and served
    fault = plane_sim.faults.add("s3-errors", "*", count=2)
    for _ in range(2):
        answer = _via_route(plane_sim, "/quay-bucket/some/blob")
        assert answer.status_code == 503 and "<Code>SlowDown</Code>" in answer.text
    assert _via_route(plane_sim).status_code != 503 and plane_sim.faults.list() == []

    plane_sim.faults.add("s3-errors", "*", code=500, for_seconds=60)
    assert "<Code>InternalError</Code>" in _via_route(plane_sim).text
    plane_sim.faults.clear("all")
    assert _via_route(plane_sim).status_code != 500
    seaweed = plane_sim.data_plane.seaweed.s3_port
    assert plane_sim.data_plane.directory.lookup(NOOBAA_NAMESPACE, "s3", 443).port == seaweed
    assert fault.id not in {f.id for f in plane_sim.faults.list()}


def test_s3_errors_and_dropped_connections_are_transient_to_the_backup(plane_sim: Simulator):
    plane = plane_sim.data_plane
    plane.seaweed.create_bucket("faults-bucket")
    plane_sim.faults.add("s3-errors", "other-bucket")  # only another bucket: the proxy is in the path, passing
    address = plane.directory.lookup(NOOBAA_NAMESPACE, "s3", 443)
    assert address.port != plane.seaweed.s3_port
    s3 = make_s3_client(f"http://{address}", access_key=plane.seaweed.admin_access_key,
                        secret_key=plane.seaweed.admin_secret_key)
    s3.put_object(Bucket="faults-bucket", Key="blob", Body=b"x" * 1000)

    plane_sim.faults.add("s3-errors", "faults-bucket", count=1, method="GET")
    with pytest.raises(botocore.exceptions.ClientError) as answered:
        s3.get_object(Bucket="faults-bucket", Key="blob")
    assert answered.value.response["Error"]["Code"] == "SlowDown" and is_transient(answered.value)

    plane_sim.faults.add("s3-errors", "faults-bucket", count=1, drop=True)
    with pytest.raises(botocore.exceptions.BotoCoreError) as dropped:
        s3.get_object(Bucket="faults-bucket", Key="blob")
    assert is_transient(dropped.value)
    assert s3.get_object(Bucket="faults-bucket", Key="blob")["Body"].read() == b"x" * 1000


@pytest.fixture(scope="module")
def database(plane_sim: Simulator) -> str:
    dsn = plane_sim.data_plane.postgres.create_database("faultsdb", owner="faults", password="faults-pw")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE repository (id serial PRIMARY KEY, name text)")
        conn.execute("INSERT INTO repository (name) SELECT 'repo' || n FROM generate_series(1, 100) AS n")
    return dsn


def test_db_disconnect_now_drops_open_sessions(plane_sim: Simulator, database: str):
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("SELECT 1")
        fault = plane_sim.faults.add("db-disconnect", "faultsdb")
        assert plane_sim.faults.list() == [] and fault.kind == "db-disconnect"
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")


def test_db_disconnect_drops_pg_dump_mid_dump(plane_sim: Simulator, database: str, tmp_path):
    pg_dump = [str(find_bindir() / "pg_dump"), "--dbname", database, "--file", str(tmp_path / "dump.sql")]
    with psycopg.connect(database) as locker:  # pg_dump waits on the lock: it is mid-dump when the fault acts
        locker.execute("LOCK TABLE repository IN ACCESS EXCLUSIVE MODE")
        dump = subprocess.Popen(pg_dump, stderr=subprocess.PIPE, text=True)
        plane_sim.faults.add("db-disconnect", "faultsdb", application="pg_dump", count=1, after="0.2s")
        _, stderr = dump.communicate(timeout=20)
        locker.rollback()
    assert dump.returncode != 0 and "terminating connection due to administrator command" in stderr
    assert plane_sim.faults.list() == []  # used up
    assert subprocess.run(pg_dump, capture_output=True, timeout=30, check=False).returncode == 0


def test_db_disconnect_waits_for_sessions_while_it_lasts(plane_sim: Simulator, database: str):
    fault = plane_sim.faults.add("db-disconnect", "faultsdb", for_seconds=30)
    errors: list[Exception] = []

    def session() -> None:
        try:
            with psycopg.connect(database, autocommit=True) as conn:
                for _ in range(100):
                    conn.execute("SELECT pg_sleep(0.05)")
        except psycopg.OperationalError as e:
            errors.append(e)

    worker = threading.Thread(target=session)
    worker.start()
    worker.join(20)
    assert errors and "terminating connection" in str(errors[0])
    plane_sim.faults.clear(fault.id)
    with psycopg.connect(database, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM repository").fetchone() == (100,)
