"""Every object of a bucket to a local directory and back (guide 11.1.3.1, 11.2.4), in parallel, each blob
checked by SHA-256 against its content-addressed key; resumable, incremental, retried on transient S3 errors.

Quay stores a blob at `<storage_path>/sha256/<2 hex>/<64 hex>` (digest_tools.content_path); other keys get
their digest recorded instead. Unlike `aws s3 sync` (size and date), nothing is trusted without its digest.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3.s3.transfer
import boto3.session
import botocore.config
import botocore.exceptions
import urllib3.exceptions
from tqdm import tqdm

from quayops.backup.steps import create_private_directory, describe_error, open_private, write_json
from quayops.errors import QuayopsError

COMPONENT = "objectstorage"
# per-request CPU in botocore dominates for registry-sized blobs: past ~4 streams per core, threads only
# contend for the GIL (benchmarks/backup.py)
DEFAULT_WORKERS = min(32, 4 * (os.cpu_count() or 2))
CHUNK = 1024 * 1024
IN_MEMORY_UPLOAD = 16 * 1024 * 1024  # smaller files are read once, hashed and sent from memory
KEYS_DIR = ".keys"  # keys unsafe as file names live here under the SHA-256 of the key
CONTENT_KEY = re.compile(r"(?:^|/)sha256/([0-9a-f]{2})/([0-9a-f]{64})$")
TRANSIENT_CODES = frozenset({
    "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests",
    "RequestTimeout", "RequestTimeoutException", "InternalError", "ServiceUnavailable", "503", "500",
})
TRANSIENT_ERRORS = (
    botocore.exceptions.HTTPClientError,  # connection refused/reset/closed, read and connect timeouts
    botocore.exceptions.IncompleteReadError,
    botocore.exceptions.ResponseStreamingError,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
)
UPLOAD_TRANSFER = boto3.s3.transfer.TransferConfig(multipart_threshold=64 * 1024 * 1024,
                                                   multipart_chunksize=16 * 1024 * 1024, max_concurrency=4)


class BlobCopyError(QuayopsError):
    """A blob could not be copied; `key` names it (the first one when several failed, all in `keys`)."""

    def __init__(self, message: str, *, key: str, keys: Sequence[str] = (), hint: str | None = None) -> None:
        super().__init__(message, component=COMPONENT, field=key, hint=hint)
        self.key = key
        self.keys = list(keys) or [key]


class BlobVerificationError(BlobCopyError):
    """A blob's content does not match its content-addressed key or its recorded digest; never retried."""


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    etag: str


@dataclass(frozen=True)
class BlobRecord:
    """A blob on disk and verified: its key, size, `sha256:<hex>` digest, ETag and path under the blob dir."""

    key: str
    size: int
    digest: str
    etag: str
    path: str

    @property
    def content_addressed(self) -> bool:
        return key_digest(self.key) is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlobRecord:
        return cls(key=data["key"], size=int(data["size"]), digest=data["digest"], etag=data.get("etag", ""),
                   path=data["path"])


@dataclass(frozen=True)
class PreviousBlobs:
    """The blobs of an earlier, unencrypted backup that an incremental copy may hard-link."""

    directory: Path
    records: Sequence[BlobRecord]


