"""Real PostgreSQL and SeaweedFS once per session; each test gets its own database, bucket and Quay app."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import oras.client
import psycopg
import pytest
import requests

from simulator.dataplane.objectstore import SeaweedServer
from simulator.dataplane.postgres import PostgresServer
from simulator.dataplane.quayapp import QuayAppServer

ADMIN, ADMIN_PASSWORD, ADMIN_EMAIL = "quayadmin", "quaypass123", "quayadmin@example.com"
STORAGE_PATH = "/datastorage/registry"
DB_SERVICE, S3_SERVICE = "registry-quay-database", "s3.openshift-storage.svc.cluster.local"
_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def seaweed() -> Iterator[SeaweedServer]:
    with SeaweedServer() as server:
        yield server


@dataclass
class Registry:
    """One simulated Quay with its own database and bucket; `token` is set once the admin is initialized."""

    admin: ClassVar[str] = ADMIN
    admin_password: ClassVar[str] = ADMIN_PASSWORD
    admin_email: ClassVar[str] = ADMIN_EMAIL
    app: QuayAppServer
    config: dict[str, Any]
    dsn: str
    bucket: str
    s3: Any
    token: str = ""

    @property
    def host(self) -> str:
        return self.app.url.removeprefix("http://")

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return requests.request(method, self.app.url + path, headers=headers, timeout=30, **kwargs)

    def initialize(self) -> dict[str, Any]:
        response = self.api("POST", "/api/v1/user/initialize", json={
            "username": ADMIN, "password": ADMIN_PASSWORD, "email": ADMIN_EMAIL, "access_token": True})
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        return response.json()

    def rows(self, query: str, *params: Any) -> list[tuple]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(query, params).fetchall()

    def object_keys(self) -> list[str]:
        return sorted(o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", []))

    def oras(self, *, username: str = ADMIN, password: str = ADMIN_PASSWORD, push_to: str | None = None
             ) -> oras.client.OrasClient:
        """An oras client logged in with basic credentials; its token flow is oras' own.

        oras-py keeps one bearer token and re-sends it after a 401, so a token obtained for a blob HEAD
        (pull) would never be upgraded to push; `push_to` makes its first challenge a push one, through a
        request Quay authorizes for push (GET of an unknown upload, answered 404).
        """
        client = oras.client.OrasClient(hostname=self.host, insecure=True)
        client.auth.set_basic_auth(username, password)
        if push_to:
            response = client.do_request(f"{self.app.url}/v2/{push_to}/blobs/uploads/unknown", "GET")
            assert response.status_code == 404, response.text
        return client


def quay_config(*, dsn_password: str, database: str, bucket: str, access_key: str, secret_key: str
                ) -> dict[str, Any]:
    """A final config.yaml as the operator renders it for managed postgres and objectstorage."""
    return {
        "SERVER_HOSTNAME": "registry-quay-quay-enterprise.apps.example.com",
        "SECRET_KEY": f"secret-{database}", "DATABASE_SECRET_KEY": f"dbsecret-{database}",
        "FEATURE_USER_INITIALIZE": True, "SUPER_USERS": [ADMIN], "AUTHENTICATION_TYPE": "Database",
        "DB_URI": f"postgresql://{database}:{dsn_password}@{DB_SERVICE}:5432/{database}",
        "DISTRIBUTED_STORAGE_CONFIG": {"local_us": ["RHOCSStorage", {
            "hostname": S3_SERVICE, "port": 443, "is_secure": False, "access_key": access_key,
            "secret_key": secret_key, "bucket_name": bucket, "storage_path": STORAGE_PATH}]},
        "DISTRIBUTED_STORAGE_PREFERENCE": ["local_us"], "DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS": [],
    }


@pytest.fixture
def make_registry(postgres: PostgresServer, seaweed: SeaweedServer) -> Iterator[Callable[..., Registry]]:
    """Build a fresh registry: database with pg_trgm, bucket with its own keys, a started Quay app."""
    started: list[QuayAppServer] = []

    def make(**overrides: Any) -> Registry:
        n = next(_counter)
        database, bucket = f"quay{n}-{os.getpid()}", f"quay-bucket-{n}-{os.getpid()}"
        password, access_key, secret_key = f"dbpass-{n}", f"AKQUAY{n}X{os.getpid()}", f"sk-quay-{n}-secret"
        dsn = postgres.create_database(database, owner=database, password=password)
        seaweed.create_bucket(bucket, access_key=access_key, secret_key=secret_key)
        config = quay_config(dsn_password=password, database=database, bucket=bucket, access_key=access_key,
                             secret_key=secret_key) | overrides
        addresses = {DB_SERVICE: (postgres.host, postgres.port), S3_SERVICE: ("127.0.0.1", seaweed.s3_port)}
        app = QuayAppServer(config, resolve=lambda host, port: addresses.get(host, (host, port))).start()
        started.append(app)
        return Registry(app=app, config=config, dsn=dsn, bucket=bucket,
                        s3=seaweed.client(access_key=access_key, secret_key=secret_key))

    yield make
    for app in started:
        app.stop()


@pytest.fixture
def registry(make_registry: Callable[..., Registry]) -> Registry:
    return make_registry()


@pytest.fixture
def admin_registry(registry: Registry) -> Registry:
    """A registry whose first user (quayadmin, a superuser) is initialized, with an org and a repository."""
    registry.initialize()
    assert registry.api("POST", "/api/v1/organization/", json={"name": "acme", "email": "acme@example.com"}
                        ).status_code == 201
    assert registry.api("POST", "/api/v1/repository", json={
        "namespace": "acme", "repository": "app", "visibility": "private", "description": "d"}).status_code == 201
    return registry
