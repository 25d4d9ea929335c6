"""What the operator refuses for a QuayRegistry and its config bundle, with its exact messages.

Mirrors quay-operator controllers/quay/quayregistry_controller.go (reconcile steps 9–19),
controllers/quay/features.go (platform probes), apis/quay/v1/quayregistry_types.go ValidateOverrides,
pkg/kustomize/secrets.go ContainsComponentConfig and EnsureTLSFor, pkg/kustomize/kustomize.go image
overrides and pkg/middleware/middleware.go volume sizes (operator-facts §3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from quayops.config.bundle import Bundle
from quayops.config.certs import check_key_pair, verify_hostname
from quayops.config.errors import ConfigLoadError
from quayops.config.loading import parse_config_yaml
from quayops.errors import QuayopsError
from quayops.model.conditions import ConditionType, Reason
from quayops.model.findings import Finding
from quayops.operator.components import REQUIRED, SUPPORTS_CONFIG_WHEN_MANAGED, Kind, is_managed
from quayops.operator.defaults import ComponentDefaultError, ensure_default_components
from quayops.operator.platform import Platform, buildman_hostname, server_hostname

# §3.1 platform and API dependency errors (reconcile steps 9–12)
ROUTES_CHECK_FAILED = "could not check for `Routes` API: {err}"
CONFIG_UNPARSABLE = "unable to parse config.yaml: {err}"
HOST_SETTING_TYPES = (
    ("EXTERNAL_TLS_TERMINATION", bool, "EXTERNAL_TLS_TERMINATION must be of type bool"),
    ("PREFERRED_URL_SCHEME", str, "PREFERRED_URL_SCHEME must be of type string"),
    ("SERVER_HOSTNAME", str, "SERVER_HOSTNAME must be of type string"),
)
OBJECT_STORAGE_CHECK_FAILED = "error checking for object storage support: {err}"
OBC_LIST_FAILED = "unable to list object bucket claims: {err}"
OBC_KIND_MISSING = 'no matches for kind "ObjectBucketClaim" in version "objectbucket.io/v1alpha1"'
BUCKET_CLAIM_PENDING = "awaiting for bucket claim to be processed"
BUILD_MANAGER_CHECK_FAILED = "could not check for build manager support: {err}"
MONITORING_CHECK_FAILED = "could not check for monitoring support: {err}"
MONITORING_NEEDS_ALL_NAMESPACES = "Monitoring is only supported in AllNamespaces mode. Disabling."
SERVICE_MONITOR_KIND_MISSING = 'no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"'
GRAFANA_NAMESPACE_MISSING = 'unable to get grafana namespace: namespaces "openshift-config-managed" not found'

# §3.2 ValidateOverrides (reconcile step 14)
INVALID_OVERRIDES = "invalid overrides: {err}"
OVERRIDES_ON_UNMANAGED = "cannot set overrides on unmanaged {kind}"
REPLICAS_WITH_MANAGED_HPA = "cannot override replicas with managed HPA"
OVERRIDE_UNSUPPORTED = "component {kind} does not support {override} overrides"
# Which kinds accept each override, in the order ValidateOverrides checks them.
OVERRIDE_SUPPORT: tuple[tuple[str, frozenset[str]], ...] = (
    ("affinity", frozenset({Kind.CLAIR, Kind.MIRROR, Kind.QUAY})),
    ("volumeSize", frozenset({Kind.POSTGRES, Kind.CLAIR})),
    ("env", frozenset({Kind.QUAY, Kind.CLAIR, Kind.MIRROR, Kind.POSTGRES, Kind.REDIS})),
    ("replicas", frozenset({Kind.CLAIR, Kind.MIRROR, Kind.QUAY})),
)

# §3.3 hasNecessaryConfig (reconcile step 18)
COMPONENT_CONFIG_UNVERIFIABLE = "unable to verify component config: {err}"
UNKNOWN_COMPONENT = "unknown component: {kind}"
MANAGED_WITH_CONFIG = "{kind} component marked as managed, but `configBundleSecret` contains required fields"
REQUIRED_WITHOUT_CONFIG = (
    "required component `{kind}` marked as unmanaged, but `configBundleSecret` is missing necessary fields"
)
CLAIRPOSTGRES_WITHOUT_CONFIG = "clairpostgres component unmanaged but no clair postgres config provided"
# ContainsComponentConfig: any ONE of these top-level config.yaml keys means "has config".
CONFIG_KEYS: Mapping[str, tuple[str, ...]] = {
    Kind.CLAIR: (
        "FEATURE_SECURITY_SCANNER",
        "SECURITY_SCANNER_ENDPOINT",
        "SECURITY_SCANNER_INDEXING_INTERVAL",
        "SECURITY_SCANNER_NOTIFICATIONS",
        "SECURITY_SCANNER_V4_ENDPOINT",
        "SECURITY_SCANNER_V4_NAMESPACE_WHITELIST",
    ),
    Kind.POSTGRES: ("DB_CONNECTION_ARGS", "DB_URI"),
    Kind.REDIS: ("BUILDLOGS_REDIS", "USER_EVENTS_REDIS"),
    Kind.OBJECTSTORAGE: (
        "DISTRIBUTED_STORAGE_CONFIG",
        "DISTRIBUTED_STORAGE_PREFERENCE",
        "DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS",
        "FEATURE_STORAGE_REPLICATION",
    ),
    Kind.ROUTE: ("EXTERNAL_TLS_TERMINATION", "PREFERRED_URL_SCHEME", "SERVER_HOSTNAME"),
    Kind.MIRROR: (
        "FEATURE_REPO_MIRROR",
        "REPO_MIRROR_INTERVAL",
        "REPO_MIRROR_SERVER_HOSTNAME",
        "REPO_MIRROR_TLS_VERIFY",
    ),
}
TLS_FILES = ("ssl.cert", "ssl.key")
CLAIR_CONFIG_FILE = "clair-config.yaml"
NEVER_CONFIGURED = frozenset({Kind.HPA, Kind.MONITORING, Kind.QUAY})

# §3.4 errors while rendering (reconcile step 19)
INFLATE_FAILED = "could not inflate kubernetes objects: {err}"
CERT_NOT_VALID_FOR_HOST = "provided certificate pair not valid for host '{host}': {err}"
VOLUME_SHRINK = "cannot shrink volume override size from {size} to {override}"
DEFAULT_VOLUME_SIZE = "50Gi"
IMAGE_OVERRIDE_MALFORMED = "image override must be reference by tag or digest: {image}"
# RELATED_IMAGE_COMPONENT_* by component kind, checked in spec order; the quay image belongs to the
# "base" pseudo-component, checked after the spec's list.
IMAGE_ENV: Mapping[str, str] = {
    Kind.POSTGRES: "RELATED_IMAGE_COMPONENT_POSTGRES",
    Kind.CLAIR: "RELATED_IMAGE_COMPONENT_CLAIR",
    Kind.REDIS: "RELATED_IMAGE_COMPONENT_REDIS",
}
QUAY_IMAGE_ENV = "RELATED_IMAGE_COMPONENT_QUAY"
# The PVC each volumeSize override resizes, with the component that renders it, in render order.
VOLUME_TARGETS: tuple[tuple[str, str], ...] = ((Kind.CLAIR, Kind.CLAIRPOSTGRES), (Kind.POSTGRES, Kind.POSTGRES))


@dataclass(frozen=True)
class Refusal:
    """One operator refusal: its message and the RolloutBlocked reason it sets.

    `reason` None means no condition at all (the defaulting error, retried with backoff). `fix` is
    quayops' advice and never part of the operator's text.
    """

    message: str
    reason: Reason | None
    component: str | None = None
    fix: str = ""

    def to_finding(self) -> Finding:
        where = f"{ConditionType.ROLLOUT_BLOCKED}/{self.reason}" if self.reason else (
            "no condition (reconcile error, retried with backoff)"
        )
        return Finding(
            layer="operator", message=self.message, component=self.component, hint=f"{where}: {self.fix}"
        )


def parse_bundle_yaml(raw: bytes | None) -> tuple[dict | None, str | None]:
    """A bundle file decoded as the operator's yaml.Unmarshal into a map: (mapping, None) or (None, error).

    Unlike config-tool, the operator keeps null-valued keys (they count as "has config", §3.3). A
    missing file is an empty mapping, as Go's Unmarshal of nil bytes is. Known gap: the operator uses
    yaml.v2 (YAML 1.1: `yes`/`on` are booleans); this decodes with config-tool's yaml.v3 rules.
    """
    try:
        return parse_config_yaml((raw or b"").decode("utf-8", errors="replace"), keep_nulls=True), None
    except ConfigLoadError as e:
        return None, e.message


def _host_settings_error(config: dict) -> str | None:
    """NewHostSettingsFieldGroup's type check: the first wrongly typed host setting."""
    for key, expected, message in HOST_SETTING_TYPES:
        if key in config and not isinstance(config[key], expected):
            return message
    return None