@dataclass
class CopyResult:
    """What a copy did: `copied` over the network, `reused` from a previous backup, `skipped` as already there."""

    records: list[BlobRecord] = field(default_factory=list)
    copied: int = 0
    reused: int = 0
    skipped: int = 0
    bytes_copied: int = 0
    seconds: float = 0.0

    @property
    def bytes_total(self) -> int:
        return sum(r.size for r in self.records)


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per blob and the exponential backoff (with jitter) between them."""

    attempts: int = 5
    first_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.first_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def make_s3_client(endpoint: str | None, *, access_key: str, secret_key: str, region: str = "us-east-1",
                   verify: bool | str = True, workers: int = DEFAULT_WORKERS) -> Any:
    """A thread-safe boto3 S3 client for the copies: path-style, a connection per worker, no own retries.

    Retries are ours (RetryPolicy) because botocore's do not cover a stream cut mid-body; checksums are
    ours too (SHA-256 against the key), so botocore's CRC pass is only done where S3 requires it.
    """
    config = botocore.config.Config(
        s3={"addressing_style": "path"}, max_pool_connections=workers + 4, retries={"total_max_attempts": 1},
        connect_timeout=10, read_timeout=120, tcp_keepalive=True,
        request_checksum_calculation="when_required", response_checksum_validation="when_required")
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
        aws_secret_access_key=secret_key, verify=verify, config=config)


def key_digest(key: str) -> str | None:
    """`sha256:<hex>` when `key` is a content-addressed Quay blob key (`…/sha256/ab/ab…`), else None."""
    match = CONTENT_KEY.search(key)
    if match is None or not match[2].startswith(match[1]):
        return None
    return "sha256:" + match[2]


def is_transient(error: BaseException) -> bool:
    """Whether an S3 error is worth retrying: throttling, 5xx, or a connection or stream that broke."""
    if isinstance(error, botocore.exceptions.ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.response.get("Error", {}).get("Code") in TRANSIENT_CODES or status >= 500 or status == 429
    return isinstance(error, TRANSIENT_ERRORS)


def plan_paths(keys: Iterable[str]) -> dict[str, str]:
    """Each key → its file path under the blob directory: the key itself when it is a safe relative path,
    else `.keys/<sha256 of the key>` (leading or double slashes, dot segments, a key that is also a prefix)."""
    keys = list(keys)
    parents = {"/".join(k.split("/")[:i]) for k in keys for i in range(1, k.count("/") + 1)}
    paths = {}
    for key in keys:
        parts = key.split("/")
        safe = (key not in parents and len(key.encode()) < 1024 and "\0" not in key
                and all(p and not p.startswith(".") and len(p.encode()) <= 255 for p in parts))
        paths[key] = key if safe else f"{KEYS_DIR}/{hashlib.sha256(key.encode()).hexdigest()}"
    return paths


def list_objects(client: Any, bucket: str, *, prefix: str = "", retries: RetryPolicy = RetryPolicy()
                 ) -> list[S3Object]:
    """Every object under `prefix` in `bucket` (the whole listing is retried on transient errors)."""

    def listing() -> list[S3Object]:
        found = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found += [S3Object(o["Key"], int(o["Size"]), o.get("ETag", "").strip('"'))
                      for o in page.get("Contents", [])]
        return found

    return _retrying(retries, f"s3://{bucket}/{prefix}", "listing", listing)


def _retrying(policy: RetryPolicy, key: str, action: str, attempt: Callable[[], Any]) -> Any:
    for n in range(1, policy.attempts + 1):
        try:
            return attempt()
        except BlobCopyError:
            raise
        except Exception as e:  # classified below, re-raised naming the key
            if not is_transient(e):
                raise BlobCopyError(f"{action} of {key!r} failed: {describe_error(e)}", key=key) from e
            if n == policy.attempts:
                raise BlobCopyError(f"{action} of {key!r} failed after {n} attempts: {describe_error(e)}",
                                    key=key, hint="Check the object store, then resume: verified blobs "
                                    "are not copied again.") from e
            time.sleep(policy.delay(n))
    raise AssertionError("unreachable")


class _Journal:
    """Records of blobs already on disk and verified, one JSON line each, appended as they land.

    A killed copy resumes from it; a torn last line is ignored.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file = None

    def read(self) -> dict[str, BlobRecord]:
        records = {}
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    record = BlobRecord.from_json(json.loads(line))
                except (ValueError, KeyError, TypeError):
                    continue
                records[record.key] = record
        return records

    def append(self, record: BlobRecord) -> None:
        with self._lock:
            if self._file is None:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                self._file = os.fdopen(fd, "a")
            self._file.write(json.dumps(record.to_json()) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _sibling(blobs_dir: Path, suffix: str) -> Path:
    # beside the blob directory, never in it: `aws s3 sync ./blobs s3://…` must upload blobs only
    return blobs_dir.with_name(blobs_dir.name + suffix)


def read_blob_index(blobs_dir: str | Path) -> list[BlobRecord]:
    """The records a completed copy wrote beside `blobs_dir` (`<blobs_dir>.index.json`)."""
    index = _sibling(Path(blobs_dir), ".index.json")
    return [BlobRecord.from_json(r) for r in json.loads(index.read_text())]


def _matches(record: BlobRecord, obj: S3Object) -> bool:
    """Whether a recorded blob is the listed object: same size, and same key digest or same ETag."""
    if record.key != obj.key or record.size != obj.size:
        return False
    return key_digest(obj.key) == record.digest if key_digest(obj.key) else bool(obj.etag) and record.etag == obj.etag


def _on_disk(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def missing_blobs(blobs_dir: str | Path, records: Iterable[BlobRecord]) -> list[str]:
    """Keys of the records whose file is not in `blobs_dir` with the recorded size (a cheap stat, no hashing)."""
    return [r.key for r in records if not _on_disk(Path(blobs_dir) / r.path, r.size)]


class _Copier:
    """One copy run: a thread pool, one progress bar and the counters; `mismatch_hint` says what a digest
    mismatch means in this direction."""

    def __init__(self, *, workers: int, progress: bool | None, total: int, desc: str, mismatch_hint: str,
                 on_blob: Callable[[BlobRecord], None] | None) -> None:
        self.workers = workers
        self.mismatch_hint = mismatch_hint
        self.on_blob = on_blob
        self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
                        disable=not progress if progress is not None else None)
        self.result = CopyResult()

    def run(self, tasks: Sequence[Callable[[], tuple[BlobRecord, str]]]) -> CopyResult:
        """Run the tasks, `workers` at a time; verification failures are collected, anything else stops all."""
        started = time.monotonic()
        mismatched: list[BlobVerificationError] = []
        queue = iter(tasks)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="blob-copy") as pool:
            pending: set[Future[tuple[BlobRecord, str]]] = set()
            try:
                while True:
                    while len(pending) < self.workers * 2 and (task := next(queue, None)) is not None:
                        pending.add(pool.submit(task))
                    if not pending:
                        break
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        try:
                            record, how = future.result()
                        except BlobVerificationError as e:
                            mismatched.append(e)
                            continue
                        self._count(record, how)
                        if self.on_blob is not None:
                            self.on_blob(record)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
            finally:
                self.bar.close()
        self.result.seconds = round(time.monotonic() - started, 3)
        self.result.records.sort(key=lambda r: r.key)
        if mismatched:
            keys = sorted(e.key for e in mismatched)
            raise BlobVerificationError(
                f"{len(keys)} blob(s) failed verification, first {keys[0]!r}: "
                + "; ".join(e.message for e in sorted(mismatched, key=lambda e: e.key)[:5]),
                key=keys[0], keys=keys, hint="Every other blob was copied and verified; a resume copies only "
                "these. " + self.mismatch_hint)
        return self.result

    def _count(self, record: BlobRecord, how: str) -> None:
        self.result.records.append(record)
        if how == "copied":
            self.result.copied += 1
            self.result.bytes_copied += record.size
        elif how == "reused":
            self.result.reused += 1
        else:
            self.result.skipped += 1


