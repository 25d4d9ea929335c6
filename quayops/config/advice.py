"""The guide's advice where it is stricter than the code (SPEC §3 layer 3): warnings, never errors.

Each warning cites the guide section it comes from. The caller passes the registry's defaulted
components as `managed` (kind → managed), so this module stays free of operator logic.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from quayops.model.findings import Finding

TLS_WITHOUT_ROUTE = (
    "tls is managed while route is unmanaged: the guide (3.4) says a managed tls needs a managed route; "
    "the operator 3.7 accepts it, but no route gets the cluster certificate."
)
BUILDERS_WITH_MANAGED_TLS = (
    "FEATURE_BUILD_SUPPORT is on while tls is managed: Red Hat Quay 3.7 does not support builders "
    "with operator-managed TLS (guide 3.4, 9.3.1). Mark tls unmanaged and provide ssl.cert/ssl.key."
)
CERT_WITHOUT_SAN = (
    "ssl.cert has no Subject Alternative Names: Quay 3.7 matches hostnames on SANs only; add the "
    "registry host{builder} to the SAN list (guide 9.3.2.2, 12.2.2.2). GODEBUG=x509ignoreCN=0 is a "
    "temporary workaround that does not persist."
)
CERT_MISSES_BUILDER_HOST = (
    "ssl.cert does not list the builder route host {host} among its SANs: builders need the quay route "
    "and the builder route names, or a wildcard (guide 9.3.1)."
)
UNKNOWN_LOCATION = (
    "{key} names {location}, which is not a location in DISTRIBUTED_STORAGE_CONFIG "
    "(configured: {configured}). Quay 3.7 does not check this; blobs would go nowhere (guide 3.2, 10.3)."
)
REGISTRATION_TIMEOUT = (
    "BUILD_MANAGER JOB_REGISTRATION_TIMEOUT is {value}: the guide advises at least 3600, or builds fail "
    "with 'Invalid build token: signature has expired' (guide 9.3.2.1)."
)
SWIFT_TENANT = (
    "Swift location {location} uses auth_version 3 without os_options.tenant_id: upgrades from 3.3 fail "
    "with 'Swift auth v3 requires tenant_id (string) in os_options' (guide 12.2.3). Add tenant_id."
)
AZURE_REDIS_PORT = (
    "{key} uses ssl: true on port {port}: Azure Cache for Redis serves TLS on port 6380 (guide 3.5.1)."
)
GEO_REPLICATION = (
    "FEATURE_STORAGE_REPLICATION is on: geo-replication needs {what} (guide 10.2)."
)
GEO_IDENTICAL = (
    "Geo-replication: every site must use this exact config.yaml; choose each site's storage with the "
    "QUAY_DISTRIBUTED_STORAGE_PREFERENCE env override on the quay and mirror components (guide 10.2, "
    "10.3.1)."
)
IMAGE_TAG = (
    "{env}={image} is a tag reference: the guide requires digests (@sha256:...) for operator image "
    "overrides (8.4); a tag can move under a running registry."
)


def advise(
    config: Mapping,
    files: Mapping[str, bytes],
    *,
    managed: Mapping[str, bool],
    env_overrides: Mapping[str, Collection[str]] | None = None,
) -> list[Finding]:
    """Warnings from the guide for this config and these components, in guide-section order.

    `env_overrides` maps a component kind to the env var names its overrides set.
    """
    out: list[Finding] = []
    tls, route = managed.get("tls", True), managed.get("route", True)
    if tls and not route:
        out.append(Finding("guide", TLS_WITHOUT_ROUTE, component="tls"))
    if config.get("FEATURE_BUILD_SUPPORT") is True and tls:
        out.append(Finding("guide", BUILDERS_WITH_MANAGED_TLS, component="tls", field="FEATURE_BUILD_SUPPORT"))
    out += _storage_locations(config)
    out += _redis_ports(config)
    out += _certificate(config, files)
    out += _builder_timeout(config)
    out += _geo_replication(config, files, managed, env_overrides or {})
    return out


def advise_image_override(env: str, image: str) -> list[Finding]:
    """The guide's digest rule for RELATED_IMAGE_COMPONENT_* overrides (8.4)."""
    if "@sha256:" in image:
        return []
    return [Finding("guide", IMAGE_TAG.format(env=env, image=image), field=env)]


