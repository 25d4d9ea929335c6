"""The manifest of a backup (what was taken: versions, counts, row counts, every blob and file with its digest,
timings), its offline verification, and optional AES-256-GCM encryption of the backup's files."""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import os
import struct
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from quayops.backup.blobs import CHUNK, BlobRecord, PreviousBlobs, file_digest, key_digest, missing_blobs
from quayops.backup.postgres import DumpInfo
from quayops.backup.steps import open_private, write_json
from quayops.errors import PreconditionFailed, QuayopsError

MANIFEST_FILE = "manifest.json"
BLOBS_DIR = "blobs"
FORMAT = 1
KEY_ENV = "QUAYOPS_BACKUP_KEY"
ALGORITHM = "AES-256-GCM"
ENCRYPTED_SUFFIX = ".enc"
MAGIC = b"QOPSENC1"
NONCE_PREFIX = 7  # + 4-byte chunk counter + 1-byte last-chunk flag = GCM's 12-byte nonce
TAG = 16
HEADER = struct.Struct(">8s7sI")  # magic, nonce prefix, chunk size


class BackupKeyError(QuayopsError):
    """The encryption key is missing, malformed, or not the one the backup was encrypted with."""


@dataclass
class Manifest:
    """What a backup holds. `database`, `files` and `blobs` entries carry `path`, `size` and `digest` of the
    plaintext, plus `stored` (path, size, digest of the ciphertext) once encrypted. Blob paths are under
    `blobs/`, the others under the backup directory. Never holds a secret or the key."""

    registry: dict[str, str]
    versions: dict[str, str]
    database: dict[str, Any] | None
    tables: dict[str, int]
    blobs: list[dict[str, Any]]
    referenced_digests: list[str]
    files: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    vendor: dict[str, str] = field(default_factory=dict)  # parts left to the vendor's tools: step → why
    timings: dict[str, float] = field(default_factory=dict)
    created: str = ""
    format: int = FORMAT
    encryption: dict[str, Any] | None = None

    @property
    def objects(self) -> dict[str, int]:
        addressed = sum(1 for b in self.blobs if key_digest(b["key"]))
        return {"count": len(self.blobs), "bytes": sum(b["size"] for b in self.blobs),
                "content_addressed": addressed, "other": len(self.blobs) - addressed}

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"objects": self.objects}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        return cls(**{k: v for k, v in data.items() if k != "objects"})


