"""Blobs go from a bucket to disk and back into another bucket byte for byte, each verified by its digest."""

from __future__ import annotations

import hashlib

import pytest

from quayops.backup.blobs import (
    BlobVerificationError,
    copy_bucket_to_directory,
    copy_directory_to_bucket,
    plan_paths,
    read_blob_index,
)


def test_backup_then_restore_gives_back_every_object(bucket, make_bucket, backup_dir):
    blobs = bucket.put_blobs(60, seed=1)
    # the same content under a second, non content-addressed key (an upload left behind)
    shared = next(iter(blobs.values()))
    bucket.put("datastorage/registry/uploads/0f3c/00000", shared)

    result = copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", workers=4, progress=False)

    assert (result.copied, result.reused, result.skipped) == (len(blobs) + 1, 0, 0)
    assert result.bytes_copied == sum(map(len, blobs.values())) + len(shared)
    for record in result.records:
        data = (backup_dir / "blobs" / record.path).read_bytes()
        assert record.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    upload = next(r for r in result.records if "uploads/" in r.key)
    assert not upload.content_addressed and upload.digest == "sha256:" + hashlib.sha256(shared).hexdigest()
    assert read_blob_index(backup_dir / "blobs") == result.records

    target = make_bucket()
    restored = copy_directory_to_bucket(target.client, target.name, backup_dir / "blobs", result.records,
                                        workers=4, progress=False)
    assert restored.copied == len(blobs) + 1
    assert target.contents() == bucket.contents()


def test_restore_skips_objects_already_in_the_bucket(bucket, make_bucket, backup_dir):
    bucket.put_blobs(10, seed=2)
    records = copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", progress=False).records
    target = make_bucket()
    target.put(records[0].key, (backup_dir / "blobs" / records[0].path).read_bytes())

    restored = copy_directory_to_bucket(target.client, target.name, backup_dir / "blobs", records, progress=False)

    assert (restored.copied, restored.skipped) == (len(records) - 1, 1)


def test_restore_refuses_a_file_that_no_longer_matches_its_record(bucket, make_bucket, backup_dir):
    bucket.put_blobs(5, seed=3, max_size=8192)
    records = copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", progress=False).records
    victim = max(records, key=lambda r: r.size)
    path = backup_dir / "blobs" / victim.path
    path.write_bytes(b"X" + path.read_bytes()[1:])
    target = make_bucket()

    with pytest.raises(BlobVerificationError) as caught:
        copy_directory_to_bucket(target.client, target.name, backup_dir / "blobs", records, progress=False)

    assert caught.value.key == victim.key
    assert victim.key not in target.contents()
    assert len(target.contents()) == len(records) - 1


def test_keys_unsafe_as_file_names_get_hashed_paths():
    paths = plan_paths(["a/b", "a", "/lead", "x/../y", ".hidden", "ok/sha256/ab/ab12"])

    assert paths["a/b"] == "a/b" and paths["ok/sha256/ab/ab12"] == "ok/sha256/ab/ab12"
    for key in ("a", "/lead", "x/../y", ".hidden"):
        assert paths[key] == ".keys/" + hashlib.sha256(key.encode()).hexdigest()


def test_unsafe_keys_round_trip(bucket, make_bucket, backup_dir):
    for key in ("dir", "dir/file", ".hidden/x", "sp ace/ü"):
        bucket.put(key, key.encode())
    records = copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", progress=False).records
    assert not (backup_dir / "blobs" / ".hidden").exists()

    target = make_bucket()
    copy_directory_to_bucket(target.client, target.name, backup_dir / "blobs", records, progress=False)
    assert target.contents() == bucket.contents()
