"""Opt-in online checks: connect to the database, Redis and object storage a config names.

config-tool always makes these calls (config-facts §2); quayops makes them only when asked, with
short timeouts, and reports each probe as its own result. The one module of `quayops.config` with I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from quayops.model.findings import Finding
from quayops.redaction import mask_uri

TIMEOUT_S = 3
S3_LIKE = {"S3Storage", "RadosGWStorage", "RHOCSStorage", "CloudFrontedS3Storage", "GoogleCloudStorage"}


@dataclass(frozen=True)
class ProbeResult:
    """One connection attempt: what was probed (no secrets), whether it answered, and what it said."""

    probe: str
    target: str
    ok: bool
    message: str
    field_group: str

    def to_dict(self) -> dict:
        return {"probe": self.probe, "target": self.target, "ok": self.ok, "message": self.message}

    def finding(self) -> Finding:
        return Finding("online", self.message, field_group=self.field_group, field=self.probe)


def probe_config(config: Mapping) -> list[ProbeResult]:
    """Probe every server the config names: DB_URI, both Redis, and each S3-like storage location."""
    results = []
    if isinstance(config.get("DB_URI"), str):
        results.append(probe_database(config["DB_URI"], config.get("DB_CONNECTION_ARGS") or {}))
    for key in ("BUILDLOGS_REDIS", "USER_EVENTS_REDIS"):
        if isinstance(config.get(key), Mapping):
            results.append(probe_redis(key, config[key]))
    storage = config.get("DISTRIBUTED_STORAGE_CONFIG")
    for loc, entry in (storage.items() if isinstance(storage, Mapping) else ()):
        if isinstance(entry, list) and len(entry) >= 2 and isinstance(entry[1], Mapping):
            results.append(probe_storage(loc, entry[0], entry[1]))
    return results


def probe_database(uri: str, args: Mapping) -> ProbeResult:
    """Connect, then require pg_trgm as config-tool does for PostgreSQL."""
    parts = urlsplit(uri)
    target = f"{parts.hostname}:{parts.port or 5432}{parts.path}"
    if parts.scheme.lower() != "postgresql":
        return ProbeResult("DB_URI", mask_uri(uri), False,
                           f"not probed: quayops probes PostgreSQL only (scheme {parts.scheme or 'none'})",
                           "Database")
    import psycopg

    try:
        with psycopg.connect(
            host=parts.hostname, port=parts.port or 5432, dbname=unquote(parts.path.lstrip("/")),
            user=unquote(parts.username or ""), password=unquote(parts.password or ""),
            connect_timeout=TIMEOUT_S, sslmode=args.get("sslmode") or "prefer",
        ) as conn:
            names = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
    except psycopg.Error as e:
        return ProbeResult("DB_URI", target, False, f"Could not connect to database. Error: {_first_line(e)}",
                           "Database")
    if "pg_trgm" not in names:
        msg = ("Could not connect to database. Error: if you are using a Postgres database, you must "
               "install the pg_trgm extension")
        return ProbeResult("DB_URI", target, False, msg, "Database")
    return ProbeResult("DB_URI", target, True, "connected; pg_trgm installed", "Database")


def probe_redis(key: str, conf: Mapping) -> ProbeResult:
    """PING the Redis server (TLS without verification when ssl is true, as config-tool does)."""
    import redis

    host, port = conf.get("host"), conf.get("port") or 6379
    target = f"{host}:{port}"
    try:
        client = redis.Redis(host=host, port=port, password=conf.get("password") or None,
                             ssl=conf.get("ssl") is True, ssl_cert_reqs=None,
                             socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
        client.ping()
    except redis.RedisError as e:
        msg = f"Could not connect to Redis with values provided in {key}. Error: {_first_line(e)}"
        return ProbeResult(key, target, False, msg, "Redis")
    return ProbeResult(key, target, True, "PONG", "Redis")


def probe_storage(location: str, driver: str, args: Mapping) -> ProbeResult:
    """Ask an S3-compatible endpoint whether the bucket exists (minio's BucketExists in config-tool)."""
    field = f"DISTRIBUTED_STORAGE_CONFIG.{location}"
    if driver not in S3_LIKE:
        return ProbeResult(field, driver, False, f"not probed: quayops probes S3-compatible drivers only ({driver})",
                           "DistributedStorage")
    import boto3
    import botocore.config
    import botocore.exceptions

    s3 = driver in ("S3Storage", "CloudFrontedS3Storage")
    host = args.get("host" if s3 else "hostname") or (
        "storage.googleapis.com" if driver == "GoogleCloudStorage" else "s3.amazonaws.com")
    secure = args.get("is_secure", True) is not False
    port = args.get("port")
    endpoint = f"{'https' if secure else 'http'}://{host}{f':{port}' if port else ''}"
    bucket = args.get("s3_bucket" if s3 else "bucket_name")
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=args.get("s3_access_key" if s3 else "access_key"),
        aws_secret_access_key=args.get("s3_secret_key" if s3 else "secret_key"),
        config=botocore.config.Config(connect_timeout=TIMEOUT_S, read_timeout=TIMEOUT_S,
                                      retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )
    try:
        client.head_bucket(Bucket=bucket)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        return ProbeResult(field, f"{endpoint}/{bucket}", False,
                           f"Could not connect to storage {location}. Error: {_first_line(e)}", "DistributedStorage")
    return ProbeResult(field, f"{endpoint}/{bucket}", True, "bucket exists", "DistributedStorage")


def _first_line(e: Exception) -> str:
    return mask_uri(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__)
