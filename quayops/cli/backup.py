"""`quayops backup` and `quayops restore`: guide 11 as one library call each, a summary table, and exit codes that
say what state was left (3 refused, nothing changed; 4 a step failed, resumable; 1 verify found problems)."""

from __future__ import annotations

import sys
from typing import Any

import click

from quayops.cli.output import emit


def _table(result: Any) -> str:
    """One row per step: name, status, seconds and what it took (never a secret: counts, names, digests)."""
    from quayops.backup.procedures import describe_step

    rows = [("step", "status", "seconds", "detail")]
    rows += [(r.name, r.status, f"{r.seconds:.1f}", describe_step(r.name, r.outputs)) for r in result.steps]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows)


def _access(context: str | None, workers: int, s3_endpoint: str | None, insecure: bool) -> Any:
    from quayops.backup.procedures import Access
    from quayops.kube.resolve import route_session

    session = route_session(context=context, pool_maxsize=workers + 4)
    if insecure:
        session.verify = False
    return Access(session=session, s3_endpoint=s3_endpoint, verify_tls=not insecure, workers=workers)


def _key(env: str | None) -> bytes | None:
    from quayops.backup.manifest import load_key

    return load_key(env=env) if env else None


def _fail(error: Exception) -> None:
    """Print the failure naming its step, and exit 3 (refused, nothing changed) or 4 (a step failed; resumable)."""
    from quayops.errors import PreconditionFailed, StepFailedError

    emit(f"quayops: {error}", err=True)
    refused = isinstance(error, PreconditionFailed) or (
        isinstance(error, StepFailedError) and error.step == "preconditions"
        and isinstance(error.__cause__, PreconditionFailed))
    sys.exit(3 if refused else 4 if isinstance(error, StepFailedError) else 2)


@click.group()
def backup() -> None:
    """Back up a registry as guide 11.1 does, resumable and verified; verify a backup offline."""


@backup.command()
@click.argument("name")
@click.option("-n", "--namespace", default="quay-enterprise", show_default=True)
@click.option("--to", "directory", required=True, type=click.Path(file_okay=False), help="Backup directory.")
@click.option("--resume", is_flag=True, help="Continue the run recorded in DIR (a finished one is left as it is).")
@click.option("--incremental-from", type=click.Path(exists=True, file_okay=False), default=None,
              help="An earlier backup: unchanged blobs are linked from it, not copied.")
@click.option("--format", "dump_format", type=click.Choice(["plain", "custom"]), default="plain", show_default=True,
              help="pg_dump format: plain SQL -C (the guide's) or custom (parallel restore).")
@click.option("--encrypt-key-env", metavar="VAR", default=None, help="Encrypt with the 32-byte key in $VAR.")
@click.option("--allow-unmanaged", is_flag=True, help="Back up the rest when the database or storage is unmanaged.")
@click.option("--stay-down", is_flag=True, help="On failure, leave Quay scaled down instead of scaling it up.")
@click.option("--workers", default=16, show_default=True, help="Parallel blob copies.")
@click.option("--s3-endpoint", default=None, help="S3 endpoint (default: NooBaa's `s3` route).")
@click.option("--insecure", is_flag=True, help="Do not verify TLS to S3 and the registry (`--no-verify-ssl`).")
@click.option("--timeout", default=600, show_default=True, type=float, help="Seconds to wait for each rollout.")
@click.option("--context", default=None, help="kubeconfig context (default: the current one).")
def create(name, namespace, directory, resume, incremental_from, dump_format, encrypt_key_env, allow_unmanaged,
           stay_down, workers, s3_endpoint, insecure, timeout, context):
    """Back up QuayRegistry NAME into DIR (guide 11.1); exit 3 refused, 4 a step failed (resumable)."""
    from quayops.backup.procedures import backup_registry
    from quayops.errors import QuayopsError
    from quayops.kube.client import Cluster

    try:
        result = backup_registry(
            Cluster.connect(context), name, namespace=namespace, directory=directory, resume=resume,
            incremental_from=incremental_from, dump_format=dump_format, key=_key(encrypt_key_env),
            allow_unmanaged=allow_unmanaged, stay_down=stay_down,
            access=_access(context, workers, s3_endpoint, insecure), timeout=timeout, report=click.echo)
    except QuayopsError as e:
        _fail(e)
    emit(_table(result))
    emit(f"backup of {namespace}/{name} complete in {directory}")


@backup.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--key-env", metavar="VAR", default=None, help="Check the plaintext of an encrypted backup too.")
def verify(directory, key_env):
    """Recompute every checksum of the backup in DIRECTORY and check its consistency, offline; exit 1 on problems."""
    from quayops.backup.manifest import verify_backup
    from quayops.errors import QuayopsError

    try:
        report = verify_backup(directory, key=_key(key_env))
    except QuayopsError as e:
        emit(f"quayops: {e}", err=True)
        sys.exit(2)
    emit(report.summary())
    for p in report.problems:
        emit(f"  {p.path}: {p.problem}")
    for digest in report.missing:
        emit(f"  referenced blob {digest} is not in the backup")
    sys.exit(0 if report.ok else 1)


@click.command()
@click.argument("name")
@click.option("-n", "--namespace", default="quay-enterprise", show_default=True)
@click.option("--from", "directory", required=True, type=click.Path(exists=True, file_okay=False),
              help="Backup directory.")
@click.option("--resume", is_flag=True, help="Continue the restore recorded in DIR.")
@click.option("--jobs", default=1, show_default=True, help="pg_restore -j (custom-format dumps).")
@click.option("--decrypt-key-env", metavar="VAR", default=None, help="The key of an encrypted backup, in $VAR.")
@click.option("--pull-user", default=None, help="Quay user whose images the verification pulls (private repos).")
@click.option("--pull-password-env", metavar="VAR", default=None, help="That user's password, in $VAR.")
@click.option("--workers", default=16, show_default=True, help="Parallel blob uploads.")
@click.option("--s3-endpoint", default=None, help="S3 endpoint (default: NooBaa's `s3` route).")
@click.option("--insecure", is_flag=True, help="Do not verify TLS to S3 and the registry.")
@click.option("--timeout", default=600, show_default=True, type=float, help="Seconds to wait for each rollout.")
@click.option("--context", default=None, help="kubeconfig context (default: the current one).")
def restore(name, namespace, directory, resume, jobs, decrypt_key_env, pull_user, pull_password_env, workers,
            s3_endpoint, insecure, timeout, context):
    """Restore QuayRegistry NAME in NAMESPACE from DIR (guide 11.2) and verify it; exit 3 refused, 4 a step failed."""
    import os

    from quayops.backup.procedures import restore_registry
    from quayops.errors import QuayopsError
    from quayops.kube.client import Cluster

    credentials = (pull_user, os.environ.get(pull_password_env or "", "")) if pull_user else None
    try:
        result = restore_registry(
            Cluster.connect(context), name, namespace=namespace, directory=directory, resume=resume, jobs=jobs,
            key=_key(decrypt_key_env), access=_access(context, workers, s3_endpoint, insecure),
            pull_credentials=credentials, timeout=timeout, report=click.echo)
    except QuayopsError as e:
        _fail(e)
    emit(_table(result))
    emit(f"restore of {namespace}/{name} from {directory} complete and verified")