def refuse_dependencies(
    declared: list[dict],
    files: Mapping[str, bytes],
    *,
    platform: Platform,
    bucket_claim_pending: bool = False,
) -> Refusal | None:
    """The first platform/API dependency error of reconcile steps 9–12, judged on the declared list.

    Route, ObjectBucketClaim and monitoring failures count only when that component is declared managed
    (absent counts as unmanaged); the build-manager step reports any config.yaml parse error.
    """
    config, parse_error = parse_bundle_yaml(files.get("config.yaml"))
    if is_managed(declared, Kind.ROUTE):
        err = CONFIG_UNPARSABLE.format(err=parse_error) if parse_error else _host_settings_error(config)
        if err:
            return Refusal(
                ROUTES_CHECK_FAILED.format(err=err),
                Reason.ROUTE_COMPONENT_DEPENDENCY_ERROR,
                Kind.ROUTE,
                "fix config.yaml: it must parse, with SERVER_HOSTNAME and PREFERRED_URL_SCHEME strings and "
                "EXTERNAL_TLS_TERMINATION a boolean.",
            )
    if is_managed(declared, Kind.OBJECTSTORAGE):
        err = None
        if not platform.object_bucket_claims:
            err = OBC_LIST_FAILED.format(err=OBC_KIND_MISSING)
        elif bucket_claim_pending:
            err = BUCKET_CLAIM_PENDING
        if err:
            return Refusal(
                OBJECT_STORAGE_CHECK_FAILED.format(err=err),
                Reason.OBJECT_STORAGE_COMPONENT_DEPENDENCY_ERROR,
                Kind.OBJECTSTORAGE,
                "install OpenShift Data Foundation (ObjectBucketClaim API), or mark objectstorage unmanaged "
                "and configure DISTRIBUTED_STORAGE_CONFIG in config.yaml.",
            )
    if parse_error:
        return Refusal(
            BUILD_MANAGER_CHECK_FAILED.format(err=parse_error),
            Reason.CONFIG_INVALID,
            None,
            "fix the YAML syntax of config.yaml in the config bundle.",
        )
    if is_managed(declared, Kind.MONITORING):
        err = None
        if platform.watch_namespace:
            err = MONITORING_NEEDS_ALL_NAMESPACES
        elif not platform.monitoring:
            err = SERVICE_MONITOR_KIND_MISSING
        elif not platform.grafana_namespace:
            err = GRAFANA_NAMESPACE_MISSING
        if err:
            return Refusal(
                MONITORING_CHECK_FAILED.format(err=err),
                Reason.MONITORING_COMPONENT_DEPENDENCY_ERROR,
                Kind.MONITORING,
                "install the operator for all namespaces on a cluster with the Prometheus operator, or mark "
                "monitoring unmanaged.",
            )
    return None


