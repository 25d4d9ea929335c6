"""The parts of a final Quay config.yaml the simulated Quay uses: database, storage, host, features, users.

`resolve(host, port)` maps in-cluster addresses (Service DNS names) to where the real servers listen; a third
item, when given, says whether the real server speaks TLS (SeaweedFS serves plain HTTP where NooBaa's S3 speaks TLS).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

Resolve = Callable[[str, int], tuple[str, int] | tuple[str, int, bool]]

S3_DRIVERS = ("RHOCSStorage", "RadosGWStorage", "S3Storage")


class ConfigUnsupported(ValueError):
    """The config asks for something the simulated Quay cannot serve (another database or storage driver)."""


def _identity(host: str, port: int) -> tuple[str, int] | tuple[str, int, bool]:
    return host, port


@dataclass(frozen=True)
class StorageSettings:
    location: str
    driver: str
    endpoint: str
    bucket: str
    storage_path: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    verify: bool | str = True


@dataclass(frozen=True)
class QuaySettings:
    server_hostname: str
    preferred_url_scheme: str
    db_conninfo: dict[str, Any] = field(repr=False)
    storage: StorageSettings
    secret_key: bytes = field(repr=False)
    user_initialize: bool
    super_users: frozenset[str]
    authentication_type: str
    create_private_repo_on_push: bool


def load_settings(config: Mapping[str, Any], *, resolve: Resolve | None = None,
                  storage_verify: bool | str = True) -> QuaySettings:
    """Read a final Quay config into settings; raises ConfigUnsupported naming the field."""
    resolve = resolve or _identity
    secret = str(config.get("DATABASE_SECRET_KEY") or config.get("SECRET_KEY") or "")
    if not secret:
        raise ConfigUnsupported("SECRET_KEY (or DATABASE_SECRET_KEY) is required to sign tokens")
    return QuaySettings(
        server_hostname=str(config.get("SERVER_HOSTNAME") or "localhost"),
        preferred_url_scheme=str(config.get("PREFERRED_URL_SCHEME") or "http"),
        db_conninfo=_db_conninfo(config, resolve),
        storage=_storage(config, resolve, storage_verify),
        secret_key=hashlib.sha256(secret.encode()).digest(),
        user_initialize=bool(config.get("FEATURE_USER_INITIALIZE", False)),
        super_users=frozenset(config.get("SUPER_USERS") or ()),
        authentication_type=str(config.get("AUTHENTICATION_TYPE") or "Database"),
        create_private_repo_on_push=bool(config.get("CREATE_PRIVATE_REPO_ON_PUSH", True)),
    )


def _db_conninfo(config: Mapping[str, Any], resolve: Resolve) -> dict[str, Any]:
    uri = config.get("DB_URI")
    if not uri:
        raise ConfigUnsupported("DB_URI is missing")
    parts = urlsplit(str(uri))
    if not parts.scheme.startswith("postgresql"):
        raise ConfigUnsupported(f"DB_URI scheme {parts.scheme!r}: the simulated Quay speaks PostgreSQL only")
    host, port = resolve(parts.hostname or "localhost", parts.port or 5432)[:2]
    info: dict[str, Any] = {"host": host, "port": port, "dbname": unquote(parts.path.lstrip("/")),
                            "user": unquote(parts.username or "")}
    if parts.password is not None:
        info["password"] = unquote(parts.password)
    for key in ("sslmode", "sslrootcert"):
        if key in (config.get("DB_CONNECTION_ARGS") or {}):
            info[key] = config["DB_CONNECTION_ARGS"][key]
    return info


def _storage(config: Mapping[str, Any], resolve: Resolve, verify: bool | str) -> StorageSettings:
    storages = config.get("DISTRIBUTED_STORAGE_CONFIG") or {}
    if not storages:
        raise ConfigUnsupported("DISTRIBUTED_STORAGE_CONFIG is missing")
    preference = list(config.get("DISTRIBUTED_STORAGE_PREFERENCE") or [])
    location = preference[0] if preference and preference[0] in storages else next(iter(storages))
    driver, params = storages[location][0], dict(storages[location][1] or {})
    if driver not in S3_DRIVERS:
        raise ConfigUnsupported(f"DISTRIBUTED_STORAGE_CONFIG.{location}: driver {driver!r} is not simulated; "
                                f"use one of {', '.join(S3_DRIVERS)}")
    if driver == "S3Storage":
        bucket, access, secret = params.get("s3_bucket"), params.get("s3_access_key"), params.get("s3_secret_key")
        if params.get("endpoint_url"):
            url = urlsplit(str(params["endpoint_url"]))
            secure, host, port = url.scheme == "https", url.hostname or "", url.port
        else:
            secure, host, port = True, str(params.get("host") or "s3.amazonaws.com"), params.get("port")
    else:
        bucket, access, secret = params.get("bucket_name"), params.get("access_key"), params.get("secret_key")
        secure, host, port = bool(params.get("is_secure", True)), str(params.get("hostname") or ""), params.get("port")
    port = int(port) if port else (443 if secure else 80)
    target = resolve(host, port)
    host, port = target[0], target[1]
    if len(target) > 2:
        secure = bool(target[2])
    return StorageSettings(
        location=location, driver=driver, endpoint=f"{'https' if secure else 'http'}://{host}:{port}",
        bucket=str(bucket), storage_path=str(params.get("storage_path") or "").strip("/"),
        access_key=str(access or ""), secret_key=str(secret or ""), verify=verify)
