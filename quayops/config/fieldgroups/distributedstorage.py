"""Mirrors config-tool pkg/lib/fieldgroups/distributedstorage and shared/storage_validators.go up to the
first request: minio-go v7.0.5 endpoint and bucket-name checks, azblob's key decoding and the Swift v3
os_options checks (config-facts §4.2)."""

from __future__ import annotations

import ipaddress
import math
import re

from quayops.config.errors import ConfigToolCrash, FieldTypeError
from quayops.config.fieldgroups.rules import (
    Field,
    crash,
    finding,
    parse_url,
    read_fields,
    read_mapping,
    read_string_list,
    url_error,
)
from quayops.model.findings import Finding

GROUP = "DistributedStorage"
KEY = "DISTRIBUTED_STORAGE_CONFIG"
NO_LOCATIONS = "DISTRIBUTED_STORAGE_CONFIG must contain at least one storage location."
LOCAL_REPLICATION = "FEATURE_STORAGE_REPLICATION is not supported by LocalStorage."
NOT_A_DRIVER = "{driver} is not a valid storage type."
NOT_NAME_ARGS = "DISTRIBUTED_STORAGE_CONFIG object values must be of form (Name, Args)"
NAME_NOT_STRING = "First index of value in DISTRIBUTED_STORAGE_CONFIG must be a string"
ARGS_NOT_MAPPING = "Second index of value in DISTRIBUTED_STORAGE_CONFIG must be an object"
SHORT_DEFINITION = "DISTRIBUTED_STORAGE_CONFIG.{loc} has fewer than 2 elements"
ENDPOINT_ERROR = "An error occurred while attempting to connect to {loc} storage. Error: {error}"
BUCKET_ERROR = "Could not connect to storage {loc}. Error: {error}"
AZURE_KEY_ERROR = "Could not create credentials for Azure storage. Error: illegal base64 data at input byte {n}"
SWIFT_VERSION = "{n} must be either 1, 2, or 3."
SWIFT_NO_DOMAIN = "Swift auth v3 requires a domain (string) in os_options"
SWIFT_NO_TENANT = "Swift auth v3 requires tenant_id (string) in os_options"
TOO_MANY_COLONS = "address {ep}: too many colons in address"
NOT_IP_OR_DOMAIN = "Endpoint: {ep} does not follow ip address or domain name standards."
FULL_PATH = "Endpoint url cannot have fully qualified paths."
NOT_AMAZON = "Amazon S3 endpoint should be 's3.amazonaws.com'."
NOT_GOOGLE = "Google Cloud Storage endpoint should be 'storage.googleapis.com'."
BUCKET_EMPTY = "Bucket name cannot be empty"
BUCKET_SHORT = "Bucket name cannot be shorter than 3 characters"
BUCKET_LONG = "Bucket name cannot be longer than 63 characters"
BUCKET_IP = "Bucket name cannot be an ip address"
BUCKET_CHARACTERS = "Bucket name contains invalid characters"
S3_DEFAULT_HOST = "s3.amazonaws.com"
GCS_ENDPOINT = "storage.googleapis.com"
REQUIRED = {
    "LocalStorage": (),
    "S3Storage": ("s3_bucket",),
    "GoogleCloudStorage": ("access_key", "secret_key", "bucket_name"),
    "RadosGWStorage": ("access_key", "secret_key", "hostname", "bucket_name"),
    "RHOCSStorage": ("access_key", "secret_key", "hostname", "bucket_name"),
    "AzureStorage": ("azure_container", "azure_account_name"),
    "CloudFrontedS3Storage": (
        "s3_access_key", "s3_secret_key", "s3_bucket", "cloudfront_distribution_domain", "cloudfront_key_id",
    ),
    "SwiftStorage": ("auth_url", "swift_container", "swift_user", "swift_password"),
}
# storage parameters in the order NewDistributedStorageArgs reads them; "int" ones accept numeric strings
PARAMS = (
    ("access_key", "str"), ("bucket_name", "str"), ("hostname", "str"), ("is_secure", "bool"), ("port", "int"),
    ("secret_key", "str"), ("s3_secret_key", "str"), ("s3_access_key", "str"), ("host", "str"),
    ("s3_bucket", "str"), ("azure_container", "str"), ("azure_account_name", "str"),
    ("azure_account_key", "str"), ("sas_token", "str"), ("storage_path", "str"), ("auth_version", "int"),
    ("auth_url", "str"), ("swift_container", "str"), ("swift_user", "str"), ("swift_password", "str"),
    ("ca_cert_path", "str"), ("temp_url_key", "str"), ("os_options", "map"),
    ("cloudfront_distribution_domain", "str"), ("cloudfront_key_id", "str"),
)
# upstream copy-paste slip: a non-string azure_account_name is reported as azure_container
TYPE_ERROR_NAME = {"azure_account_name": "azure_container"}
_ATOI = re.compile(r"[+-]?[0-9]+")
_IP_LIKE = re.compile(r"(\d+\.){3}\d+")
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_:]{1,61}[A-Za-z0-9]")
_NOT_IN_DOMAIN = set("`~!@#$%^&*()+={}[]|\\\"';:><?/")
_AMAZON_HOSTS = (
    re.compile(r"s3-(.*?)\.amazonaws\.com"), re.compile(r"s3\.dualstack\.(.*?)\.amazonaws\.com"),
    re.compile(r"s3\.(.*?)\.amazonaws\.com"), re.compile(r"s3\.(cn.*?)\.amazonaws\.com\.cn"),
)
_BASE64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def parse(config: dict) -> dict:
    """The constructor, in upstream order: replication flag, preference, default locations, locations."""
    fg = read_fields(config, (Field("FEATURE_STORAGE_REPLICATION", bool, "boolean", False),))
    fg["DISTRIBUTED_STORAGE_PREFERENCE"] = read_string_list(config, "DISTRIBUTED_STORAGE_PREFERENCE")
    fg["DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS"] = read_string_list(config, "DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS")
    locations = read_mapping(config, KEY) or {}
    fg[KEY] = {loc: _parse_definition(loc, definition) for loc, definition in locations.items()}
    return fg


