"""pg_dump -C streamed to disk and loaded back (plain through psql, custom through pg_restore -j), with real
PostgreSQL; row counts and referenced blob digests read through psql and psycopg alike."""

from __future__ import annotations

import hashlib

import pytest

from quayops.backup.postgres import (
    DatabaseCommandError,
    dump_database,
    referenced_blob_digests,
    restore_database,
    table_row_counts,
)

EXPECTED_COUNTS = {"user": 250, "repository": 400, "imagestorage": 3, "manifest": 0, "manifestblob": 0}


@pytest.fixture
def quay_db(database):
    database.execute("""INSERT INTO imagestorage (content_checksum, uploading) VALUES
        ('sha256:aaaa', false), ('sha256:bbbb', NULL), ('sha256:cccc', true)""")
    return database


@pytest.mark.parametrize(("fmt", "jobs"), [("plain", 1), ("custom", 1), ("custom", 3)])
def test_dump_then_drop_and_reload_keeps_every_row(quay_db, tmp_path, fmt, jobs):
    out = tmp_path / "database.dump"

    info = dump_database(quay_db.runner, dbname=quay_db.name, out_path=out, fmt=fmt)
    quay_db.execute('DELETE FROM manifestblob; DELETE FROM repository; DELETE FROM "user"')
    restored = restore_database(quay_db.runner, dump_path=out, dbname=quay_db.name, jobs=jobs)

    assert info.digest == "sha256:" + hashlib.sha256(out.read_bytes()).hexdigest()
    assert (info.size, info.format, info.dbname) == (out.stat().st_size, fmt, quay_db.name)
    assert (restored.format, restored.jobs) == (fmt, jobs)
    assert table_row_counts(quay_db.runner, dbname=quay_db.name) == EXPECTED_COUNTS
    if fmt == "plain":
        assert f'CREATE DATABASE "{quay_db.name}"'.encode() in out.read_bytes()


def test_counts_and_digests_agree_over_psycopg_and_psql(quay_db):
    with quay_db.server.connect(quay_db.name) as conn:
        assert table_row_counts(conn) == table_row_counts(quay_db.runner, dbname=quay_db.name) == EXPECTED_COUNTS
        assert referenced_blob_digests(conn) == {"sha256:aaaa", "sha256:bbbb"}
    assert referenced_blob_digests(quay_db.runner, dbname=quay_db.name, where=None) == {
        "sha256:aaaa", "sha256:bbbb", "sha256:cccc"}


def test_a_failed_dump_names_the_database_and_leaves_no_file(database, tmp_path):
    with pytest.raises(DatabaseCommandError) as caught:
        dump_database(database.runner, dbname="no-such-db", out_path=tmp_path / "database.sql")

    assert str(caught.value).startswith("pg_dump of database 'no-such-db' failed (exit 1): ")
    assert 'database "no-such-db" does not exist' in str(caught.value)
    assert caught.value.component == "postgres"
    assert list(tmp_path.iterdir()) == []


def test_a_dump_cut_short_is_refused_even_with_exit_code_zero(database, tmp_path):
    class Truncating:
        """A runner whose stream loses its end, as a dropped exec channel would, yet reports success."""

        def run(self, argv, *, stdin=None, stdout=None):
            class Half:
                def write(self, data):
                    return stdout.write(data[: len(data) // 2])
            return database.runner.run(argv, stdin=stdin, stdout=Half())

        def stage_file(self, path):
            return database.runner.stage_file(path)

    with pytest.raises(DatabaseCommandError, match="exited 0 but its plain output is incomplete"):
        dump_database(Truncating(), dbname=database.name, out_path=tmp_path / "database.sql")
    assert list(tmp_path.iterdir()) == []
