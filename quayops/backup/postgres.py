"""`pg_dump`, `psql` and `pg_restore` through a command runner (guide 11.1.3, 11.2.3), dumps streamed to disk
with their SHA-256. `LocalRunner` runs them as subprocesses; a pods/exec runner will run them in the database pod."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, Protocol

import psycopg

from quayops.backup.steps import describe_error, open_private
from quayops.errors import QuayopsError

COMPONENT = "postgres"
CHUNK = 1024 * 1024
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux: a 1 MiB pipe cuts pg_dump's wake-ups 16-fold
STDERR_LIMIT = 64 * 1024
CUSTOM_MAGIC = b"PGDMP"
PLAIN_TRAILER = b"-- PostgreSQL database dump complete"  # pg_dump's last comment: the dump was not cut short
DumpFormat = Literal["plain", "custom"]

# Exact counts of every table in the public schema, in one statement that psycopg and psql run alike.
ROW_COUNTS_SQL = (
    "SELECT c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', "
    "n.nspname, c.relname), false, true, '')))[1]::text::bigint FROM pg_class c JOIN pg_namespace n "
    "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
)


class DatabaseCommandError(QuayopsError):
    """pg_dump, psql or pg_restore failed, or its output was cut short; the message quotes its stderr."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, component=COMPONENT, hint=hint)


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stderr: str


class CommandRunner(Protocol):
    """Runs database client commands where the database is: here, or in its pod through pods/exec."""

    def run(self, argv: Sequence[str], *, stdin: IO[bytes] | None = None,
            stdout: IO[bytes] | None = None) -> CommandResult:
        """Run `argv`, feeding `stdin` and streaming its output into `stdout` (discarded when None)."""
        ...

    def stage_file(self, path: Path) -> contextlib.AbstractContextManager[str]:
        """The path under which `path` is readable by the commands (copied there for the block, if needed)."""
        ...


class LocalRunner:
    """Runs the commands as local subprocesses with `env` added (PGHOST, PGPORT, PGUSER, PGPASSWORD, …).

    `bindir` prefixes bare command names (e.g. /usr/lib/postgresql/15/bin).
    """

    def __init__(self, *, env: Mapping[str, str] | None = None, bindir: str | Path | None = None) -> None:
        self.env = dict(env or {})
        self.bindir = Path(bindir) if bindir is not None else None

    def run(self, argv: Sequence[str], *, stdin: IO[bytes] | None = None,
            stdout: IO[bytes] | None = None) -> CommandResult:
        argv = list(argv)
        if self.bindir is not None and "/" not in argv[0]:
            argv[0] = str(self.bindir / argv[0])
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE if stdout is not None else subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=os.environ | self.env)
        if stdout is not None:
            with contextlib.suppress(OSError):  # a bigger pipe is an optimisation, not a need
                fcntl.fcntl(proc.stdout.fileno(), F_SETPIPE_SZ, CHUNK)
        stderr = bytearray()
        threads = [threading.Thread(target=_read_tail, args=(proc.stderr, stderr), daemon=True)]
        if stdin is not None:
            threads.append(threading.Thread(target=_pump, args=(stdin, proc.stdin), daemon=True))
        for thread in threads:
            thread.start()
        try:
            if stdout is not None:
                while chunk := proc.stdout.read(CHUNK):
                    stdout.write(chunk)
            proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            for thread in threads:
                thread.join()
        return CommandResult(proc.returncode, stderr.decode(errors="replace"))

    @contextlib.contextmanager
    def stage_file(self, path: Path) -> Iterator[str]:
        yield str(path)


def _pump(source: IO[bytes], sink: IO[bytes]) -> None:
    try:
        while chunk := source.read(CHUNK):
            sink.write(chunk)
    except BrokenPipeError:
        pass  # the command stopped reading; its exit code and stderr say why
    finally:
        with contextlib.suppress(BrokenPipeError):
            sink.close()


