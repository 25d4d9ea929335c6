"""Managed `postgres` and `redis` made real: each registry's database pod is its own PostgreSQL server (roles are
cluster-wide, so registries of the same name in two namespaces must not share one) holding the database DB_URI
names, with its user and password and pg_trgm as the postgres-bootstrap Secret does; Services on loopback.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from simulator.controllers.base import Context, Key, Watched
from simulator.dataplane.directory import Address, ServiceDirectory
from simulator.dataplane.postgres import PostgresServer
from simulator.dataplane.processes import StartGate, run_each, start_on_free_ports
from simulator.dataplane.redis import RedisServer
from simulator.dataplane.registries import (
    MANAGED_KEYS,
    database_credentials,
    final_config,
    read_secret,
    registry_keys,
)

log = logging.getLogger(__name__)


class ManagedBackends:
    """Controller: `<name>-quay-database` and `<name>-quay-redis` Deployments → real backends and Services."""

    name = "managed-backends"

    def __init__(self, ctx: Context, directory: ServiceDirectory, *, redis: RedisServer | None,
                 data_dir: Path | None = None) -> None:
        self.ctx, self.directory, self.redis, self.data_dir = ctx, directory, redis, data_dir
        self.databases: dict[Key, PostgresServer] = {}
        self._gate = StartGate()
        self._created: dict[Key, str] = {}  # registry → digest of the DB_URI its database was created for
        self.watches = (Watched("apps/v1", "Deployment", registry_keys), Watched("v1", "Secret", registry_keys))

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        database = self.ctx.read("apps/v1", "Deployment", f"{name}-quay-database", ns)
        after = None
        if database is not None and not database["metadata"].get("deletionTimestamp"):
            after = self._ensure_database(key)
        else:
            self._remove_database(key)
        redis = self.ctx.read("apps/v1", "Deployment", f"{name}-quay-redis", ns)
        if redis is not None and self.redis is not None and self.redis.port:
            self.directory.register(ns, f"{name}-quay-redis", {
                p: Address(self.redis.host, self.redis.port) for p in (6379, "redis")})
        else:
            self.directory.unregister(ns, f"{name}-quay-redis")
        return after

    def _ensure_database(self, key: Key) -> float | None:
        """Create the database DB_URI names (idempotent); look again shortly while DB_URI is not there yet."""
        ns, name = key
        uri = read_secret(self.ctx, f"{name}-{MANAGED_KEYS}", ns).get("DB_URI", b"").decode()
        if not uri:
            app = self.ctx.read("apps/v1", "Deployment", f"{name}-quay-app", ns)
            uri = str(final_config(self.ctx, app)[1].get("DB_URI") or "") if app is not None else ""
        credentials = database_credentials(uri)
        if credentials is None:
            return 1.0
        with self._gate as open_:
            if not open_:
                return None  # the data plane is stopping: a server started now would outlive it
            server = self.databases.get(key)
            if server is None:
                root = self.data_dir / ns / name if self.data_dir is not None else None
                server = self.databases[key] = PostgresServer(data_dir=root)  # known before it runs: stop() sees it
            if not server.running:
                start_on_free_ports(server)
        digest = hashlib.sha256(uri.encode()).hexdigest()
        if self._created.get(key) != digest:
            database, user, password = credentials
            server.create_database(database, owner=user, password=password)
            self._created[key] = digest
            log.info("database %s created for registry %s/%s", database, ns, name)
        self.directory.register(ns, f"{name}-quay-database", {
            p: Address(server.host, server.port) for p in (5432, "postgres")})
        return None

    def _remove_database(self, key: Key) -> None:
        """The database Deployment is gone: so is its server (its data too, unless kept in data_dir)."""
        self.directory.unregister(key[0], f"{key[1]}-quay-database")
        self._created.pop(key, None)
        server = self.databases.pop(key, None)
        if server is not None:
            server.stop()

    def stop(self) -> None:
        """Start no more servers (waiting for a start in progress), then stop every one started."""
        self._gate.close()
        run_each([lambda key=key: self._remove_database(key) for key in list(self.databases)])
