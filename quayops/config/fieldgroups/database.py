"""Mirrors config-tool pkg/lib/fieldgroups/database and shared.ValidateDatabaseConnection up to the first
I/O: pgx/pgconn v1.8.1's pre-connect DSN parsing and the MySQL CA lookup (config-facts §4.1)."""

from __future__ import annotations

import posixpath
from urllib.parse import parse_qsl, quote_plus

from quayops.config.certs import pem_has_certificate
from quayops.config.fieldgroups.rules import (
    Field,
    GoURL,
    crash,
    finding,
    parse_url,
    read_fields,
    read_mapping,
    url_error,
)
from quayops.model.findings import Finding

GROUP = "Database"
DB_URI_REQUIRED = "DB_URI is required."
CONNECT_ERROR = "Could not connect to database. Error: {error}"
INVALID_SCHEME = "you must use a valid scheme"
MYSQL_CA_MISSING = "Could not find database.pem in config bundle"
MYSQL_CA_NOT_PEM = "Could not add CA cert to pool"
PGCONN_TLS_ERROR = "cannot parse `{dsn}`: failed to configure TLS ({error})"
SSLMODE_INVALID = "sslmode is invalid"
CA_NOT_ADDED = "unable to add CA to cert pool"
NO_DATABASE_PATH = "DB_URI has a host but no database path (config-tool slices the first character off an empty path)"
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
VERIFY_MODES = ("verify-ca", "verify-full")
# config-tool writes database.pem to a temporary file with a random name; quayops shows this path instead
TEMP_CA_PATH = "/tmp/database.pem"
MASKED_PASSWORD = "xxxxx"
ARGS_FIELDS = (
    Field("threadlocals", bool, "bool", False),
    Field("autorollback", bool, "bool", False),
    Field("sslmode", str, "string", ""),
    Field("sslrootcert", str, "string", ""),
)


def parse(config: dict) -> dict:
    """The constructor: DB_CONNECTION_ARGS (a mapping, `ssl` too, or a panic), then DB_URI."""
    args = read_mapping(config, "DB_CONNECTION_ARGS") or {}
    ssl = read_mapping(args, "ssl", where="DB_CONNECTION_ARGS.ssl")
    fg = {"ssl_ca": "" if ssl is None else read_fields(ssl, (Field("ca", str, "string", ""),))["ca"]}
    fg |= read_fields(args, ARGS_FIELDS)
    return fg | read_fields(config, (Field("DB_URI", str, "string", ""),))


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """DB_URI required, a postgresql or mysql+pymysql scheme, and the checks pgconn or the MySQL CA lookup
    make before connecting; the connection and pg_trgm check are online only."""
    fg = parse(config)
    raw = fg["DB_URI"]
    if not raw:
        return [finding(GROUP, DB_URI_REQUIRED, "DB_URI")]
    try:
        uri = parse_url(raw)
    except ValueError as e:
        return [_connect_error(url_error(_mask_raw(raw), e))]
    if not uri.path:
        return [finding(GROUP, crash(NO_DATABASE_PATH), "DB_URI")]
    if uri.scheme == "postgresql":
        error = _check_postgres(uri, fg["sslmode"], files)
    elif uri.scheme == "mysql+pymysql":
        error = _check_mysql(fg["ssl_ca"], files)
    else:
        error = INVALID_SCHEME
    return [] if error is None else [_connect_error(error)]


def _connect_error(error: str) -> Finding:
    return finding(GROUP, CONNECT_ERROR.format(error=error), "DB_URI")


def _check_postgres(uri: GoURL, sslmode: str, files: dict[str, bytes]) -> str | None:
    """pgconn.ParseConfig's TLS configuration on the rebuilt DSN: sslmode value, then the CA file."""
    query = dict(parse_qsl(uri.raw_query, keep_blank_values=True))
    if sslmode:
        query["sslmode"] = sslmode
    verify = sslmode in VERIFY_MODES
    if verify:
        query["sslrootcert"] = TEMP_CA_PATH
    mode = query.get("sslmode", "prefer")
    if mode not in SSLMODES:
        return PGCONN_TLS_ERROR.format(dsn=_redacted_dsn(uri, query), error=SSLMODE_INVALID)
    if verify and not pem_has_certificate(files.get("database.pem", b"")):
        return PGCONN_TLS_ERROR.format(dsn=_redacted_dsn(uri, query), error=CA_NOT_ADDED)
    return None


def _check_mysql(ca: str, files: dict[str, bytes]) -> str | None:
    """v0.1.12 looks up the base name of DB_CONNECTION_ARGS.ssl.ca among the bundle files."""
    if not ca:
        return None
    pem = files.get(posixpath.basename(ca))
    if pem is None:
        return MYSQL_CA_MISSING
    return None if pem_has_certificate(pem) else MYSQL_CA_NOT_PEM


def _redacted_dsn(uri: GoURL, query: dict[str, str]) -> str:
    """pgconn's redactPW of the URL DSN: the password replaced by xxxxx; query encoded like url.Values."""
    userinfo = ""
    if uri.username is not None:
        userinfo = uri.username + (f":{MASKED_PASSWORD}" if uri.password is not None else "") + "@"
    encoded = "&".join(f"{quote_plus(k, safe='-_.~')}={quote_plus(v, safe='-_.~')}" for k, v in sorted(query.items()))
    return f"{uri.scheme}://{userinfo}{uri.host}{uri.path}" + (f"?{encoded}" if encoded else "")


def _mask_raw(raw: str) -> str:
    """A DB_URI that does not parse, with anything between `:` and `@` in the authority masked."""
    head, sep, rest = raw.partition("://")
    userinfo, at, tail = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return raw
    return f"{head}://{userinfo.split(':', 1)[0]}:{MASKED_PASSWORD}@{tail}"