def _read_tail(source: IO[bytes], tail: bytearray) -> None:
    while chunk := source.read(65536):
        tail += chunk
        del tail[:-STDERR_LIMIT]


class _HashingWriter:
    """A sink that hashes, counts and keeps the last bytes of what passes through it."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.tail = b""

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.out.write(data)
        if self.size < len(CUSTOM_MAGIC):
            self.head = (self.head + data)[: len(CUSTOM_MAGIC)]
        self.size += len(data)
        self.tail = (self.tail + data[-256:])[-256:]
        return len(data)


@dataclass(frozen=True)
class DumpInfo:
    """A dump on disk: its path, `sha256:<hex>` digest, size, format, database and how long it took."""

    path: str
    digest: str
    size: int
    format: str
    dbname: str
    seconds: float


@dataclass(frozen=True)
class RestoreInfo:
    dbname: str
    format: str
    jobs: int
    seconds: float


def _check(result: CommandResult, what: str, *, hint: str | None = None) -> None:
    if result.exit_code != 0:
        stderr = describe_error(RuntimeError(result.stderr.strip()[-1000:])) if result.stderr.strip() else "no stderr"
        raise DatabaseCommandError(f"{what} failed (exit {result.exit_code}): {stderr}", hint=hint)


def _user_args(user: str | None) -> list[str]:
    return ["-U", user] if user else []


def dump_database(runner: CommandRunner, *, dbname: str, out_path: str | Path, user: str | None = None,
                  fmt: DumpFormat = "plain", pg_dump: str = "pg_dump") -> DumpInfo:
    """Dump `dbname` with `pg_dump -C` (plain SQL, the guide's default; or custom format) streamed into
    `out_path` (0600, appears only when complete) while hashing it."""
    if fmt not in ("plain", "custom"):
        raise ValueError(f"dump format must be 'plain' or 'custom', not {fmt!r}")
    argv = [pg_dump, "-C", *(["-Fc"] if fmt == "custom" else []), *_user_args(user), "--", dbname]
    started = time.monotonic()
    with open_private(out_path) as out:
        sink = _HashingWriter(out)
        result = runner.run(argv, stdout=sink)
        _check(result, f"pg_dump of database {dbname!r}",
               hint="Nothing was written; the database is unchanged. Fix the cause and dump again.")
        complete = sink.head == CUSTOM_MAGIC if fmt == "custom" else PLAIN_TRAILER in sink.tail
        if not complete:
            raise DatabaseCommandError(
                f"pg_dump of database {dbname!r} exited 0 but its {fmt} output is incomplete "
                f"({sink.size} bytes)", hint="The stream was cut short; dump again.")
        out.flush()
        os.fsync(out.fileno())
    return DumpInfo(str(out_path), "sha256:" + sink.sha256.hexdigest(), sink.size, fmt, dbname,
                    round(time.monotonic() - started, 3))


def detect_dump_format(dump_path: str | Path) -> DumpFormat:
    """`custom` when the file starts with pg_dump's archive magic, else `plain`."""
    with open(dump_path, "rb") as f:
        return "custom" if f.read(len(CUSTOM_MAGIC)) == CUSTOM_MAGIC else "plain"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def restore_database(runner: CommandRunner, *, dump_path: str | Path, dbname: str, user: str | None = None,
                     jobs: int = 1, maintenance_db: str = "postgres", psql: str = "psql",
                     pg_restore: str = "pg_restore") -> RestoreInfo:
    """Drop `dbname` (ending its sessions) and load a `pg_dump -C` dump, which recreates it (guide 11.2.3).

    Plain dumps go through `psql` with ON_ERROR_STOP; custom ones through `pg_restore -C`, with `-j jobs`
    reading the file where the runner stages it.
    """
    fmt = detect_dump_format(dump_path)
    if jobs > 1 and fmt != "custom":
        raise ValueError("parallel restore (jobs > 1) needs a custom-format dump")
    started = time.monotonic()
    connect = [*_user_args(user), "-d", maintenance_db]
    terminate = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 f"WHERE datname = {quote_literal(dbname)} AND pid <> pg_backend_pid()")
    _check(runner.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", *connect, "-c", terminate,
                       "-c", f"DROP DATABASE IF EXISTS {quote_ident(dbname)}"]),
           f"dropping database {dbname!r}", hint="The database was not changed.")
    hint = f"Database {dbname!r} was dropped and is partly loaded; run the restore again."
    with open(dump_path, "rb") as dump:
        if fmt == "plain":
            _check(runner.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", *connect], stdin=dump),
                   f"loading {Path(dump_path).name} into {dbname!r}", hint=hint)
        elif jobs > 1:
            with runner.stage_file(Path(dump_path)) as staged:
                _check(runner.run([pg_restore, "-C", "--exit-on-error", "-j", str(jobs), *connect, staged]),
                       f"pg_restore of {Path(dump_path).name} into {dbname!r}", hint=hint)
        else:
            _check(runner.run([pg_restore, "-C", "--exit-on-error", *connect], stdin=dump),
                   f"pg_restore of {Path(dump_path).name} into {dbname!r}", hint=hint)
    return RestoreInfo(dbname, fmt, jobs, round(time.monotonic() - started, 3))