def build_manifest(directory: str | Path, *, registry: Mapping[str, str], versions: Mapping[str, str],
                   dump: DumpInfo | None, tables: Mapping[str, int], blobs: Sequence[BlobRecord],
                   referenced_digests: Sequence[str] | set[str], files: Sequence[str] = (),
                   images: Sequence[Mapping[str, str]] = (), vendor: Mapping[str, str] | None = None,
                   timings: Mapping[str, float] | None = None) -> Manifest:
    """A manifest of what `directory` holds. Every blob must be on disk with its recorded size; `files`
    (paths relative to `directory`) are hashed now; raises rather than record what is not there.
    The dump's path may be relative to `directory`."""
    directory = Path(directory)
    if missing := missing_blobs(directory / BLOBS_DIR, blobs):
        raise QuayopsError(f"{len(missing)} blob(s) are not on disk with their recorded size, first "
                           f"{missing[0]!r}; the manifest was not written.", component="objectstorage",
                           field=missing[0], hint="Run the blob copy again (resume).")
    database = None
    if dump is not None:
        rel = os.path.relpath(directory / dump.path, directory)
        database = {"dbname": dump.dbname, "format": dump.format, "path": rel, "size": dump.size,
                    "digest": dump.digest, "seconds": dump.seconds}
    file_entries = []
    for rel in files:
        size, digest = file_digest(directory / rel)
        file_entries.append({"path": rel, "size": size, "digest": digest})
    return Manifest(registry=dict(registry), versions=dict(versions), database=database, tables=dict(tables),
                    blobs=[b.to_json() for b in sorted(blobs, key=lambda b: b.key)],
                    referenced_digests=sorted(referenced_digests), files=file_entries,
                    images=[dict(i) for i in images], vendor=dict(vendor or {}), timings=dict(timings or {}),
                    created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"))


def write_manifest(directory: str | Path, manifest: Manifest) -> Path:
    """Write `manifest.json` (0600, atomically) into the backup directory."""
    path = Path(directory) / MANIFEST_FILE
    write_json(path, manifest.to_json())
    return path


def read_manifest(directory: str | Path) -> Manifest:
    """The manifest of a finished backup; raises naming the directory when there is none."""
    path = Path(directory) / MANIFEST_FILE
    try:
        return Manifest.from_json(json.loads(path.read_text()))
    except FileNotFoundError as e:
        raise PreconditionFailed(f"{directory} has no {MANIFEST_FILE}: it is not a backup, or its backup did "
                                 "not finish.", hint="Resume the backup, or give a finished one.") from e


def load_previous_blobs(directory: str | Path) -> PreviousBlobs:
    """The blobs of an earlier backup for an incremental copy; encrypted ones cannot be linked and are left out."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    return PreviousBlobs(directory / BLOBS_DIR,
                         [BlobRecord.from_json(b) for b in manifest.blobs if "stored" not in b])


def _entries(manifest: Manifest) -> Iterator[tuple[dict[str, Any], str]]:
    """Every file entry with its plaintext path relative to the backup directory."""
    if manifest.database is not None:
        yield manifest.database, manifest.database["path"]
    for entry in manifest.files:
        yield entry, entry["path"]
    for entry in manifest.blobs:
        yield entry, f"{BLOBS_DIR}/{entry['path']}"


# --- verification ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    path: str
    problem: str


@dataclass
class VerifyReport:
    """The result of `verify_backup`: per-file problems, and the consistency of blobs with the database."""

    directory: str
    files: int = 0
    bytes: int = 0
    problems: list[Problem] = field(default_factory=list)
    referenced: int = 0
    missing: list[str] = field(default_factory=list)
    orphans: int = 0
    other_objects: int = 0
    encrypted: bool = False
    plaintext_checked: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems and not self.missing

    def summary(self) -> str:
        verdict = "OK" if self.ok else "FAILED"
        text = (f"backup {self.directory}: {verdict}: {self.files} files, {self.bytes} bytes checked; "
                f"{len(self.problems)} problem(s); {self.referenced} referenced blobs, {len(self.missing)} "
                f"missing, {self.orphans} orphan(s), {self.other_objects} other object(s)")
        if self.encrypted and not self.plaintext_checked:
            text += "; encrypted: ciphertext checked only (give the key to check the content)"
        return text


def verify_backup(directory: str | Path, *, key: bytes | None = None, workers: int = 4) -> VerifyReport:
    """Recompute every checksum of a backup offline and check its consistency: every blob the database
    references is in the backup (missing ones listed) and how many blobs nothing references (orphans).

    Encrypted backups are decrypted in memory, chunk by chunk, with `key`; without it the ciphertext's
    recorded digests are checked.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    report = VerifyReport(str(directory), encrypted=manifest.encryption is not None)
    if manifest.encryption is not None and key is not None:
        _check_key_id(manifest, key)
    report.plaintext_checked = manifest.encryption is None or key is not None

    def check(item: tuple[dict[str, Any], str]) -> tuple[str, int, str | None]:
        entry, rel = item
        stored = entry.get("stored")
        try:
            if stored is None:
                size, digest = file_digest(directory / rel)
                want = (entry["size"], entry["digest"])
            elif key is not None:
                size, digest = _decrypted_digest(directory / stored["path"], key, aad=rel.encode())
                want = (entry["size"], entry["digest"])
            else:
                size, digest = file_digest(directory / stored["path"])
                want = (stored["size"], stored["digest"])
        except FileNotFoundError:
            return rel, 0, "missing"
        except InvalidTag:
            return rel, 0, "does not decrypt: tampered with, truncated or another key"
        if (size, digest) != want:
            return rel, size, f"is {size} bytes with {digest}, the manifest says {want[0]} bytes with {want[1]}"
        return rel, size, None

    bad_blobs: set[str] = set()
    with ThreadPoolExecutor(workers) as pool:
        for rel, size, problem in pool.map(check, _entries(manifest)):
            report.files += 1
            report.bytes += size
            if problem is not None:
                report.problems.append(Problem(rel, problem))
                bad_blobs.add(rel)
    present = {b["digest"] for b in manifest.blobs
               if key_digest(b["key"]) and f"{BLOBS_DIR}/{b['path']}" not in bad_blobs}
    referenced = set(manifest.referenced_digests)
    report.referenced = len(referenced)
    report.missing = sorted(referenced - present)
    report.orphans = sum(1 for b in manifest.blobs if key_digest(b["key"]) and b["digest"] not in referenced)
    report.other_objects = manifest.objects["other"]
    return report


# --- encryption -----------------------------------------------------------------------------------------

def generate_key() -> str:
    """A new random 256-bit backup key, base64url-encoded (store it as a Secret or a 0600 file)."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


def load_key(*, path: str | Path | None = None, env: str = KEY_ENV) -> bytes:
    """The 32-byte backup key from a file (base64url or hex text, or 32 raw bytes), else from `$env`."""
    if path is not None:
        raw = Path(path).read_bytes()
        source = f"key file {path}"
    elif os.environ.get(env):
        raw = os.environ[env].encode()
        source = f"${env}"
    else:
        raise BackupKeyError(f"no backup key: ${env} is not set and no key file was given",
                             hint="Create one with quayops.backup.manifest.generate_key().")
    return parse_key(raw, source=source)


def parse_key(raw: bytes, *, source: str) -> bytes:
    """A 32-byte key from base64url or hex text, or 32 raw bytes; `source` names where it came from in errors."""
    if len(raw) == 32:
        return raw
    text = raw.strip().decode(errors="replace")
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.urlsafe_b64decode(text)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) == 32:
        return key
    raise BackupKeyError(f"the backup key in {source} is not 32 bytes (raw, hex or base64url)")


def key_id(key: bytes) -> str:
    """A fingerprint naming the key in the manifest without revealing it."""
    return hashlib.sha256(b"quayops-backup-key-id\0" + key).hexdigest()[:16]


def _check_key_id(manifest: Manifest, key: bytes) -> None:
    if manifest.encryption["key_id"] != key_id(key):
        raise BackupKeyError(f"this backup was encrypted with key {manifest.encryption['key_id']}, "
                             f"not with the key given ({key_id(key)})")


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


def encrypt_file(source: IO[bytes], out: IO[bytes], key: bytes, *, aad: bytes) -> None:
    """Encrypt a stream in 1 MiB chunks, each sealed with AES-256-GCM; the last chunk is marked, so a
    truncated, reordered or moved (`aad` is the file's path) ciphertext does not decrypt."""
    aead = AESGCM(key)
    prefix = os.urandom(NONCE_PREFIX)
    header = HEADER.pack(MAGIC, prefix, CHUNK)
    out.write(header)
    counter = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK) if len(chunk) == CHUNK else b""
        last = not following
        out.write(aead.encrypt(_nonce(prefix, counter, last), chunk, header + aad))
        if last:
            return
        chunk, counter = following, counter + 1


def iter_decrypted(source: IO[bytes], key: bytes, *, aad: bytes) -> Iterator[bytes]:
    """The plaintext chunks of an `encrypt_file` stream; raises InvalidTag on any tampering or truncation."""
    header = source.read(HEADER.size)
    if len(header) != HEADER.size:
        raise InvalidTag
    magic, prefix, chunk_size = HEADER.unpack(header)
    if magic != MAGIC:
        raise InvalidTag
    aead = AESGCM(key)
    counter = 0
    sealed = source.read(chunk_size + TAG)
    while True:
        following = source.read(chunk_size + TAG) if len(sealed) == chunk_size + TAG else b""
        yield aead.decrypt(_nonce(prefix, counter, not following), sealed, header + aad)
        if not following:
            return
        sealed, counter = following, counter + 1


def _decrypted_digest(path: Path, key: bytes, *, aad: bytes) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        for chunk in iter_decrypted(f, key, aad=aad):
            digest.update(chunk)
            size += len(chunk)
    return size, "sha256:" + digest.hexdigest()


def encrypt_backup(directory: str | Path, key: bytes, *, workers: int = 4) -> Manifest:
    """Encrypt every file of a backup in place (`<file>.enc`, the plaintext removed) and record it in the
    manifest with the key's fingerprint, never the key. Hard-linked blobs of other backups stay intact.

    Re-running after an interruption finishes the job.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest.encryption is not None:
        _check_key_id(manifest, key)

    def encrypt(item: tuple[dict[str, Any], str]) -> None:
        entry, rel = item
        plain, sealed = directory / rel, directory / (rel + ENCRYPTED_SUFFIX)
        if plain.exists():
            with plain.open("rb") as source, open_private(sealed) as out:
                encrypt_file(source, out, key, aad=rel.encode())
            plain.unlink()
        size, digest = file_digest(sealed)
        entry["stored"] = {"path": rel + ENCRYPTED_SUFFIX, "size": size, "digest": digest}

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(encrypt, _entries(manifest)))
    manifest.encryption = {"algorithm": ALGORITHM, "chunk_size": CHUNK, "key_id": key_id(key)}
    write_manifest(directory, manifest)
    return manifest


def decrypt_backup(directory: str | Path, key: bytes, *, workers: int = 4) -> Manifest:
    """Decrypt an encrypted backup in place, checking every file's digest, before a restore reads it."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest.encryption is None:
        raise PreconditionFailed(f"backup {directory} is not encrypted.", hint="Nothing was changed.")
    _check_key_id(manifest, key)

    def decrypt(item: tuple[dict[str, Any], str]) -> None:
        entry, rel = item
        stored = entry.get("stored")
        if stored is None:
            return
        sealed = directory / stored["path"]
        if not sealed.exists() and (directory / rel).exists():  # decrypted by an interrupted run
            del entry["stored"]
            return
        with sealed.open("rb") as source, open_private(directory / rel) as out:
            digest = hashlib.sha256()
            for chunk in iter_decrypted(source, key, aad=rel.encode()):
                digest.update(chunk)
                out.write(chunk)
            if "sha256:" + digest.hexdigest() != entry["digest"]:
                raise QuayopsError(f"{rel} decrypted to content that does not match the manifest",
                                   field=rel, hint="The backup was altered before it was encrypted.")
        sealed.unlink()
        del entry["stored"]

    try:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(decrypt, _entries(manifest)))
    except InvalidTag as e:
        raise QuayopsError(f"a file of backup {directory} does not decrypt: tampered with or truncated",
                           hint="Run verify_backup with the key to list every damaged file.") from e
    manifest.encryption = None
    write_manifest(directory, manifest)
    return manifest
