"""The data steps end to end with real servers: backup, offline verification and consistency, restore into an
empty database and bucket, a resumed backup, and encryption."""

from __future__ import annotations

import hashlib
import json
import stat

import pytest

from quayops.backup.blobs import RetryPolicy
from quayops.backup.manifest import (
    BackupKeyError,
    generate_key,
    key_id,
    load_key,
    read_manifest,
    verify_backup,
)
from quayops.backup.postgres import table_row_counts
from quayops.backup.procedures import backup_data_steps, restore_data_steps
from quayops.backup.steps import Procedure
from quayops.errors import PreconditionFailed, StepFailedError

TABLES = {"user": 250, "repository": 400, "imagestorage": 40, "manifest": 3, "manifestblob": 120}


def take_backup(quay_data, directory, **kwargs):
    plane = quay_data.plane(retries=RetryPolicy(attempts=2, first_delay=0.01))
    return Procedure("backup", backup_data_steps(plane, versions={"operator": "3.7.1", "quay": "v3.7.1"},
                                                 **kwargs)).run(directory)


def test_backup_verify_and_restore_into_an_empty_database_and_bucket(quay_data, make_bucket, backup_dir):
    quay_data.bucket.put("datastorage/registry/uploads/7d1e/00000", b"chunk")  # not content-addressed
    orphan = b"layer of a deleted image"
    digest = hashlib.sha256(orphan).hexdigest()
    quay_data.bucket.put(f"datastorage/registry/sha256/{digest[:2]}/{digest}", orphan)

    take_backup(quay_data, backup_dir)
    manifest = read_manifest(backup_dir)
    report = verify_backup(backup_dir)

    assert manifest.versions == {"operator": "3.7.1", "quay": "v3.7.1"}
    assert manifest.tables == TABLES
    assert manifest.objects == {"count": 42, "bytes": sum(map(len, quay_data.blobs.values())) + len(orphan) + 5,
                                "content_addressed": 41, "other": 1}
    assert set(manifest.timings) == {"database", "blobs"}
    assert (report.ok, report.referenced, report.missing, report.orphans, report.other_objects) == (
        True, 40, [], 1, 1)
    assert report.files == 43  # the dump and every blob

    quay_data.database.execute('DROP TABLE manifestblob; DELETE FROM repository WHERE id > 10')
    target = make_bucket()
    Procedure("restore", restore_data_steps(quay_data.plane(bucket=target.name))).run(backup_dir)

    assert table_row_counts(quay_data.database.runner, dbname=quay_data.database.name) == TABLES
    assert target.contents() == quay_data.bucket.contents()


def test_verify_names_every_tampered_file(quay_data, backup_dir):
    take_backup(quay_data, backup_dir)
    manifest = read_manifest(backup_dir)
    blob = next(b for b in manifest.blobs if b["size"] > 100)
    path = backup_dir / "blobs" / blob["path"]
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    with (backup_dir / "database.sql").open("ab") as dump:
        dump.write(b"DROP TABLE \"user\";\n")

    report = verify_backup(backup_dir)

    assert not report.ok
    assert [p.path for p in report.problems] == ["database.sql", f"blobs/{blob['path']}"]
    assert report.problems[1].problem.endswith(f"the manifest says {blob['size']} bytes with {blob['digest']}")
    assert report.missing == [blob["digest"]]  # a damaged blob is not counted as present


def test_a_blob_the_database_references_but_the_bucket_lacks_is_reported_and_blocks_restore(
        quay_data, backup_dir):
    quay_data.database.execute("INSERT INTO imagestorage (content_checksum, uploading) "
                               "VALUES ('sha256:" + "ab" * 32 + "', false), ('sha256:" + "cd" * 32 + "', true)")
    take_backup(quay_data, backup_dir)

    report = verify_backup(backup_dir)

    assert report.missing == ["sha256:" + "ab" * 32]  # the unfinished upload is not expected
    assert "1 missing" in report.summary() and not report.ok
    with pytest.raises(StepFailedError) as caught:
        Procedure("restore", restore_data_steps(quay_data.plane())).run(backup_dir)
    assert caught.value.step == "verify-backup"