def copy_bucket_to_directory(client: Any, bucket: str, blobs_dir: str | Path, *, prefix: str = "",
                             workers: int = DEFAULT_WORKERS, previous: PreviousBlobs | None = None,
                             progress: bool | None = None, retries: RetryPolicy = RetryPolicy(),
                             on_blob: Callable[[BlobRecord], None] | None = None) -> CopyResult:
    """Copy every object of `bucket` into `blobs_dir`, verifying each; writes `<blobs_dir>.index.json` at the end.

    Files already verified by an interrupted run (its journal) are kept; with `previous`, unchanged blobs are
    hard-linked from that backup. Raises BlobCopyError naming the key when retries are exhausted and
    BlobVerificationError (after copying everything else) when content does not match its key.
    """
    blobs_dir = create_private_directory(blobs_dir)
    partial_dir = create_private_directory(_sibling(blobs_dir, ".partial"))
    for stale in partial_dir.iterdir():
        stale.unlink()
    journal = _Journal(_sibling(blobs_dir, ".journal.jsonl"))
    index = _sibling(blobs_dir, ".index.json")
    known = {r.key: r for r in read_blob_index(blobs_dir)} if index.exists() else {}
    known |= journal.read()
    reusable = {r.key: r for r in previous.records} if previous is not None else {}

    objects = list_objects(client, bucket, prefix=prefix, retries=retries)
    paths = plan_paths(o.key for o in objects)
    made_dirs: set[Path] = set()
    lock = threading.Lock()

    def target(obj: S3Object) -> Path:
        path = blobs_dir / paths[obj.key]
        if path.parent not in made_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            with lock:
                made_dirs.add(path.parent)
        return path

    def task(obj: S3Object) -> Callable[[], tuple[BlobRecord, str]]:
        def copy_one() -> tuple[BlobRecord, str]:
            record = known.get(obj.key)
            if record is not None and record.path == paths[obj.key] and _matches(record, obj) and _on_disk(
                    blobs_dir / record.path, obj.size):
                copier.bar.update(obj.size)
                return record, "skipped"
            old = reusable.get(obj.key)
            if old is not None and _matches(old, obj) and _on_disk(previous.directory / old.path, obj.size):
                record = BlobRecord(obj.key, obj.size, old.digest, obj.etag, paths[obj.key])
                _link_or_copy(previous.directory / old.path, target(obj), partial_dir)
                how = "reused"
                copier.bar.update(obj.size)
            else:
                record = _retrying(retries, obj.key, "download",
                                   lambda: _download(client, bucket, obj, target(obj), paths[obj.key], partial_dir,
                                                     copier.bar))
                how = "copied"
            journal.append(record)
            return record, how
        return copy_one

    copier = _Copier(workers=workers, progress=progress, total=sum(o.size for o in objects),
                     desc=f"backup s3://{bucket}", on_blob=on_blob,
                     mismatch_hint="A blob whose content does not match its key is corrupt in the bucket.")
    try:
        result = copier.run([task(o) for o in objects])
    finally:
        journal.close()
    write_json(index, [r.to_json() for r in result.records])
    journal.path.unlink(missing_ok=True)
    return result


