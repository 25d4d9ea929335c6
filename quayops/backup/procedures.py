"""The data steps of guide 11's backup (11.1.3, 11.1.3.1) and restore (11.2.3, 11.2.4) as `Step`s; the cluster
steps (configuration, quiesce, scale up) go around them, so database and blobs are taken at one quiesced moment."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quayops.backup.blobs import (
    DEFAULT_WORKERS,
    BlobRecord,
    RetryPolicy,
    copy_bucket_to_directory,
    copy_directory_to_bucket,
    file_digest,
    list_objects,
    missing_blobs,
    read_blob_index,
)
from quayops.backup.manifest import (
    BLOBS_DIR,
    MANIFEST_FILE,
    build_manifest,
    decrypt_backup,
    encrypt_backup,
    key_id,
    load_previous_blobs,
    read_manifest,
    verify_backup,
    write_manifest,
)
from quayops.backup.postgres import (
    CommandRunner,
    DumpFormat,
    DumpInfo,
    dump_database,
    referenced_blob_digests,
    restore_database,
    table_row_counts,
)
from quayops.backup.steps import Step, StepContext
from quayops.errors import QuayopsError

DUMP_FILES = {"plain": "database.sql", "custom": "database.dump"}


@dataclass(frozen=True)
class DataPlane:
    """Where a registry's data is, as the cluster side finds it: the database behind a command runner (local,
    or pods/exec in the database pod) and the bucket behind a boto3 client."""

    runner: CommandRunner
    dbname: str
    bucket: str
    s3: Any = field(repr=False)
    db_user: str | None = None
    workers: int = DEFAULT_WORKERS
    progress: bool | None = None
    retries: RetryPolicy = field(default_factory=RetryPolicy)


def backup_data_steps(data: DataPlane, *, dump_format: DumpFormat = "plain", incremental_from: str | Path | None = None,
                      registry: Mapping[str, str] | None = None, versions: Mapping[str, str] | None = None,
                      key: bytes | None = None) -> list[Step]:
    """Steps `database`, `blobs`, `manifest` and, with a key, `encrypt`.

    The manifest also records every file an earlier step lists under `files` in its outputs (paths relative
    to the backup directory), e.g. the configuration exports of the cluster steps.
    """

    def dump(ctx: StepContext) -> dict[str, Any]:
        info = dump_database(data.runner, dbname=data.dbname, user=data.db_user, fmt=dump_format,
                             out_path=ctx.directory / DUMP_FILES[dump_format])
        # counted right after the dump, at the same quiesced moment
        tables = table_row_counts(data.runner, dbname=data.dbname, user=data.db_user)
        referenced = referenced_blob_digests(data.runner, dbname=data.dbname, user=data.db_user)
        info = dataclasses.replace(info, path=DUMP_FILES[dump_format])
        return {"dump": dataclasses.asdict(info), "tables": tables, "referenced_digests": sorted(referenced)}

    def verify_dump(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        path = ctx.directory / out["dump"]["path"]
        if not path.exists():
            return [f"{path} is missing"]
        if file_digest(path) != (out["dump"]["size"], out["dump"]["digest"]):
            return [f"{path} no longer matches the digest taken with it"]
        return []

    def blobs(ctx: StepContext) -> dict[str, Any]:
        result = copy_bucket_to_directory(
            data.s3, data.bucket, ctx.directory / BLOBS_DIR, workers=data.workers, progress=data.progress,
            retries=data.retries, previous=load_previous_blobs(incremental_from) if incremental_from is not None else None)
        return {"objects": len(result.records), "bytes": result.bytes_total, "copied": result.copied,
                "reused": result.reused, "skipped": result.skipped, "bytes_copied": result.bytes_copied}

    def verify_blobs(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        try:
            records = read_blob_index(ctx.directory / BLOBS_DIR)
        except FileNotFoundError:
            return ["the blob index is missing"]
        missing = missing_blobs(ctx.directory / BLOBS_DIR, records)
        return [f"{len(missing)} blob(s) are no longer on disk, first {missing[0]!r}"] if missing else []

    def manifest(ctx: StepContext) -> dict[str, Any]:
        database = ctx.outputs["database"]
        files = [f for out in ctx.outputs.values() for f in out.get("files", [])]
        written = build_manifest(ctx.directory, registry=registry or {}, versions=versions or {},
                                 dump=DumpInfo(**database["dump"]), tables=database["tables"],
                                 blobs=read_blob_index(ctx.directory / BLOBS_DIR),
                                 referenced_digests=database["referenced_digests"], files=files,
                                 timings=ctx.timings)
        write_manifest(ctx.directory, written)
        return {"objects": written.objects, "tables": len(written.tables)}

    def verify_manifest(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        return [] if (ctx.directory / MANIFEST_FILE).exists() else [f"{MANIFEST_FILE} is missing"]

    steps = [Step("database", dump, verify=verify_dump), Step("blobs", blobs, verify=verify_blobs),
             Step("manifest", manifest, verify=verify_manifest)]
    if key is not None:
        def encrypt(ctx: StepContext) -> dict[str, Any]:
            encrypt_backup(ctx.directory, key)
            return {"key_id": key_id(key)}

        def verify_encrypted(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
            encryption = read_manifest(ctx.directory).encryption
            return [] if encryption and encryption["key_id"] == out["key_id"] else ["the backup is not encrypted"]

        steps.append(Step("encrypt", encrypt, verify=verify_encrypted))
    return steps


def restore_data_steps(data: DataPlane, *, jobs: int = 1, key: bytes | None = None) -> list[Step]:
    """Steps `decrypt` (with a key), `verify-backup` (refuses a damaged backup), `database` (drop and reload,
    then row counts compared with the manifest) and `blobs` (upload, then every key checked in the bucket).

    An encrypted backup is decrypted in place.
    """

    def decrypt(ctx: StepContext) -> dict[str, Any]:
        if read_manifest(ctx.directory).encryption is not None:
            decrypt_backup(ctx.directory, key)
        return {}

    def verify_decrypted(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        return [] if read_manifest(ctx.directory).encryption is None else ["the backup is still encrypted"]

    def unencrypted(ctx: StepContext) -> list[str]:
        if read_manifest(ctx.directory).encryption is not None:
            return ["the backup is encrypted: give its key"]
        return []

    def check_backup(ctx: StepContext) -> dict[str, Any]:
        report = verify_backup(ctx.directory)
        if not report.ok:
            details = [f"{p.path} {p.problem}" for p in report.problems[:3]] + [
                f"referenced blob {d} missing" for d in report.missing[:3]]
            raise QuayopsError(report.summary() + ": " + "; ".join(details),
                               hint="Nothing was restored; restore another backup.")
        return {"files": report.files, "bytes": report.bytes, "orphans": report.orphans}

    def same_database(ctx: StepContext) -> list[str]:
        taken = read_manifest(ctx.directory).database["dbname"]
        if taken != data.dbname:
            return [f"the dump (pg_dump -C) recreates database {taken!r}, not {data.dbname!r}"]
        return []

    def load(ctx: StepContext) -> dict[str, Any]:
        database = read_manifest(ctx.directory).database
        info = restore_database(data.runner, dump_path=ctx.directory / database["path"], dbname=data.dbname,
                                user=data.db_user, jobs=jobs)
        return {"format": info.format, "jobs": info.jobs}

    def verify_rows(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        counts = table_row_counts(data.runner, dbname=data.dbname, user=data.db_user)
        return [f"table {table!r} has {counts.get(table)} rows, the backup has {rows}"
                for table, rows in read_manifest(ctx.directory).tables.items() if counts.get(table) != rows]

    def upload(ctx: StepContext) -> dict[str, Any]:
        records = [BlobRecord.from_json(b) for b in read_manifest(ctx.directory).blobs]
        result = copy_directory_to_bucket(data.s3, data.bucket, ctx.directory / BLOBS_DIR, records,
                                          workers=data.workers, progress=data.progress, retries=data.retries)
        return {"objects": len(result.records), "copied": result.copied, "skipped": result.skipped}

    def verify_uploaded(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        present = {o.key: o.size for o in list_objects(data.s3, data.bucket, retries=data.retries)}
        missing = [b["key"] for b in read_manifest(ctx.directory).blobs if present.get(b["key"]) != b["size"]]
        return [f"{len(missing)} blob(s) are not in the bucket with their size, first {missing[0]!r}"] if missing else []

    steps = [Step("decrypt", decrypt, verify=verify_decrypted)] if key is not None else []
    return [*steps,
            Step("verify-backup", check_backup, check=unencrypted),
            Step("database", load, check=same_database, verify=verify_rows),
            Step("blobs", upload, verify=verify_uploaded)]