def _parse_definition(loc: str, definition) -> tuple[str, dict]:
    if not isinstance(definition, list):
        raise FieldTypeError(NOT_NAME_ARGS)
    if not definition:
        raise ConfigToolCrash(crash(SHORT_DEFINITION.format(loc=loc)))
    if type(definition[0]) is not str:
        raise FieldTypeError(NAME_NOT_STRING)
    if len(definition) < 2:
        raise ConfigToolCrash(crash(SHORT_DEFINITION.format(loc=loc)))
    if not isinstance(definition[1], dict):
        raise FieldTypeError(ARGS_NOT_MAPPING)
    return definition[0], _parse_args(definition[1])


def _parse_args(args: dict) -> dict:
    parsed = {}
    for name, kind in PARAMS:
        value = args.get(name)
        if name not in args:
            parsed[name] = {"str": "", "bool": False, "int": 0, "map": None}[kind]
        elif kind == "int":
            parsed[name] = _go_int(name, value)
        elif kind == "map":
            if not isinstance(value, dict):
                raise FieldTypeError(f"{name} must be an object")
            parsed[name] = value
        elif type(value) is not {"str": str, "bool": bool}[kind]:
            wording = "string" if kind == "str" else "boolean"
            raise FieldTypeError(f"{TYPE_ERROR_NAME.get(name, name)} must be of type {wording}")
        else:
            parsed[name] = value
    return parsed


def _go_int(name: str, value) -> int:
    """port and auth_version: int, float (truncated), "" (0) or a strconv.Atoi string."""
    if type(value) is int:
        return value
    if type(value) is float and math.isfinite(value):
        return int(value)
    if type(value) is str and (value == "" or _ATOI.fullmatch(value)):
        return int(value or 0)
    raise FieldTypeError(f"{name} must be of type integer")


def validate(config: dict, files: dict[str, bytes]) -> list[Finding]:
    """At least one location; per location the replication rule and the driver's static checks.

    Preference and default locations are never cross-checked (config-facts §4.2 rule 3).
    """
    fg = parse(config)
    if not fg[KEY]:
        return [finding(GROUP, NO_LOCATIONS, KEY)]
    out = []
    for loc, (driver, args) in fg[KEY].items():
        if driver == "LocalStorage" and fg["FEATURE_STORAGE_REPLICATION"]:
            out.append(finding(GROUP, LOCAL_REPLICATION, "FEATURE_STORAGE_REPLICATION"))
        out.extend(finding(GROUP, message, f"{KEY}.{loc}") for message in check_location(loc, driver, args))
    return out


def check_location(loc: str, driver: str, args: dict) -> list[str]:
    """One location's messages: all missing parameters (then stop), else the first client-side error."""
    if driver not in REQUIRED:
        return [NOT_A_DRIVER.format(driver=driver)]
    missing = []
    if driver == "SwiftStorage" and args["auth_version"] not in (1, 2, 3):
        missing.append(SWIFT_VERSION.format(n=args["auth_version"]))
    missing += [f"{KEY}.{loc}.{name} is required" for name in REQUIRED[driver] if not args[name]]
    if missing:
        return missing
    error = _client_error(loc, driver, args)
    return [] if error is None else [error]