def _download(client: Any, bucket: str, obj: S3Object, dest: Path, rel: str, partial_dir: Path,
              bar: tqdm) -> BlobRecord:
    """GET one object into `dest` through a temp file, hashing while streaming; verify before the rename."""
    digest = hashlib.sha256()
    received = 0
    try:
        response = client.get_object(Bucket=bucket, Key=obj.key)
        body = response["Body"]
        with open_private(dest, temp_dir=partial_dir) as out:
            try:
                while chunk := body.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            finally:
                body.close()
            actual = "sha256:" + digest.hexdigest()
            expected = key_digest(obj.key)
            if expected is not None and actual != expected:
                raise BlobVerificationError(
                    f"{obj.key!r} does not match its content-addressed key: the content's digest is {actual}",
                    key=obj.key)
    except BaseException:
        bar.update(-received)
        raise
    return BlobRecord(obj.key, received, actual, response.get("ETag", obj.etag).strip('"'), rel)


def _link_or_copy(source: Path, dest: Path, partial_dir: Path) -> None:
    """Hard-link an unchanged blob from the previous backup (a copy across filesystems), atomically."""
    temp = partial_dir / f"link-{os.getpid()}-{threading.get_ident()}-{random.getrandbits(32):08x}"
    try:
        os.link(source, temp)
        os.replace(temp, dest)
    except OSError:
        temp.unlink(missing_ok=True)
        with open_private(dest, temp_dir=partial_dir) as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, CHUNK)


