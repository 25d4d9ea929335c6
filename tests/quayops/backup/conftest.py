"""Real SeaweedFS and PostgreSQL once per session (the simulator's data-plane servers); each test gets its
own bucket, database and backup directory, and blobs laid out as Quay stores them."""

from __future__ import annotations

import hashlib
import itertools
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quayops.backup.blobs import make_s3_client
from quayops.backup.postgres import LocalRunner
from quayops.backup.procedures import DataPlane
from simulator.dataplane.objectstore import SeaweedServer
from simulator.dataplane.postgres import PostgresServer

STORAGE_PATH = "datastorage/registry"
_names = itertools.count()


@pytest.fixture(scope="session")
def seaweed() -> Iterator[SeaweedServer]:
    with SeaweedServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


def blob_key(data: bytes) -> str:
    """Where Quay stores a blob: `<storage_path>/sha256/<2 hex>/<64 hex>`."""
    hexdigest = hashlib.sha256(data).hexdigest()
    return f"{STORAGE_PATH}/sha256/{hexdigest[:2]}/{hexdigest}"


@dataclass
class Bucket:
    """A fresh bucket on the session's SeaweedFS with a client for the copies (its events hookable)."""

    name: str
    client: Any

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)

    def put_blobs(self, count: int, *, seed: int, max_size: int = 96 * 1024) -> dict[str, bytes]:
        """`count` distinct random blobs under Quay's layout, sizes from empty to `max_size`; key → content."""
        rng = random.Random(seed)
        blobs: dict[str, bytes] = {}
        while len(blobs) < count:
            data = rng.randbytes(rng.choice([0, 1, rng.randrange(2, 4096), rng.randrange(4096, max_size)]))
            blobs[blob_key(data)] = data
        for key, data in blobs.items():
            self.put(key, data)
        return blobs

    def contents(self) -> dict[str, bytes]:
        keys = [o["Key"] for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
                for o in page.get("Contents", [])]
        return {k: self.client.get_object(Bucket=self.name, Key=k)["Body"].read() for k in keys}


@pytest.fixture
def make_bucket(seaweed: SeaweedServer) -> Callable[[], Bucket]:
    def make() -> Bucket:
        name = f"backup-{next(_names)}-{os.getpid()}"
        seaweed.create_bucket(name)
        client = make_s3_client(seaweed.endpoint, access_key=seaweed.admin_access_key,
                                secret_key=seaweed.admin_secret_key, workers=8)
        return Bucket(name, client)
    return make


@pytest.fixture
def bucket(make_bucket: Callable[[], Bucket]) -> Bucket:
    return make_bucket()


@dataclass
class Database:
    name: str
    runner: LocalRunner
    server: PostgresServer

    def execute(self, sql: str) -> None:
        with self.server.connect(self.name) as conn:
            conn.execute(sql)


@pytest.fixture
def database(postgres: PostgresServer) -> Database:
    """A database shaped like a small Quay one (user, repository, imagestorage, manifest, manifestblob)."""
    name = f"quay-{next(_names)}-{os.getpid()}"
    postgres.create_database(name, owner=name, password="db-password-1234", extensions=())
    db = Database(name, LocalRunner(env={"PGHOST": postgres.host, "PGPORT": str(postgres.port),
                                         "PGUSER": "postgres"}), postgres)
    db.execute("""
        CREATE TABLE "user" (id serial PRIMARY KEY, username text NOT NULL);
        CREATE TABLE repository (id serial PRIMARY KEY, namespace_user_id int REFERENCES "user", name text);
        CREATE TABLE imagestorage (id serial PRIMARY KEY, content_checksum text UNIQUE, image_size bigint,
                                   uploading boolean);
        CREATE TABLE manifest (id serial PRIMARY KEY, repository_id int REFERENCES repository, digest text);
        CREATE TABLE manifestblob (id serial PRIMARY KEY, manifest_id int REFERENCES manifest,
                                   blob_id int REFERENCES imagestorage);
        INSERT INTO "user" (username) SELECT 'user' || g FROM generate_series(1, 250) g;
        INSERT INTO repository (namespace_user_id, name) SELECT 1 + g % 250, 'repo' || g
            FROM generate_series(1, 400) g;
    """)
    return db


@dataclass
class QuayData:
    """A registry's data: rows referencing every blob of the bucket (each blob shared by three manifests)."""

    database: Database
    bucket: Bucket
    blobs: dict[str, bytes]

    def plane(self, **overrides: Any) -> DataPlane:
        return DataPlane(**{"runner": self.database.runner, "dbname": self.database.name,
                            "bucket": self.bucket.name, "s3": self.bucket.client, "workers": 4,
                            "progress": False} | overrides)


@pytest.fixture
def quay_data(database: Database, bucket: Bucket) -> QuayData:
    blobs = bucket.put_blobs(40, seed=70)
    values = ", ".join(f"('sha256:{hashlib.sha256(d).hexdigest()}', {len(d)}, false)" for d in blobs.values())
    database.execute(f"""
        INSERT INTO imagestorage (content_checksum, image_size, uploading) VALUES {values};
        INSERT INTO manifest (repository_id, digest) SELECT 1 + g % 400, 'sha256:' || md5(g::text)
            FROM generate_series(1, 3) g;
        INSERT INTO manifestblob (manifest_id, blob_id) SELECT m.id, s.id FROM manifest m, imagestorage s;
    """)
    return QuayData(database, bucket, blobs)


@pytest.fixture
def backup_dir(tmp_path: Path) -> Path:
    return tmp_path / "backup"