Database = psycopg.Connection | CommandRunner


def _query(db: Database, sql: str, *, dbname: str | None, user: str | None, psql: str) -> list[list[str]]:
    """Rows of one query as text, over a psycopg connection or through `psql` on a runner."""
    if isinstance(db, psycopg.Connection):
        return [[str(v) if v is not None else "" for v in row] for row in db.execute(sql).fetchall()]
    if dbname is None:
        raise ValueError("dbname is required when querying through a command runner")
    sink = io.BytesIO()
    _check(db.run([psql, "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", *_user_args(user), "-d", dbname,
                   "-c", sql], stdout=sink), f"query on database {dbname!r}")
    return [line.split("\t") for line in sink.getvalue().decode().splitlines() if line]


def table_row_counts(db: Database, *, dbname: str | None = None, user: str | None = None,
                     psql: str = "psql") -> dict[str, int]:
    """Exact row counts of every table in the public schema (Quay's user, repository, tag, manifest, …)."""
    return {name: int(count) for name, count in _query(db, ROW_COUNTS_SQL, dbname=dbname, user=user, psql=psql)}


def referenced_blob_digests(db: Database, *, table: str = "imagestorage", column: str = "content_checksum",
                            where: str | None = "uploading IS NOT TRUE", dbname: str | None = None,
                            user: str | None = None, psql: str = "psql") -> set[str]:
    """Every blob digest the database references: by default Quay's imagestorage.content_checksum of
    finished uploads, the blobs a restored registry needs in its bucket."""
    sql = (f"SELECT DISTINCT {quote_ident(column)} FROM {quote_ident(table)} "
           f"WHERE {quote_ident(column)} IS NOT NULL" + (f" AND ({where})" if where else ""))
    return {row[0] for row in _query(db, sql, dbname=dbname, user=user, psql=psql)}


IMAGES_SQL = ('SELECT u.username || \'/\' || r.name, m.digest FROM manifest m JOIN repository r ON r.id = m.repository_id '
              'JOIN "user" u ON u.id = r.namespace_user_id ORDER BY 1, 2')


def image_manifests(db: Database, *, dbname: str | None = None, user: str | None = None,
                    psql: str = "psql") -> list[dict[str, str]]:
    """Every manifest Quay holds, as `{"repository": "<namespace>/<name>", "digest"}`: what a restore must serve."""
    return [{"repository": repo, "digest": digest}
            for repo, digest in _query(db, IMAGES_SQL, dbname=dbname, user=user, psql=psql)]