def copy_directory_to_bucket(client: Any, bucket: str, blobs_dir: str | Path, records: Sequence[BlobRecord], *,
                             workers: int = DEFAULT_WORKERS, progress: bool | None = None,
                             retries: RetryPolicy = RetryPolicy(),
                             on_blob: Callable[[BlobRecord], None] | None = None) -> CopyResult:
    """Upload every recorded blob from `blobs_dir` to `bucket`, checking each file's digest before it is sent.

    Objects already in the bucket with the same size (and key digest or ETag) are skipped, so a resumed
    restore uploads only the rest. A file that does not match its record raises BlobVerificationError.
    """
    blobs_dir = Path(blobs_dir)
    present = {o.key: o for o in list_objects(client, bucket, retries=retries)}

    def task(record: BlobRecord) -> Callable[[], tuple[BlobRecord, str]]:
        def upload_one() -> tuple[BlobRecord, str]:
            obj = present.get(record.key)
            if obj is not None and _matches(record, obj):
                copier.bar.update(record.size)
                return record, "skipped"
            _retrying(retries, record.key, "upload", lambda: _upload(client, bucket, blobs_dir / record.path, record))
            copier.bar.update(record.size)
            return record, "copied"
        return upload_one

    copier = _Copier(workers=workers, progress=progress, total=sum(r.size for r in records),
                     desc=f"restore s3://{bucket}", on_blob=on_blob,
                     mismatch_hint="A file that does not match the manifest was altered after the backup.")
    return copier.run([task(r) for r in records])


def _upload(client: Any, bucket: str, path: Path, record: BlobRecord) -> None:
    if record.size <= IN_MEMORY_UPLOAD:
        data = path.read_bytes()
        _check_file(record, len(data), "sha256:" + hashlib.sha256(data).hexdigest())
        client.put_object(Bucket=bucket, Key=record.key, Body=data)
        return
    size, digest = file_digest(path)
    _check_file(record, size, digest)
    client.upload_file(str(path), bucket, record.key, Config=UPLOAD_TRANSFER)


def _check_file(record: BlobRecord, size: int, digest: str) -> None:
    if size != record.size or digest != record.digest:
        raise BlobVerificationError(
            f"{record.path!r} for key {record.key!r} is {size} bytes with digest {digest}; the backup recorded "
            f"{record.size} bytes with {record.digest}", key=record.key)


def file_digest(path: str | Path) -> tuple[int, str]:
    """Size and `sha256:<hex>` of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, "sha256:" + digest.hexdigest()


def verify_bucket(client: Any, bucket: str, records: Sequence[BlobRecord], *, workers: int = DEFAULT_WORKERS,
                  retries: RetryPolicy = RetryPolicy()) -> list[str]:
    """Read back every recorded blob from `bucket` and hash it: one problem per key that is missing, another size,
    or another digest (a restore's proof, stronger than a listing's sizes)."""

    def check(record: BlobRecord) -> str | None:
        def read() -> tuple[int, str]:
            body = client.get_object(Bucket=bucket, Key=record.key)["Body"]
            digest, size = hashlib.sha256(), 0
            try:
                while chunk := body.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
            finally:
                body.close()
            return size, "sha256:" + digest.hexdigest()

        try:
            size, digest = _retrying(retries, record.key, "read-back", read)
        except BlobCopyError as e:
            return e.message
        if (size, digest) != (record.size, record.digest):
            return f"{record.key!r} is {size} bytes with {digest}; the backup has {record.size} bytes with {record.digest}"
        return None

    with ThreadPoolExecutor(workers, thread_name_prefix="blob-verify") as pool:
        return [p for p in pool.map(check, records) if p is not None]
