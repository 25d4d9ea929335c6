"""Guide 11 as procedures: the data steps of backup (11.1.3, 11.1.3.1) and restore (11.2.3, 11.2.4), and the full
`backup_registry` / `restore_registry` with the cluster steps around them, so database and blobs are taken at one
quiesced moment and a restore is verified against the manifest."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quayops.backup import cluster as cl
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
    verify_bucket,
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
    image_manifests,
    referenced_blob_digests,
    restore_database,
    table_row_counts,
)
from quayops.backup.steps import Procedure, ProcedureResult, Step, StepContext
from quayops.errors import PreconditionFailed, QuayopsError

DUMP_FILES = {"plain": "database.sql", "custom": "database.dump"}


@dataclass(frozen=True)
class DataPlane:
    """Where a registry's data is, as the cluster side finds it: the database behind a command runner (local,
    or pods/exec in the database pod) and the bucket behind a boto3 client; None where quayops leaves a part to
    the vendor's tools."""

    runner: CommandRunner | None = None
    dbname: str | None = None
    bucket: str | None = None
    s3: Any = field(default=None, repr=False)
    db_user: str | None = None
    workers: int = DEFAULT_WORKERS
    progress: bool | None = None
    retries: RetryPolicy = field(default_factory=RetryPolicy)


PlaneSource = DataPlane | Callable[[], DataPlane]


class _Plane:
    """A DataPlane found when a step first needs it (the database pod, the bucket of a claim bound mid-restore)."""

    def __init__(self, source: PlaneSource) -> None:
        self._source, self._plane = source, source if isinstance(source, DataPlane) else None

    def __call__(self) -> DataPlane:
        if self._plane is None:
            self._plane = self._source()
        return self._plane


