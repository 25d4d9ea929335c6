"""Faults during a blob copy: corrupt objects, a killed copy, and S3 errors injected through botocore events."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from botocore.awsrequest import AWSResponse

from quayops.backup.blobs import (
    BlobCopyError,
    BlobVerificationError,
    PreviousBlobs,
    RetryPolicy,
    copy_bucket_to_directory,
)

FAST = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object):
        yield self.body


def s3_error(status: int, code: str) -> AWSResponse:
    body = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
    return AWSResponse("http://injected", status, {"Content-Type": "application/xml"}, _Raw(body))


def count_gets(client) -> list[str]:
    keys: list[str] = []
    lock = threading.Lock()

    def record(params, **_):
        with lock:
            keys.append(params["Key"])

    client.meta.events.register("before-parameter-build.s3.GetObject", record)
    return keys


def test_a_blob_whose_content_does_not_match_its_key_is_named_and_not_kept(bucket, backup_dir):
    blobs = bucket.put_blobs(20, seed=10)
    corrupt_key = sorted(blobs)[3]
    bucket.put(corrupt_key, b"not the content this key promises")

    with pytest.raises(BlobVerificationError) as caught:
        copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", progress=False)

    assert caught.value.key == corrupt_key and caught.value.keys == [corrupt_key]
    assert f"{corrupt_key!r} does not match its content-addressed key" in str(caught.value)
    assert not (backup_dir / "blobs" / corrupt_key).exists()
    assert not (backup_dir / "blobs.index.json").exists()
    journal = [json.loads(line) for line in (backup_dir / "blobs.journal.jsonl").read_text().splitlines()]
    assert len(journal) == len(blobs) - 1 and corrupt_key not in {r["key"] for r in journal}

    # fixed at the source: a resume fetches only that blob
    bucket.put(corrupt_key, blobs[corrupt_key])
    gets = count_gets(bucket.client)
    result = copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", progress=False)
    assert gets == [corrupt_key]
    assert (result.copied, result.skipped) == (1, len(blobs) - 1)


def test_incremental_copies_only_new_blobs_and_links_the_rest(bucket, tmp_path):
    old = bucket.put_blobs(30, seed=20)
    first = copy_bucket_to_directory(bucket.client, bucket.name, tmp_path / "one" / "blobs", progress=False)
    new = bucket.put_blobs(7, seed=21)
    changed_key = "datastorage/registry/uploads/abc/00000"  # not content-addressed: compared by ETag
    bucket.put(changed_key, b"v1")
    second = copy_bucket_to_directory(bucket.client, bucket.name, tmp_path / "two" / "blobs", progress=False,
                                      previous=PreviousBlobs(tmp_path / "one" / "blobs", first.records))
    bucket.put(changed_key, b"v2-changed")
    gets = count_gets(bucket.client)

    third = copy_bucket_to_directory(bucket.client, bucket.name, tmp_path / "three" / "blobs", progress=False,
                                     previous=PreviousBlobs(tmp_path / "two" / "blobs", second.records))

    assert (second.copied, second.reused) == (len(set(new) - set(old)) + 1, len(old))
    assert (third.copied, third.reused) == (1, len(set(old) | set(new)))
    assert gets == [changed_key]
    assert (tmp_path / "three" / "blobs" / changed_key).read_bytes() == b"v2-changed"
    some = min(old)
    assert (tmp_path / "three" / "blobs" / some).stat().st_ino == (tmp_path / "one" / "blobs" / some).stat().st_ino


def test_a_killed_copy_resumes_without_copying_verified_blobs_again(bucket, backup_dir):
    blobs = bucket.put_blobs(40, seed=30)
    seen = []

    def killed_after_15(record):
        seen.append(record)
        if len(seen) == 15:
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", workers=4, progress=False,
                                 on_blob=killed_after_15)
    journaled = {json.loads(line)["key"] for line in (backup_dir / "blobs.journal.jsonl").read_text().splitlines()}
    assert 15 <= len(journaled) < len(blobs)
    assert list((backup_dir / "blobs.partial").iterdir()) == []
    gets = count_gets(bucket.client)

    result = copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", workers=4, progress=False)

    assert sorted(gets) == sorted(set(blobs) - journaled)
    assert (result.copied, result.skipped) == (len(blobs) - len(journaled), len(journaled))
    for record in result.records:
        data = (backup_dir / "blobs" / record.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == record.digest.removeprefix("sha256:")


def inject(client, failures: dict[str, list[AWSResponse | Exception]]) -> None:
    """Answer the next GETs of some keys with the given errors before letting them through."""
    lock = threading.Lock()

    def before_send(request, **_):
        key = request.url.split("?")[0].split("/", 4)[-1]
        with lock:
            queue = failures.get(key)
            fault = queue.pop(0) if queue else None
        if isinstance(fault, Exception):
            raise fault
        return fault

    client.meta.events.register("before-send.s3.GetObject", before_send)


def test_throttling_5xx_and_resets_are_retried_until_the_copy_succeeds(bucket, backup_dir):
    blobs = bucket.put_blobs(12, seed=40)
    keys = sorted(blobs)
    faults = {
        keys[0]: [s3_error(503, "SlowDown"), s3_error(500, "InternalError")],
        keys[1]: [ConnectionResetError(104, "Connection reset by peer")],
        keys[2]: [s3_error(429, "TooManyRequests")],
    }
    inject(bucket.client, faults)

    result = copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", progress=False,
                                      retries=FAST)

    assert faults == {keys[0]: [], keys[1]: [], keys[2]: []}
    assert result.copied == len(blobs)


def test_exhausted_retries_fail_naming_the_key(bucket, backup_dir):
    blobs = bucket.put_blobs(12, seed=50)
    bad = sorted(blobs)[5]
    inject(bucket.client, {bad: [s3_error(503, "ServiceUnavailable")] * 3})

    with pytest.raises(BlobCopyError) as caught:
        copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", progress=False, retries=FAST)

    assert caught.value.key == bad
    assert str(caught.value).startswith(f"download of {bad!r} failed after 3 attempts: ")
    assert "ServiceUnavailable" in str(caught.value)
    assert not (backup_dir / "blobs.index.json").exists()


def test_an_error_that_retrying_cannot_fix_fails_at_once(bucket, backup_dir):
    blobs = bucket.put_blobs(3, seed=60)
    bad = min(blobs)
    inject(bucket.client, {bad: [s3_error(403, "AccessDenied")]})

    with pytest.raises(BlobCopyError) as caught:
        copy_bucket_to_directory(bucket.client, bucket.name, backup_dir / "blobs", progress=False, retries=FAST)

    assert str(caught.value).startswith(f"download of {bad!r} failed: ")
    assert "AccessDenied" in str(caught.value)