def _client_error(loc: str, driver: str, args: dict) -> str | None:
    if driver in ("S3Storage", "CloudFrontedS3Storage"):
        if not (args["s3_access_key"] and args["s3_secret_key"]):
            return None  # S3Storage without keys fetches IAM credentials first: online only
        endpoint = _with_port(args["host"] or S3_DEFAULT_HOST, args["port"])
        return _minio_error(loc, endpoint, args["s3_bucket"])
    if driver == "GoogleCloudStorage":
        return _minio_error(loc, GCS_ENDPOINT, args["bucket_name"])
    if driver in ("RadosGWStorage", "RHOCSStorage"):
        return _minio_error(loc, _with_port(args["hostname"], args["port"]), args["bucket_name"])
    if driver == "AzureStorage" and args["azure_account_key"]:
        n = base64_error_offset(args["azure_account_key"].encode())
        return None if n is None else AZURE_KEY_ERROR.format(n=n)
    if driver == "SwiftStorage" and args["auth_version"] == 3:
        options = args["os_options"] or {}
        if type(options.get("user_domain_name")) is not str:
            return SWIFT_NO_DOMAIN
        if type(options.get("tenant_id")) is not str:
            return SWIFT_NO_TENANT
    return None


def _with_port(host: str, port: int) -> str:
    return f"{host}:{port}" if port else host


def _minio_error(loc: str, endpoint: str, bucket: str) -> str | None:
    error = endpoint_error(endpoint)
    if error is not None:
        return ENDPOINT_ERROR.format(loc=loc, error=error)
    error = bucket_name_error(bucket)
    return None if error is None else BUCKET_ERROR.format(loc=loc, error=error)


def endpoint_error(endpoint: str) -> str | None:
    """minio-go getEndpointURL + isValidEndpointURL, before any request (the scheme does not matter)."""
    host = endpoint
    if ":" in endpoint:
        host = endpoint.rsplit(":", 1)[0]
        if host.startswith("["):
            host = host[1:].removesuffix("]")
        elif ":" in host:
            return TOO_MANY_COLONS.format(ep=endpoint)
    if not (_is_ip(host) or _is_domain(host)):
        return NOT_IP_OR_DOMAIN.format(ep=endpoint)
    raw = "https://" + endpoint
    try:
        url = parse_url(raw)
    except ValueError as e:
        return url_error(raw, e)
    if url.path not in ("", "/"):
        return FULL_PATH
    if ".s3.amazonaws.com" in url.host and not _is_amazon(url.host):
        return NOT_AMAZON
    if ".googleapis.com" in url.host and url.host != GCS_ENDPOINT:
        return NOT_GOOGLE
    return None


def bucket_name_error(bucket: str) -> str | None:
    """minio-go s3utils.CheckValidBucketName (non-strict): underscores and colons are allowed."""
    if not bucket.strip():
        return BUCKET_EMPTY
    if len(bucket) < 3:
        return BUCKET_SHORT
    if len(bucket) > 63:
        return BUCKET_LONG
    if _IP_LIKE.fullmatch(bucket):
        return BUCKET_IP
    if ".." in bucket or ".-" in bucket or "-." in bucket or not _BUCKET.fullmatch(bucket):
        return BUCKET_CHARACTERS
    return None


def base64_error_offset(data: bytes) -> int | None:
    """The N of Go's base64.StdEncoding `illegal base64 data at input byte N`, or None if it decodes."""
    si = 0
    while si < len(data):
        j = 0
        while j < 4:
            if si == len(data):
                return None if j == 0 else si - j
            c = data[si]
            si += 1
            if c in _BASE64:
                j += 1
                continue
            if c in b"\r\n":
                continue
            if c != ord("=") or j < 2:
                return si - 1
            if j == 2:  # "==" expected: the first "=" is consumed
                si = _skip_newlines(data, si)
                if si == len(data):
                    return len(data)
                if data[si] != ord("="):
                    return si - 1
                si += 1
            si = _skip_newlines(data, si)
            return si if si < len(data) else None
    return None


def _skip_newlines(data: bytes, si: int) -> int:
    while si < len(data) and data[si] in b"\r\n":
        si += 1
    return si


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_domain(host: str) -> bool:
    """minio-go s3utils.IsValidDomain."""
    host = host.strip()
    if not host or len(host) > 255 or host[0] in "-_." or host[-1] in "-_":
        return False
    return not any(c in _NOT_IN_DOMAIN for c in host)


def _is_amazon(host: str) -> bool:
    if host in ("s3-external-1.amazonaws.com", S3_DEFAULT_HOST):
        return True
    return any(pattern.fullmatch(host) for pattern in _AMAZON_HOSTS)