def _overrides_in_use(overrides: Mapping) -> list[str]:
    """The overrides ValidateOverrides counts: affinity, volumeSize, replicas (even 0), non-empty env."""
    used = [name for name in ("affinity", "volumeSize", "replicas") if overrides.get(name) is not None]
    if overrides.get("env"):
        used.append("env")
    return used


def refuse_overrides(components: list[dict]) -> Refusal | None:
    """ValidateOverrides on the defaulted list: the first offending component, in spec order."""
    for component in components:
        overrides = component.get("overrides")
        if overrides is None:
            continue
        kind = component.get("kind")
        used = _overrides_in_use(overrides)
        if used and not is_managed(components, kind):
            return _override_refusal(
                OVERRIDES_ON_UNMANAGED.format(kind=kind),
                kind,
                f"remove the {', '.join(used)} override(s) of {kind}, or mark {kind} managed "
                "(labels and annotations are allowed on any component).",
            )
        replicas = overrides.get("replicas")
        if replicas is not None and replicas != 0 and is_managed(components, Kind.HPA):
            return _override_refusal(
                REPLICAS_WITH_MANAGED_HPA,
                kind,
                "mark horizontalpodautoscaler unmanaged to set replicas; with it managed only replicas: 0 "
                "is accepted.",
            )
        for name, kinds in OVERRIDE_SUPPORT:
            if name in used and kind not in kinds:
                return _override_refusal(
                    OVERRIDE_UNSUPPORTED.format(kind=kind, override=name),
                    kind,
                    f"remove it; {name} overrides are accepted on {', '.join(sorted(kinds))} only.",
                )
    return None


