"""Starting bundles from the guide's presets (3.1–3.5), shaped so that they validate clean.

Where the guide's own example fails config-tool as written (config-facts §6), the preset writes the
corrected form and returns a note saying what differs from the guide.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

# guide 3.1.6: the configuration recommended for automation
AUTOMATION = {
    "FEATURE_USER_INITIALIZE": True,
    "BROWSER_API_CALLS_XHR_ONLY": False,
    "SUPER_USERS": ["quayadmin"],
    "FEATURE_USER_CREATION": False,
}
# guide 3.1.5: Red Hat Quay 3.7 features
FEATURES_37 = {
    "FEATURE_QUOTA_MANAGEMENT": True,
    "FEATURE_BUILD_SUPPORT": True,
    "FEATURE_PROXY_CACHE": True,
    "FEATURE_STORAGE_REPLICATION": True,
    "DEFAULT_SYSTEM_REJECT_QUOTA_BYTES": 102400000,
}
_AZURE_KEY = base64.b64encode(b"replace-with-your-azure-account-key").decode()

# guide 3.2.1.x: unmanaged storage, one location per driver (location id, driver, params)
STORAGE = {
    "s3": ("s3Storage", "S3Storage", {
        "host": "s3.us-east-2.amazonaws.com", "s3_access_key": "ABCDEFGHIJKLMN",
        "s3_secret_key": "OL3ABCDEFGHIJKLMN", "s3_bucket": "quay_bucket",
        "storage_path": "/datastorage/registry"}),
    "gcs": ("googleCloudStorage", "GoogleCloudStorage", {
        "access_key": "GOOGQIMFB3ABCDEFGHIJKLMN", "bucket_name": "quay-bucket",
        "secret_key": "FhDAYe2HeuAKfvZCAGyOioNaaRABCDEFGHIJKLMN", "storage_path": "/datastorage/registry"}),
    "azure": ("azureStorage", "AzureStorage", {
        "azure_account_name": "azure_account_name_here", "azure_container": "azure_container_here",
        "storage_path": "/datastorage/registry", "azure_account_key": _AZURE_KEY}),
    "radosgw": ("radosGWStorage", "RadosGWStorage", {
        "access_key": "access_key_here", "secret_key": "secret_key_here", "bucket_name": "bucket_name_here",
        "hostname": "hostname_here", "is_secure": True, "port": "443", "storage_path": "/datastorage/registry"}),
    "swift": ("swiftStorage", "SwiftStorage", {
        "swift_user": "swift_user_here", "swift_password": "swift_password_here",
        "swift_container": "swift_container_here", "auth_url": "https://example.org/swift/v1/quay",
        "auth_version": 1, "ca_cert_path": "/conf/stack/swift.cert", "storage_path": "/datastorage/registry"}),
    "noobaa": ("default", "RHOCSStorage", {
        "access_key": "WmrXtSGk8B3nABCDEFGH",
        "bucket_name": "my-noobaa-bucket-claim-8b844191-dc6c-444e-9ea4-87ece0abcdef",
        "hostname": "s3.openshift-storage.svc.cluster.local", "is_secure": True, "port": "443",
        "secret_key": "X9P5SDGJtmSuHFCMSLMbdNCMfUABCDEFGH+C5QD", "storage_path": "/datastorage/registry"}),
    "local": ("default", "LocalStorage", {"storage_path": "/datastorage/registry"}),
}
STORAGE_NOTES = {
    "azure": "azure_account_key is a base64 placeholder: the guide's `azure_account_key_here` (3.2.1.3) is "
             "rejected by config-tool (illegal base64 data at input byte 5). Put your real account key here.",
    "radosgw": "is_secure is the boolean true: the guide's `is_secure: 'true'` (3.2.1.4) is a string and "
               "config-tool aborts with `is_secure must be of type boolean`; its DISTRIBUTED_STORAGE_PREFERENCE "
               "`[default]` also names no configured location, fixed to radosGWStorage.",
    "noobaa": "is_secure is the boolean true (the Red Hat docs' NooBaa example writes the string 'true', "
              "which config-tool rejects).",
    "local": "LocalStorage keeps blobs inside the pod: for testing only, and it cannot be geo-replicated.",
}
STORAGE_CHOICES = ("managed", *STORAGE)
# guide 3.3.1 and 3.5.1
EXTERNAL_DB_URI = "postgresql://test-quay-database:postgres@test-quay-database:5432/test-quay-database"
EXTERNAL_REDIS = {"host": "quay-server.example.com", "port": 6379, "ssl": False}


@dataclass
class NewBundle:
    """A bundle to write: config.yaml content, extra files, the QuayRegistry components, and notes."""

    config: dict
    files: dict[str, bytes] = field(default_factory=dict)
    components: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def new_bundle(
    *,
    hostname: str | None = None,
    automation: bool = True,
    features: bool = False,
    storage: str = "managed",
    storage_params: dict | None = None,
    db_uri: str | None = None,
    redis: dict | None = None,
    tls_pair: tuple[bytes, bytes] | None = None,
) -> NewBundle:
    """Compose a starting bundle. Unmanaged choices mark their component unmanaged in `components`.

    `db_uri` or `redis` given means an external database or Redis (placeholders from the guide when
    passed as ""/{}); `tls_pair` (cert, key) means tls unmanaged with a passthrough route (guide 3.4).
    """
    if storage not in STORAGE_CHOICES:
        raise ValueError(f"storage must be one of {', '.join(STORAGE_CHOICES)}, got {storage!r}")
    if features and storage == "local":
        raise ValueError("storage local cannot go with features: FEATURE_STORAGE_REPLICATION is not "
                         "supported by LocalStorage (config-tool DistributedStorage)")
    out = NewBundle(config={})
    if hostname:
        out.config["SERVER_HOSTNAME"] = hostname
    if automation:
        out.config.update(AUTOMATION)
    if features:
        out.config.update(FEATURES_37)
        if storage == "managed":
            # an objectstorage key in the bundle while objectstorage is managed is ConfigInvalid (§3.3 rule A)
            del out.config["FEATURE_STORAGE_REPLICATION"]
            out.notes.append("FEATURE_STORAGE_REPLICATION (guide 3.1.5) is left out: with managed objectstorage "
                             "the operator refuses a bundle that holds it (ConfigInvalid); geo-replication needs "
                             "unmanaged storage (guide 10.2).")
        else:
            out.notes.append("FEATURE_STORAGE_REPLICATION is on (guide 3.1.5): geo-replication also needs "
                             "unmanaged database, Redis and TLS, shared by every site (guide 10.2).")
    if storage != "managed":
        loc, driver, params = STORAGE[storage]
        out.config["DISTRIBUTED_STORAGE_CONFIG"] = {loc: [driver, {**params, **(storage_params or {})}]}
        out.config["DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS"] = []
        out.config["DISTRIBUTED_STORAGE_PREFERENCE"] = [loc]
        out.components.append({"kind": "objectstorage", "managed": False})
        if storage in STORAGE_NOTES:
            out.notes.append(STORAGE_NOTES[storage])
    if db_uri is not None:
        out.config["DB_URI"] = db_uri or EXTERNAL_DB_URI
        out.components.append({"kind": "postgres", "managed": False})
    if redis is not None:
        conf = {**EXTERNAL_REDIS, **redis}
        out.config["BUILDLOGS_REDIS"] = dict(conf)
        out.config["USER_EVENTS_REDIS"] = dict(conf)
        out.components.append({"kind": "redis", "managed": False})
    if tls_pair:
        out.files["ssl.cert"], out.files["ssl.key"] = tls_pair
        out.components.append({"kind": "tls", "managed": False})
        if not hostname:
            out.notes.append("tls is unmanaged: set SERVER_HOSTNAME to a name your ssl.cert covers (guide 3.4).")
    return out
