"""A database restore (sessions ended, database dropped and reloaded, guide 11.2.3) leaves the simulated Quay
healthy again once the database is back, as real Quay's pool reconnects; and after a restart (scale-up) too."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from quayops.backup.postgres import LocalRunner, dump_database, restore_database


def _health(r) -> int:
    return requests.get(f"{r.app.url}/health/instance", timeout=15).status_code


def _healthy_within(r, seconds: float) -> list[int]:
    """Health answers until the first 200 (or `seconds` pass)."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(_health(r))
        if seen[-1] == 200:
            break
        time.sleep(0.1)
    return seen


def test_health_recovers_once_the_restored_database_is_back(registry, postgres, tmp_path):
    r = registry
    r.initialize()
    database = r.config["DB_URI"].rsplit("/", 1)[1]
    runner = LocalRunner(env={"PGHOST": postgres.host, "PGPORT": str(postgres.port), "PGUSER": "postgres"},
                         bindir=postgres.bindir)
    with ThreadPoolExecutor(8) as pool:  # several pooled sessions, all ended by the restore
        assert list(pool.map(lambda _: _health(r), range(16))) == [200] * 16
    dump_database(runner, dbname=database, out_path=tmp_path / "quay.sql")
    restore_database(runner, dump_path=tmp_path / "quay.sql", dbname=database)
    assert _healthy_within(r, 10) == [200]  # the first check after the restore already passes
    assert r.api("GET", "/api/v1/superuser/users/").status_code == 200


def test_health_after_a_restart_on_the_restored_database(registry, postgres, tmp_path):
    r = registry
    r.initialize()
    database = r.config["DB_URI"].rsplit("/", 1)[1]
    runner = LocalRunner(env={"PGHOST": postgres.host, "PGPORT": str(postgres.port), "PGUSER": "postgres"},
                         bindir=postgres.bindir)
    dump_database(runner, dbname=database, out_path=tmp_path / "quay.sql")
    r.app.stop()  # the guide scales Quay down for the restore
    restore_database(runner, dump_path=tmp_path / "quay.sql", dbname=database)
    r.app.start()
    assert _health(r) == 200