def _override_refusal(err: str, kind: str | None, fix: str) -> Refusal:
    return Refusal(INVALID_OVERRIDES.format(err=err), Reason.COMPONENT_OVERRIDE_INVALID, kind, fix)


def validate_overrides(components: list[dict]) -> str | None:
    """ValidateOverrides' error, without the controller's "invalid overrides: " prefix, or None."""
    refusal = refuse_overrides(components)
    return refusal.message.removeprefix(INVALID_OVERRIDES.format(err="")) if refusal else None


def contains_component_config(kind: str, config: Mapping, files: Mapping[str, bytes]) -> bool:
    """ContainsComponentConfig: whether the bundle carries config for `kind` (key presence only).

    Raises ComponentConfigUnverifiable for an unknown kind or an unparsable clair-config.yaml.
    """
    if kind in CONFIG_KEYS:
        return any(key in config for key in CONFIG_KEYS[kind])
    if kind == Kind.TLS:
        return all(name in files for name in TLS_FILES)
    if kind == Kind.CLAIRPOSTGRES:
        if CLAIR_CONFIG_FILE not in files:
            return False
        clair, err = parse_bundle_yaml(files[CLAIR_CONFIG_FILE])
        if err:
            raise ComponentConfigUnverifiable(err)
        return any(
            isinstance(clair.get(section), Mapping) and clair[section].get("connstring")
            for section in ("indexer", "matcher", "notifier")
        )
    if kind in NEVER_CONFIGURED:
        return False
    raise ComponentConfigUnverifiable(UNKNOWN_COMPONENT.format(kind=kind))


class ComponentConfigUnverifiable(QuayopsError):
    """ContainsComponentConfig failed: unknown kind, or a clair-config.yaml that does not parse."""


