"""Managed `postgres` and `redis` made real: the registry's database in the PostgreSQL server (user and password
from DB_URI in the managed keys, with pg_trgm as the postgres-bootstrap Secret does) and its Services on loopback.
"""

from __future__ import annotations

import hashlib
import logging

from simulator.controllers.base import Context, Key, Watched
from simulator.dataplane.directory import Address, ServiceDirectory
from simulator.dataplane.postgres import PostgresServer
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

    def __init__(self, ctx: Context, directory: ServiceDirectory, *, postgres: PostgresServer,
                 redis: RedisServer | None) -> None:
        self.ctx, self.directory, self.postgres, self.redis = ctx, directory, postgres, redis
        self._created: dict[Key, str] = {}  # registry → digest of the DB_URI its database was created for
        self.watches = (Watched("apps/v1", "Deployment", registry_keys), Watched("v1", "Secret", registry_keys))

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        database = self.ctx.read("apps/v1", "Deployment", f"{name}-quay-database", ns)
        after = None
        if database is not None and not database["metadata"].get("deletionTimestamp"):
            after = self._ensure_database(key)
        else:
            self.directory.unregister(ns, f"{name}-quay-database")
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
        digest = hashlib.sha256(uri.encode()).hexdigest()
        if self._created.get(key) != digest:
            database, user, password = credentials
            self.postgres.create_database(database, owner=user, password=password)
            self._created[key] = digest
            log.info("database %s created for registry %s/%s", database, ns, name)
        self.directory.register(ns, f"{name}-quay-database", {
            p: Address(self.postgres.host, self.postgres.port) for p in (5432, "postgres")})
        return None