def backup_data_steps(data: PlaneSource, *, dump_format: DumpFormat = "plain",
                      incremental_from: str | Path | None = None, registry: Mapping[str, str] | None = None,
                      versions: Mapping[str, str] | None = None, key: bytes | None = None,
                      vendor: Mapping[str, str] | None = None) -> list[Step]:
    """Steps `database`, `blobs`, `manifest` and, with a key, `encrypt`.

    The manifest also records every file an earlier step lists under `files` in its outputs (paths relative
    to the backup directory), e.g. the configuration exports of the cluster steps. A step named in `vendor`
    (`database`, `blobs`) copies nothing and records why: the vendor's tools replace it.
    """
    plane, vendor = _Plane(data), dict(vendor or {})

    def dump(ctx: StepContext) -> dict[str, Any]:
        if "database" in vendor:
            return {"vendor": vendor["database"]}
        data = plane()
        info = dump_database(data.runner, dbname=data.dbname, user=data.db_user, fmt=dump_format,
                             out_path=ctx.directory / DUMP_FILES[dump_format])
        # counted right after the dump, at the same quiesced moment
        tables = table_row_counts(data.runner, dbname=data.dbname, user=data.db_user)
        referenced = referenced_blob_digests(data.runner, dbname=data.dbname, user=data.db_user)
        images = image_manifests(data.runner, dbname=data.dbname, user=data.db_user) if {
            "manifest", "repository", "user"} <= set(tables) else []
        info = dataclasses.replace(info, path=DUMP_FILES[dump_format])
        return {"dump": dataclasses.asdict(info), "tables": tables, "referenced_digests": sorted(referenced),
                "images": images}

    def verify_dump(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        if "vendor" in out:
            return []
        path = ctx.directory / out["dump"]["path"]
        if not path.exists():
            return [f"{path} is missing"]
        if file_digest(path) != (out["dump"]["size"], out["dump"]["digest"]):
            return [f"{path} no longer matches the digest taken with it"]
        return []

    def blobs(ctx: StepContext) -> dict[str, Any]:
        if "blobs" in vendor:
            return {"vendor": vendor["blobs"]}
        data = plane()
        result = copy_bucket_to_directory(
            data.s3, data.bucket, ctx.directory / BLOBS_DIR, workers=data.workers, progress=data.progress,
            retries=data.retries, previous=load_previous_blobs(incremental_from) if incremental_from is not None else None)
        return {"objects": len(result.records), "bytes": result.bytes_total, "copied": result.copied,
                "reused": result.reused, "skipped": result.skipped, "bytes_copied": result.bytes_copied}

    def verify_blobs(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        if "vendor" in out:
            return []
        try:
            records = read_blob_index(ctx.directory / BLOBS_DIR)
        except FileNotFoundError:
            return ["the blob index is missing"]
        missing = missing_blobs(ctx.directory / BLOBS_DIR, records)
        return [f"{len(missing)} blob(s) are no longer on disk, first {missing[0]!r}"] if missing else []

    def manifest(ctx: StepContext) -> dict[str, Any]:
        database = ctx.outputs["database"]
        files = [f for out in ctx.outputs.values() for f in out.get("files", [])]
        copied = "vendor" not in ctx.outputs["blobs"]
        written = build_manifest(ctx.directory, registry=registry or {}, versions=versions or {},
                                 dump=DumpInfo(**database["dump"]) if "dump" in database else None,
                                 tables=database.get("tables", {}),
                                 blobs=read_blob_index(ctx.directory / BLOBS_DIR) if copied else [],
                                 referenced_digests=database.get("referenced_digests", []) if copied else [],
                                 files=files, images=database.get("images", []), vendor=vendor,
                                 timings=ctx.timings)
        write_manifest(ctx.directory, written)
        return {"objects": written.objects, "tables": len(written.tables), "images": len(written.images)}

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


def restore_data_steps(data: PlaneSource, *, jobs: int = 1, key: bytes | None = None) -> list[Step]:
    """Steps `decrypt` (with a key), `verify-backup` (refuses a damaged backup), `database` (drop and reload,
    then row counts compared with the manifest) and `blobs` (upload, then every key checked in the bucket).

    An encrypted backup is decrypted in place. A part the backup left to the vendor's tools is not restored.
    """
    plane = _Plane(data)

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
        database = read_manifest(ctx.directory).database
        if database is not None and database["dbname"] != plane().dbname:
            return [f"the dump (pg_dump -C) recreates database {database['dbname']!r}, not {plane().dbname!r}"]
        return []

    def load(ctx: StepContext) -> dict[str, Any]:
        database = read_manifest(ctx.directory).database
        if database is None:
            return {"vendor": "the backup has no database dump: restore it with your database vendor's tools"}
        data = plane()
        info = restore_database(data.runner, dump_path=ctx.directory / database["path"], dbname=data.dbname,
                                user=data.db_user, jobs=jobs)
        return {"format": info.format, "jobs": info.jobs}

    def verify_rows(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        if "vendor" in out:
            return []
        return compare_rows(plane(), read_manifest(ctx.directory).tables)

    def upload(ctx: StepContext) -> dict[str, Any]:
        manifest = read_manifest(ctx.directory)
        if "blobs" in manifest.vendor:
            return {"vendor": "the backup has no blobs: restore the bucket with your storage vendor's tools"}
        data = plane()
        records = [BlobRecord.from_json(b) for b in manifest.blobs]
        result = copy_directory_to_bucket(data.s3, data.bucket, ctx.directory / BLOBS_DIR, records,
                                          workers=data.workers, progress=data.progress, retries=data.retries)
        return {"objects": len(result.records), "copied": result.copied, "skipped": result.skipped}

    def verify_uploaded(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        if "vendor" in out:
            return []
        data = plane()
        present = {o.key: o.size for o in list_objects(data.s3, data.bucket, retries=data.retries)}
        missing = [b["key"] for b in read_manifest(ctx.directory).blobs if present.get(b["key"]) != b["size"]]
        return [f"{len(missing)} blob(s) are not in the bucket with their size, first {missing[0]!r}"] if missing else []

    steps = [Step("decrypt", decrypt, verify=verify_decrypted)] if key is not None else []
    return [*steps,
            Step("verify-backup", check_backup, check=unencrypted),
            Step("database", load, check=same_database, verify=verify_rows),
            Step("blobs", upload, verify=verify_uploaded)]


def compare_rows(data: DataPlane, tables: Mapping[str, int]) -> list[str]:
    """One problem per table whose live row count differs from the backup's."""
    counts = table_row_counts(data.runner, dbname=data.dbname, user=data.db_user)
    return [f"table {table!r} has {counts.get(table)} rows, the backup has {rows}"
            for table, rows in tables.items() if counts.get(table) != rows]


# -- the full procedures (guide 11.1, 11.2) ---------------------------------------------------------------

BACKUP, RESTORE = "backup", "restore"


@dataclass(frozen=True)
class Access:
    """How quayops reaches a registry's data from where it runs: `session` (route_session: the resolve map and
    the cluster CA) carries S3 and registry requests; `s3_endpoint` overrides NooBaa's `s3` route."""

    session: Any = field(default=None, repr=False)
    s3_endpoint: str | None = None
    verify_tls: bool | str = True
    workers: int = DEFAULT_WORKERS
    progress: bool | None = None
    retries: RetryPolicy = field(default_factory=RetryPolicy)
    exec_timeout: float = 3600

    def plane(self, cluster: Any, registry: Mapping[str, Any], *, vendor: Mapping[str, str] = {}) -> DataPlane:
        """The registry's DataPlane: PodRunner in its database pod, its claim's bucket (none for vendor parts)."""
        runner = dbname = bucket = s3 = None
        if "database" not in vendor:
            runner, dbname = cl.locate_database(cluster, registry, timeout=self.exec_timeout)
        if "blobs" not in vendor:
            bucket, s3 = cl.locate_bucket(cluster, registry, session=self.session, endpoint=self.s3_endpoint,
                                          verify=self.verify_tls, workers=self.workers)
        return DataPlane(runner=runner, dbname=dbname, bucket=bucket, s3=s3, workers=self.workers,
                         progress=self.progress, retries=self.retries)


def _say(report: Callable[[str], None] | None, text: str) -> None:
    if report is not None:
        report(text)


def _wait_available(cluster: Any, name: str, *, namespace: str, timeout: float) -> dict[str, Any]:
    """Quay serving again (a quay-app replica available: Available alone holds while scaled to 0), then Available."""
    from quayops.kube.watching import wait_for
    from quayops.reconcile import wait_for_registry

    deadline = time.monotonic() + timeout
    wait_for(cluster, "apps/v1", "Deployment", f"{name}-quay-app", namespace=namespace, timeout=timeout,
             condition=lambda d: bool(((d or {}).get("status") or {}).get("availableReplicas")),
             describe=lambda d: "no quay-app replica is available")
    registry = wait_for_registry(cluster, name, namespace=namespace, timeout=max(deadline - time.monotonic(), 1),
                                 report=None)
    return {"available": True, "currentVersion": (registry.get("status") or {}).get("currentVersion", "")}


def _quiesce_steps(cluster: Any, name: str, *, namespace: str, timeout: float, report: Callable[[str], None] | None,
                   data_steps: tuple[str, ...], data_verifiers: Mapping[str, Callable[..., list[str]]]
                   ) -> tuple[Step, Step, Callable[[StepContext], list[str]]]:
    """`quiesce` (11.1.2 / 11.2.2), `scale-up` (11.1.4 / 11.2.5) and the check that no Quay pod runs. A resumed run
    skips `quiesce` only while Quay is still down, or when `scale-up` finished after data steps that still verify:
    a new quiesced moment otherwise."""

    def quiesce(ctx: StepContext) -> dict[str, Any]:
        started = time.monotonic()
        versions = cl.read_versions(cluster, cl.read_registry(cluster, name, namespace=namespace))
        record = cl.apply_quiesce(cluster, name, namespace=namespace, operator=cl.operator_version(versions))
        how = ("HPA unmanaged, replicas: 0 on quay, clair, mirror" if record["method"] == "overrides"
               else "the operator, then the deployments, scaled to 0")
        _say(report, f"quiesce: {how}; waiting for the quay-app, quay-mirror and clair-app pods to go")
        cl.wait_for_quay_pods_gone(cluster, name, namespace=namespace, timeout=timeout)
        return {"method": record["method"], "seconds_to_quiet": round(time.monotonic() - started, 1)}

    def still_quiet(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        pods = cl.quay_pods(cluster, namespace, registry=name)
        if not pods:
            return []
        finished = ctx.recorded.get("scale-up", {}).get("status") == "completed"
        data_ok = all(ctx.recorded.get(s, {}).get("status") == "completed" and not data_verifiers[s](
            ctx, ctx.recorded[s]["outputs"]) for s in data_steps)
        return [] if finished and data_ok else [f"Quay runs again ({', '.join(pods[:3])}): quiesce again"]

    def nothing_runs(ctx: StepContext) -> list[str]:
        pods = cl.quay_pods(cluster, namespace, registry=name)
        return [f"Quay pods run ({', '.join(pods[:3])}): refusing to copy data Quay can change"] if pods else []

    def scale_up(ctx: StepContext) -> dict[str, Any]:
        undone = cl.apply_scale_up(cluster, name, namespace=namespace)
        how = {"overrides": "overrides removed, HPA managed again", None: "nothing to undo"}.get(
            undone, "the deployments, then the operator, scaled back")
        _say(report, f"scale-up: {how}; waiting for Available")
        return _wait_available(cluster, name, namespace=namespace, timeout=timeout)

    def up(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        registry = cluster.find("quay.redhat.com/v1", "QuayRegistry", name, namespace=namespace)
        if cl.detect_quiesce_record(registry) is not None:
            return ["the registry is still quiesced"]
        return []

    return Step("quiesce", quiesce, verify=still_quiet), Step("scale-up", scale_up, verify=up), nothing_runs


def _resume_hint(command: str) -> str:
    return f"Run again with --resume (resume=True) to continue: {command}."


def _failure_hook(cluster: Any, name: str, *, namespace: str, stay_down: bool, timeout: float, command: str,
                  restoring: bool) -> Callable[[str, BaseException, StepContext], str]:
    """What a failure leaves: Quay scaled back up (backup, unless `stay_down`) or left down (restore), said in words."""

    def on_failure(step: str, error: BaseException, ctx: StepContext) -> str:
        registry = cluster.find("quay.redhat.com/v1", "QuayRegistry", name, namespace=namespace)
        if cl.detect_quiesce_record(registry) is None:
            done = [s for s, r in ctx.recorded.items() if r.get("status") == "completed"] + list(ctx.outputs)
            state = "Quay was not scaled down." if not restoring else "Quay is not scaled down by quayops."
            if step == "preconditions" and not done:
                return f"{state} Nothing was changed."
            return f"{state} {_resume_hint(command)}"
        if restoring or stay_down:
            return (f"Quay is scaled down in {namespace} (quiesced by quayops; the annotation {cl.QUIESCE_ANNOTATION} "
                    f"records how to undo it). {_resume_hint(command)}")
        cl.apply_scale_up(cluster, name, namespace=namespace)
        try:
            _wait_available(cluster, name, namespace=namespace, timeout=timeout)
        except QuayopsError as e:
            return (f"Quay was scaled back up but is not Available yet ({e.message}). "
                    f"{_resume_hint(command)} It takes the database and blobs again at a new quiesced moment.")
        return (f"Quay was scaled back up and is Available. {_resume_hint(command)} It takes the database and blobs "
                "again at a new quiesced moment; verified blobs are not copied twice.")

    return on_failure


def backup_registry(cluster: Any, name: str, *, namespace: str, directory: str | Path, resume: bool = False,
                    incremental_from: str | Path | None = None, dump_format: DumpFormat = "plain",
                    key: bytes | None = None, allow_unmanaged: bool = False, stay_down: bool = False,
                    access: Access | None = None, timeout: float = 600,
                    report: Callable[[str], None] | None = print) -> ProcedureResult:
    """Back up QuayRegistry `namespace/name` into `directory` as guide 11.1 does, as one resumable procedure.

    Steps: preconditions, configuration, quiesce, database, blobs, scale-up, manifest, encrypt (with `key`),
    consistency. A failure after quiescing scales Quay back up first unless `stay_down`. Raises StepFailedError
    naming the step (PreconditionFailed when `directory` holds another run and `resume` is False).
    """
    access = access or Access()
    directory = Path(directory)
    command = f"quayops backup create {name} -n {namespace} --to {directory} --resume"
    registry = cl.read_registry(cluster, name, namespace=namespace)
    versions = cl.read_versions(cluster, registry)
    status = registry.get("status") or {}
    facts = {"name": name, "namespace": namespace, "endpoint": status.get("registryEndpoint", "")}
    vendor = cl.check_preconditions(registry, operator=_version_or_none(versions),
                                    allow_unmanaged=allow_unmanaged).vendor

    def preconditions(ctx: StepContext) -> dict[str, Any]:
        found = cl.check_preconditions(cl.read_registry(cluster, name, namespace=namespace),
                                       operator=_version_or_none(versions), allow_unmanaged=allow_unmanaged)
        if found.problems:
            raise PreconditionFailed("guide 11.1 prerequisites not met: " + "; ".join(found.problems),
                                     step="preconditions", hint="Nothing was changed.")
        for step, why in found.vendor.items():
            _say(report, f"{step}: left to the vendor: {why}")
        return {"versions": versions, "vendor": found.vendor}

    def configuration(ctx: StepContext) -> dict[str, Any]:
        live = cl.read_registry(cluster, name, namespace=namespace)
        return {"files": cl.export_configuration(cluster, live, ctx.directory)}

    def exported(ctx: StepContext, out: Mapping[str, Any]) -> list[str]:
        return [f"{f} is missing" for f in out["files"] if not (ctx.directory / f).exists()]

    data = backup_data_steps(lambda: access.plane(cluster, cl.read_registry(cluster, name, namespace=namespace),
                                                  vendor=vendor),
                             dump_format=dump_format, incremental_from=incremental_from, registry=facts,
                             versions=versions, key=key, vendor=vendor)
    by_name = {s.name: s for s in data}
    quiesce, scale_up, nothing_runs = _quiesce_steps(
        cluster, name, namespace=namespace, timeout=timeout, report=report, data_steps=("database", "blobs"),
        data_verifiers={s: by_name[s].verify for s in ("database", "blobs")})
    guarded = [dataclasses.replace(by_name[s], check=nothing_runs) for s in ("database", "blobs")]

    def consistency(ctx: StepContext) -> dict[str, Any]:
        result = verify_backup(ctx.directory, key=key)
        if not result.ok:
            raise QuayopsError(result.summary(), hint="The backup is incomplete: "
                               + "; ".join([f"{p.path} {p.problem}" for p in result.problems[:3]]
                                           + [f"referenced blob {d} is not in the bucket" for d in result.missing[:3]]))
        return {"files": result.files, "bytes": result.bytes, "referenced": result.referenced,
                "orphans": result.orphans, "other_objects": result.other_objects}

    steps = [Step("preconditions", preconditions), Step("configuration", configuration, verify=exported),
             quiesce, *guarded, scale_up, *data[2:], Step("consistency", consistency)]
    procedure = Procedure(BACKUP, steps, on_failure=_failure_hook(
        cluster, name, namespace=namespace, stay_down=stay_down, timeout=timeout, command=command, restoring=False))
    return procedure.run(directory, resume=resume)


def _version_or_none(versions: Mapping[str, str]) -> Any:
    try:
        return cl.operator_version(versions)
    except PreconditionFailed:
        return None


def restore_registry(cluster: Any, name: str, *, namespace: str, directory: str | Path, resume: bool = False,
                     jobs: int = 1, key: bytes | None = None, access: Access | None = None,
                     pull_credentials: tuple[str, str] | None = None, timeout: float = 600,
                     report: Callable[[str], None] | None = print) -> ProcedureResult:
    """Restore QuayRegistry `namespace/name` from the backup in `directory` as guide 11.2 does, then verify it.

    Steps: preconditions (refused while Quay pods run in the namespace), decrypt (with `key`), verify-backup,
    secrets, registry (created, then Available), quiesce, database, blobs, scale-up, verify (row counts, every
    blob read back with its digest, every image pulled through the registry's route when it answers). A failure
    after quiescing leaves Quay down and says so.
    """
    from quayops.backup.manifest import read_manifest as _read

    access = access or Access()
    directory = Path(directory)
    command = f"quayops restore {name} -n {namespace} --from {directory} --resume"

    def preconditions(ctx: StepContext) -> dict[str, Any]:
        taken = _read(ctx.directory)
        if taken.registry.get("name") and taken.registry["name"] != name:
            raise PreconditionFailed(f"the backup is of QuayRegistry {taken.registry['name']!r}, not {name!r}: its "
                                     "DB_URI names that registry's database Service", step="preconditions",
                                     hint=f"Restore it as {taken.registry['name']!r}. Nothing was changed.")
        state = cl.namespace_state(cluster, namespace)
        if state == "Terminating":
            raise PreconditionFailed(f"namespace {namespace} is being deleted", step="preconditions",
                                     hint="Wait until it is gone, then restore. Nothing was changed.")
        if state != "missing":
            if pods := cl.quay_pods(cluster, namespace):
                raise PreconditionFailed(
                    f"a Quay deployment runs in namespace {namespace} ({', '.join(pods[:3])}): guide 11.2 restores "
                    "only where no registry runs", step="preconditions",
                    hint="Restore into another namespace, or remove that registry first. Nothing was changed.")
            if cluster.find("quay.redhat.com/v1", "QuayRegistry", name, namespace=namespace) is not None:
                raise PreconditionFailed(f"QuayRegistry {namespace}/{name} already exists", step="preconditions",
                                         hint="Delete it or restore into another namespace. Nothing was changed.")
        return {"namespace": state, "backup": taken.registry, "versions": taken.versions}

    def secrets(ctx: StepContext) -> dict[str, Any]:
        if cl.namespace_state(cluster, namespace) == "missing":
            cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        restored = []
        for file in (cl.BUNDLE_FILE, cl.MANAGED_KEYS_FILE):
            if (ctx.directory / file).exists():
                exported = cl.read_export(ctx.directory, file)
                cl.restore_secret(cluster, exported, namespace=namespace)
                restored.append(exported["metadata"]["name"])
        return {"secrets": restored}

    def create_registry(ctx: StepContext) -> dict[str, Any]:
        from quayops.kube.errors import AlreadyExistsError

        exported = cl.read_export(ctx.directory, cl.REGISTRY_FILE)
        exported["metadata"] = {**exported["metadata"], "namespace": namespace, "name": name}
        try:
            cluster.create(exported)
        except AlreadyExistsError:
            pass  # created by an interrupted run of this step
        _say(report, f"registry: QuayRegistry {namespace}/{name} created; waiting for Available")
        return _wait_available(cluster, name, namespace=namespace, timeout=timeout)

    data = restore_data_steps(lambda: access.plane(cluster, cl.read_registry(cluster, name, namespace=namespace),
                                                   vendor=_read(directory).vendor), jobs=jobs, key=key)
    by_name = {s.name: s for s in data}
    quiesce, scale_up, nothing_runs = _quiesce_steps(
        cluster, name, namespace=namespace, timeout=timeout, report=report, data_steps=("database", "blobs"),
        data_verifiers={s: by_name[s].verify for s in ("database", "blobs")})
    guarded = [dataclasses.replace(by_name[s], check=_both(by_name[s].check, nothing_runs))
               for s in ("database", "blobs")]

    def verify(ctx: StepContext) -> dict[str, Any]:
        taken = _read(ctx.directory)
        plane = access.plane(cluster, cl.read_registry(cluster, name, namespace=namespace), vendor=taken.vendor)
        problems = compare_rows(plane, taken.tables) if plane.runner is not None else []
        records = [BlobRecord.from_json(b) for b in taken.blobs]
        if plane.s3 is not None:
            problems += verify_bucket(plane.s3, plane.bucket, records, workers=plane.workers, retries=plane.retries)
        pulled = _verify_pulls(cluster, name, namespace=namespace, images=taken.images, access=access,
                               credentials=pull_credentials)
        problems += pulled.pop("failures", [])
        if problems:
            raise QuayopsError(f"the restored registry differs from the backup in {len(problems)} way(s): "
                               + "; ".join(problems[:5]), step="verify")
        return {"tables": len(taken.tables), "rows": sum(taken.tables.values()), "blobs": len(records), **pulled}

    steps = [Step("preconditions", preconditions), *data[:-2], Step("secrets", secrets),
             Step("registry", create_registry), quiesce, *guarded, scale_up, Step("verify", verify)]
    procedure = Procedure(RESTORE, steps, on_failure=_failure_hook(
        cluster, name, namespace=namespace, stay_down=True, timeout=timeout, command=command, restoring=True))
    return procedure.run(directory, resume=resume)


def _both(*checks: Callable[[StepContext], Any] | None) -> Callable[[StepContext], list[str]]:
    return lambda ctx: [p for c in checks if c is not None for p in c(ctx)]


def _verify_pulls(cluster: Any, name: str, *, namespace: str, images: list[dict[str, str]], access: Access,
                  credentials: tuple[str, str] | None) -> dict[str, Any]:
    """Pull every image of the backup through the registry's endpoint; skipped (and said) when it does not answer."""
    import requests

    from quayops.backup.pulls import RegistryClient, verify_pulls

    if not images:
        return {"images": 0}
    endpoint = (cl.read_registry(cluster, name, namespace=namespace).get("status") or {}).get("registryEndpoint")
    session = access.session or requests.Session()
    try:
        session.get(f"{endpoint}/health/instance", timeout=10)
    except (requests.RequestException, TypeError) as e:
        return {"images": len(images), "pulled": f"not checked: {endpoint or 'no endpoint'} does not answer "
                f"({type(e).__name__})"}
    result = verify_pulls(RegistryClient(session, endpoint, credentials=credentials), images, workers=access.workers)
    denied = sorted(result.denied)
    return {"images": len(images), "pulled": result.manifests, "pulled_blobs": result.blobs,
            "not_readable": denied, "failures": result.failures}


def describe_step(step: str, out: Mapping[str, Any]) -> str:
    """What a step took or did, in one line for tables (counts, names, digests: never a secret)."""
    if step == "preconditions" and "versions" in out:
        left = "; left to the vendor: " + ", ".join(out["vendor"]) if out.get("vendor") else ""
        return f"operator {out['versions'].get('operator') or '?'}, Quay {out['versions'].get('quay') or '?'}{left}"
    if "vendor" in out:
        return f"left to the vendor: {out['vendor']}"
    if step == "database" and "dump" in out:
        return f"{out['dump']['dbname']}: {out['dump']['size']} bytes, {len(out['tables'])} tables, {out['dump']['digest'][:19]}…"
    if step == "blobs" and "bytes" in out:
        return (f"{out['objects']} objects, {out['bytes']} bytes ({out['copied']} copied, {out['reused']} reused, "
                f"{out['skipped']} already there)")
    if step == "blobs":
        return f"{out.get('objects', 0)} objects ({out.get('copied', 0)} uploaded, {out.get('skipped', 0)} already there)"
    if step == "configuration":
        return ", ".join(out.get("files", []))
    if step == "manifest":
        return f"{out['objects']['count']} objects, {out['tables']} tables, {out.get('images', 0)} images"
    if step == "consistency":
        return f"{out['referenced']} referenced blobs all present, {out['orphans']} orphan(s)"
    if step == "verify":
        denied = out.get("not_readable") or []
        return (f"{out.get('rows', 0)} rows in {out.get('tables', 0)} tables, {out.get('blobs', 0)} blobs read back, "
                f"images pulled: {out.get('pulled', 0)}/{out.get('images', 0)}"
                + (f" ({len(denied)} repositories not readable with the credentials given)" if denied else ""))
    if step in ("quiesce", "scale-up", "registry"):
        return ", ".join(f"{k} {v}" for k, v in out.items())
    return ", ".join(f"{k} {v}" for k, v in out.items() if not isinstance(v, dict | list))


def steps_frame(result: ProcedureResult) -> Any:
    """A procedure's steps as a DataFrame: step, status, seconds, detail."""
    import pandas as pd

    return pd.DataFrame([{"step": r.name, "status": r.status, "seconds": r.seconds,
                          "detail": describe_step(r.name, r.outputs)} for r in result.steps],
                        columns=["step", "status", "seconds", "detail"])


def scheduled_directory(root: str | Path, name: str, *, now: Any = None) -> tuple[Path, Path | None]:
    """Where a scheduled backup of `name` goes: `<root>/<name>-<UTC date>` (a rerun the same day resumes it), and
    the newest finished unencrypted backup of `name` under `root` to copy incrementally from, if any."""
    import datetime

    now = now or datetime.datetime.now(datetime.UTC)
    root = Path(root)
    directory = root / f"{name}-{now:%Y-%m-%d}"
    finished = sorted((p for p in root.glob(f"{name}-*") if p != directory and (p / MANIFEST_FILE).exists()
                       and read_manifest(p).encryption is None), key=lambda p: p.name)
    return directory, finished[-1] if finished else None