def refuse_component_config(
    components: list[dict], config: Mapping, files: Mapping[str, bytes]
) -> Refusal | None:
    """hasNecessaryConfig: rules A, B and C over the defaulted list, in spec order; first error wins."""
    for component in components:
        kind = component.get("kind")
        try:
            has_config = contains_component_config(kind, config, files)
        except ComponentConfigUnverifiable as e:
            return Refusal(
                COMPONENT_CONFIG_UNVERIFIABLE.format(err=e.message),
                Reason.CONFIG_INVALID,
                kind,
                f"use one of the component kinds {', '.join(Kind)}."
                if kind not in tuple(Kind)
                else f"fix the YAML syntax of {CLAIR_CONFIG_FILE}.",
            )
        if component.get("managed"):
            if has_config and kind not in SUPPORTS_CONFIG_WHEN_MANAGED:
                return Refusal(
                    MANAGED_WITH_CONFIG.format(kind=kind),
                    Reason.CONFIG_INVALID,
                    kind,
                    f"remove {_config_source(kind)} from the bundle, or mark {kind} unmanaged.",
                )
            continue
        if has_config:
            continue
        if kind in REQUIRED:
            return Refusal(
                REQUIRED_WITHOUT_CONFIG.format(kind=kind),
                Reason.CONFIG_INVALID,
                kind,
                f"add {_config_source(kind)} to the bundle, or mark {kind} managed.",
            )
        if kind == Kind.CLAIRPOSTGRES and is_managed(components, Kind.CLAIR):
            return Refusal(
                CLAIRPOSTGRES_WITHOUT_CONFIG,
                Reason.CONFIG_INVALID,
                kind,
                f"add a {CLAIR_CONFIG_FILE} with an indexer, matcher or notifier connstring, mark "
                "clairpostgres managed, or mark clair unmanaged.",
            )
    return None


def _config_source(kind: str) -> str:
    """Where the operator looks for a component's config, for advice texts."""
    if kind == Kind.TLS:
        return "ssl.cert and ssl.key"
    if kind == Kind.CLAIRPOSTGRES:
        return f"a {CLAIR_CONFIG_FILE} connstring"
    return f"config.yaml fields of {kind} (any one of {', '.join(CONFIG_KEYS[kind])})"


def check_component_config(components: list[dict], config: Mapping, files: Mapping[str, bytes]) -> str | None:
    """hasNecessaryConfig's error message (the RolloutBlocked/ConfigInvalid text), or None."""
    refusal = refuse_component_config(components, config, files)
    return refusal.message if refusal else None


def check_tls_for(files: Mapping[str, bytes], server_hostname: str, buildman_hostname: str | None) -> str | None:
    """EnsureTLSFor: why the bundle's non-empty ssl.cert/ssl.key pair does not serve the hosts, or None.

    Hosts: ServerHostname, then BUILDMAN_HOSTNAME up to its first ':' when set.
    """
    cert, key = files.get("ssl.cert"), files.get("ssl.key")
    if not (cert and key):
        return None
    hosts = [server_hostname] + ([buildman_hostname.split(":")[0]] if buildman_hostname else [])
    for host in hosts:
        err = check_key_pair(cert, key) or verify_hostname(cert, host)
        if err:
            return CERT_NOT_VALID_FOR_HOST.format(host=host, err=err)
    return None