def test_a_backup_that_failed_in_the_blob_step_resumes_without_dumping_again(quay_data, backup_dir):
    def refuse(**_):
        raise ConnectionRefusedError(111, "Connection refused")

    quay_data.bucket.client.meta.events.register("before-send.s3.ListObjectsV2", refuse)
    with pytest.raises(StepFailedError) as caught:
        take_backup(quay_data, backup_dir)
    assert caught.value.step == "blobs"
    assert "listing of 's3://" in str(caught.value) and "Connection refused" in str(caught.value)
    assert not (backup_dir / "manifest.json").exists()
    dumped = (backup_dir / "database.sql").stat().st_mtime_ns

    quay_data.bucket.client.meta.events.unregister("before-send.s3.ListObjectsV2", refuse)
    result = Procedure("backup", backup_data_steps(quay_data.plane())).run(backup_dir, resume=True)

    assert [(r.name, r.status) for r in result.steps] == [
        ("database", "resumed"), ("blobs", "completed"), ("manifest", "completed")]
    assert (backup_dir / "database.sql").stat().st_mtime_ns == dumped
    assert verify_backup(backup_dir).ok


def test_an_incremental_backup_links_what_the_previous_one_has(quay_data, tmp_path):
    take_backup(quay_data, tmp_path / "monday")
    new = set(quay_data.bucket.put_blobs(5, seed=71)) - set(quay_data.blobs)

    result = take_backup(quay_data, tmp_path / "tuesday", incremental_from=tmp_path / "monday")

    assert (result.outputs["blobs"]["copied"], result.outputs["blobs"]["reused"]) == (len(new), 40)
    assert verify_backup(tmp_path / "tuesday").ok


def test_every_backup_file_is_0600_in_a_0700_directory(quay_data, backup_dir):
    take_backup(quay_data, backup_dir)

    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    files = [p for p in backup_dir.rglob("*") if p.is_file()]
    assert len(files) > 40
    assert {p.relative_to(backup_dir).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in files} == {
        p.relative_to(backup_dir).as_posix(): 0o600 for p in files}


def test_an_encrypted_backup_verifies_with_and_without_its_key_and_restores(quay_data, make_bucket, backup_dir,
                                                                              tmp_path, monkeypatch):
    key_text = generate_key()
    monkeypatch.setenv("QUAYOPS_BACKUP_KEY", key_text)
    key = load_key()
    take_backup(quay_data, backup_dir, key=key)

    manifest = read_manifest(backup_dir)
    assert manifest.encryption == {"algorithm": "AES-256-GCM", "chunk_size": 1048576, "key_id": key_id(key)}
    assert key_text not in (backup_dir / "manifest.json").read_text()
    assert not (backup_dir / "database.sql").exists() and (backup_dir / "database.sql.enc").exists()
    assert not [p for p in (backup_dir / "blobs").rglob("*") if p.is_file() and p.suffix != ".enc"]
    assert b"CREATE TABLE" not in (backup_dir / "database.sql.enc").read_bytes()
    ciphertext_only = verify_backup(backup_dir)
    assert ciphertext_only.ok and not ciphertext_only.plaintext_checked
    assert verify_backup(backup_dir, key=key).ok
    with pytest.raises(BackupKeyError, match="encrypted with key"):
        verify_backup(backup_dir, key=bytes(32))

    key_file = tmp_path / "backup.key"
    key_file.write_text(key.hex())
    assert load_key(path=key_file) == key
    target = make_bucket()
    Procedure("restore", restore_data_steps(quay_data.plane(bucket=target.name), key=load_key(path=key_file))
              ).run(backup_dir)
    assert target.contents() == quay_data.bucket.contents()
    assert read_manifest(backup_dir).encryption is None


def test_tampered_ciphertext_is_caught_with_and_without_the_key(quay_data, backup_dir):
    key = bytes.fromhex(generate_key().encode().hex())[:32]
    take_backup(quay_data, backup_dir, key=key)
    sealed = backup_dir / "database.sql.enc"
    data = bytearray(sealed.read_bytes())
    data[100] ^= 1
    sealed.write_bytes(bytes(data))

    without_key, with_key = verify_backup(backup_dir), verify_backup(backup_dir, key=key)

    assert [p.path for p in without_key.problems] == ["database.sql"]
    assert [(p.path, p.problem) for p in with_key.problems] == [
        ("database.sql", "does not decrypt: tampered with, truncated or another key")]
    state = json.loads((backup_dir / "backup.state.json").read_text())
    assert state["steps"]["encrypt"]["outputs"] == {"key_id": key_id(key)}


def test_verifying_a_directory_without_a_manifest_says_so(tmp_path):
    with pytest.raises(PreconditionFailed, match="has no manifest.json: it is not a backup, or its backup did not"):
        verify_backup(tmp_path)