def _storage_locations(config: Mapping) -> list[Finding]:
    dsc = config.get("DISTRIBUTED_STORAGE_CONFIG")
    if not isinstance(dsc, Mapping):
        return []
    out = []
    for key in ("DISTRIBUTED_STORAGE_PREFERENCE", "DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS"):
        for loc in config.get(key) or []:
            if isinstance(loc, str) and loc not in dsc:
                msg = UNKNOWN_LOCATION.format(key=key, location=loc, configured=", ".join(dsc) or "none")
                out.append(Finding("guide", msg, field_group="DistributedStorage", field=key))
    for loc, entry in dsc.items():
        if isinstance(entry, list) and len(entry) >= 2 and entry[0] == "SwiftStorage":
            args = entry[1] if isinstance(entry[1], Mapping) else {}
            opts = args.get("os_options")
            if str(args.get("auth_version")) == "3" and not (
                isinstance(opts, Mapping) and isinstance(opts.get("tenant_id"), str)
            ):
                out.append(
                    Finding(
                        "guide",
                        SWIFT_TENANT.format(location=loc),
                        field_group="DistributedStorage",
                        field=f"DISTRIBUTED_STORAGE_CONFIG.{loc}.os_options.tenant_id",
                    )
                )
    return out


def _redis_ports(config: Mapping) -> list[Finding]:
    out = []
    for key in ("BUILDLOGS_REDIS", "USER_EVENTS_REDIS"):
        r = config.get(key)
        if isinstance(r, Mapping) and r.get("ssl") is True and r.get("port") not in (None, 6380):
            out.append(
                Finding("guide", AZURE_REDIS_PORT.format(key=key, port=r.get("port")), field_group="Redis",
                        field=f"{key}.port")
            )
    return out


def _builder_host(config: Mapping) -> str | None:
    host = config.get("BUILDMAN_HOSTNAME")
    return host.split(":")[0] if isinstance(host, str) and host else None


def _certificate(config: Mapping, files: Mapping[str, bytes]) -> list[Finding]:
    pem = files.get("ssl.cert")
    if not pem:
        return []
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return []  # config-tool and the operator report unreadable certificates
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        builder = _builder_host(config)
        text = CERT_WITHOUT_SAN.format(builder=f" and the builder host {builder}" if builder else "")
        return [Finding("guide", text, field_group="HostSettings", field="ssl.cert")]
    builder = _builder_host(config)
    if builder and not any(_dns_match(name, builder) for name in sans.get_values_for_type(x509.DNSName)):
        return [Finding("guide", CERT_MISSES_BUILDER_HOST.format(host=builder), field="ssl.cert")]
    return []


def _dns_match(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        return "." in host and host.split(".", 1)[1] == pattern[2:]
    return pattern == host


def _builder_timeout(config: Mapping) -> list[Finding]:
    bm = config.get("BUILD_MANAGER")
    args = bm[1] if isinstance(bm, list) and len(bm) == 2 else (
        next(iter(bm.values())) if isinstance(bm, Mapping) and len(bm) == 1 else None
    )
    if not isinstance(args, Mapping):
        return []
    value = args.get("JOB_REGISTRATION_TIMEOUT")
    if isinstance(value, int) and not isinstance(value, bool) and value < 3600:
        return [Finding("guide", REGISTRATION_TIMEOUT.format(value=value), field_group="BuildManager",
                        field="BUILD_MANAGER.JOB_REGISTRATION_TIMEOUT")]
    return []


def _geo_replication(
    config: Mapping, files: Mapping[str, bytes], managed: Mapping[str, bool], env: Mapping[str, Collection[str]]
) -> list[Finding]:
    if config.get("FEATURE_STORAGE_REPLICATION") is not True:
        return []
    out = []
    for kind in ("objectstorage", "postgres", "redis", "clairpostgres"):
        if managed.get(kind, True):
            out.append(Finding("guide", GEO_REPLICATION.format(what=f"{kind} unmanaged (shared by every site)"),
                               component=kind))
    if managed.get("tls", True) or not (files.get("ssl.cert") and files.get("ssl.key")):
        out.append(Finding("guide", GEO_REPLICATION.format(what="tls unmanaged with ssl.cert and ssl.key"),
                           component="tls"))
    missing = [k for k in ("quay", "mirror") if "QUAY_DISTRIBUTED_STORAGE_PREFERENCE" not in env.get(k, ())]
    if missing:
        out.append(Finding("guide", GEO_IDENTICAL, component=missing[0], field="QUAY_DISTRIBUTED_STORAGE_PREFERENCE"))
    return out