_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|n|u|m|k|M|G|T|P|E)?$")
_SUFFIX = {
    **{s: Fraction(1024) ** (i + 1) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    **{s: Fraction(1000) ** (i + 1) for i, s in enumerate(("k", "M", "G", "T", "P", "E"))},
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
}


def quantity_value(quantity: int | str) -> Fraction | None:
    """A Kubernetes resource.Quantity as an exact number, or None if it is not one."""
    match = _QUANTITY.match(str(quantity).strip())
    if not match:
        return None
    number, suffix = Fraction(match.group(1)), match.group(2) or ""
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return number * Fraction(10) ** int(suffix[1:])
    return number * _SUFFIX.get(suffix, 1)


def check_volume_sizes(components: list[dict]) -> str | None:
    """The middleware's volume shrink error for the first rendered PVC given a smaller volumeSize, or None.

    `postgres` resizes `<name>-quay-database`; `clair` resizes `<name>-clair-postgres`, rendered only
    while clairpostgres is managed. The floor is the manifest's 50Gi, not the live PVC.
    """
    floor = quantity_value(DEFAULT_VOLUME_SIZE)
    for kind, renderer in VOLUME_TARGETS:
        if not is_managed(components, renderer):
            continue
        override = _first_override(components, kind, "volumeSize")
        value = None if override is None else quantity_value(override)
        if value is not None and value < floor:
            return VOLUME_SHRINK.format(size=DEFAULT_VOLUME_SIZE, override=override)
    return None


def _first_override(components: Iterable[Mapping], kind: str, name: str):
    """The override `name` of the first entry of `kind`, or None."""
    for component in components:
        if component.get("kind") == kind:
            return (component.get("overrides") or {}).get(name)
    return None


def check_image_override(image: str) -> str | None:
    """componentImageFor: `name@digest` or `name:tag` with exactly one ':'; anything else is refused."""
    if len(image.split("@")) == 2 or len(image.split(":")) == 2:
        return None
    return IMAGE_OVERRIDE_MALFORMED.format(image=image)


def refuse_rendering(
    components: list[dict],
    files: Mapping[str, bytes],
    *,
    server_hostname: str,
    buildman_hostname: str,
    related_images: Mapping[str, str],
) -> Refusal | None:
    """Inflate's errors in its order: TLS pair vs hosts, image overrides, then volume shrink."""
    err = check_tls_for(files, server_hostname, buildman_hostname)
    if err:
        return Refusal(
            INFLATE_FAILED.format(err=err),
            Reason.COMPONENT_CREATION_FAILED,
            Kind.TLS,
            "provide ssl.cert/ssl.key whose SANs cover the registry host (and the builder host), or "
            "remove them from the bundle.",
        )
    envs = [(c.get("kind"), IMAGE_ENV[c.get("kind")]) for c in components if c.get("kind") in IMAGE_ENV]
    for kind, env in envs + [(Kind.QUAY, QUAY_IMAGE_ENV)]:
        image = related_images.get(env, "")
        err = check_image_override(image) if image else None
        if err:
            return Refusal(
                INFLATE_FAILED.format(err=err),
                Reason.COMPONENT_CREATION_FAILED,
                kind,
                f"set {env} on the operator's CSV to name@sha256:<digest>.",
            )
    err = check_volume_sizes(components)
    if err:
        return Refusal(
            INFLATE_FAILED.format(err=err),
            Reason.COMPONENT_CREATION_FAILED,
            None,
            f"volumeSize overrides can only grow the {DEFAULT_VOLUME_SIZE} volume; use {DEFAULT_VOLUME_SIZE} or more.",
        )
    return None


def check_registry(
    registry: dict,
    bundle: Bundle,
    *,
    platform: Platform,
    related_images: Mapping[str, str] = MappingProxyType({}),
) -> list[Finding]:
    """Everything the operator would refuse for this QuayRegistry and bundle, in reconcile order.

    The operator stops at its first refusal; this reports the first refusal of each independent stage
    instead: platform dependencies (steps 9–12), defaulting (13), overrides (14), the config bundle (18)
    and rendering (19). Stages after a failed defaulting use the list defaulted without platform checks;
    the config stages are skipped when config.yaml does not parse (the dependency stage reports that).
    """
    meta = registry.get("metadata") or {}
    declared = list((registry.get("spec") or {}).get("components") or [])
    files = bundle.files
    refusals: list[Refusal] = []

    dependency = refuse_dependencies(declared, files, platform=platform)
    if dependency:
        refusals.append(dependency)
    defaulting = {"platform": platform, "bundle_has_tls_pair": bundle.has_pair()}
    try:
        components = ensure_default_components(declared, **defaulting)
    except ComponentDefaultError as e:
        components = ensure_default_components(declared, strict=False, **defaulting)
        if not (dependency and dependency.component == e.component):
            refusals.append(
                Refusal(
                    e.message,
                    None,
                    e.component,
                    f"the cluster lacks the API {e.component} needs; mark {e.component} unmanaged.",
                )
            )
    refusals.append(refuse_overrides(components))
    config, parse_error = parse_bundle_yaml(files.get("config.yaml"))
    if not parse_error:
        refusals.append(refuse_component_config(components, config, files))
        hostname = server_hostname(config, name=meta.get("name", ""), namespace=meta.get("namespace", ""),
                                   platform=platform)
        refusals.append(
            refuse_rendering(
                components,
                files,
                server_hostname=hostname,
                buildman_hostname=buildman_hostname(config),
                related_images=related_images,
            )
        )
    return [r.to_finding() for r in refusals if r]
