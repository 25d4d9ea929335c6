"""The config bundle from a runbook's parameters (guide 3): the presets and choices of `quayops config new`, secret
values from references, checked in every layer before anything is written. The Secret records the components the
bundle implies (annotation `quayops.dev/components`), so that 04-deploy creates the matching QuayRegistry."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from quayops.bundles import dump_yaml, registry_manifest
from quayops.config.bundle import Bundle
from quayops.config.presets import STORAGE_CHOICES, new_bundle
from quayops.errors import BundleInvalid
from quayops.install import InstallParametersInvalid
from quayops.install.deploy import ensure_namespace
from quayops.kube.client import Cluster
from quayops.reconcile import BUNDLE_LABEL
from quayops.redaction import mask_uri
from quayops.runbooks.secrets import mark_secret

COMPONENTS_ANNOTATION = "quayops.dev/components"
# storage driver → its (access key, secret key) fields in DISTRIBUTED_STORAGE_CONFIG (guide 3.2.1)
STORAGE_KEY_FIELDS = {"s3": ("s3_access_key", "s3_secret_key"), "gcs": ("access_key", "secret_key"),
                      "azure": (None, "azure_account_key"), "radosgw": ("access_key", "secret_key"),
                      "noobaa": ("access_key", "secret_key"), "swift": (None, "swift_password")}
OPTIONAL_COMPONENTS = ("clair", "horizontalpodautoscaler", "mirror", "monitoring")  # may be unmanaged freely


@dataclass
class BundlePlan:
    """The bundle to create and the QuayRegistry it goes with; `notes` say where it differs from the guide."""

    bundle: Bundle
    registry: dict
    notes: list[str] = field(default_factory=list)

    @property
    def components(self) -> list[dict]:
        return list(self.registry["spec"].get("components") or [])


def plan_bundle(*, name: str, namespace: str, bundle_secret: str, hostname: str = "", automation: bool = True,
                features: bool = False, storage: str = "managed", storage_params: dict | None = None,
                storage_access_key: str = "", storage_secret_key: str = "", db_uri: str = "",
                db_password: str = "", redis: dict | None = None, tls_pair: tuple[bytes, bytes] | None = None,
                route_managed: bool = True, unmanaged: tuple[str, ...] | list[str] = (),
                extra_config: dict | None = None) -> BundlePlan:
    """Compose the bundle; InstallParametersInvalid names the parameter to change. Writes nothing.

    Secret values (storage keys, the database password, the TLS key) are marked for the runner's scrubber.
    """
    if storage not in STORAGE_CHOICES:
        raise InstallParametersInvalid(f"unknown storage driver {storage!r}", field="storage",
                                       hint=f"Set storage to one of {', '.join(STORAGE_CHOICES)} (guide 3.2).")
    unknown = sorted(set(unmanaged) - set(OPTIONAL_COMPONENTS))
    if unknown:
        raise InstallParametersInvalid(
            f"unmanaged lists {', '.join(unknown)}; only {', '.join(OPTIONAL_COMPONENTS)} can be switched off here",
            field="unmanaged", hint="Storage, database, Redis, route and TLS follow from their own parameters.")
    if db_uri and mask_uri(db_uri) != db_uri:
        raise InstallParametersInvalid("db_uri carries a password", field="db_uri",
                                       hint="Give db_uri without it and the password as db_password (a reference).")
    if not route_managed and not (hostname and tls_pair):
        raise InstallParametersInvalid(
            "route unmanaged needs SERVER_HOSTNAME and a TLS pair: Quay then serves TLS itself (guide 3.4, 3.5.3)",
            field="route_managed", hint="Set hostname, tls_cert_file and tls_key_file, or route_managed=True.")
    params = dict(storage_params or {})
    access_field, secret_field = STORAGE_KEY_FIELDS.get(storage, (None, None))
    for key_field, value in ((access_field, storage_access_key), (secret_field, storage_secret_key)):
        if key_field and value:
            params[key_field] = mark_secret(value)
    uri = _with_password(db_uri, mark_secret(db_password) if db_password else "") if db_uri else None
    try:
        spec = new_bundle(hostname=hostname or None, automation=automation, features=features, storage=storage,
                          storage_params=params or None, db_uri=uri, redis=redis, tls_pair=tls_pair)
    except ValueError as e:
        raise InstallParametersInvalid(str(e), field="storage", hint="Change storage or features.") from e
    config = {**spec.config, **(extra_config or {})}
    components = list(spec.components)
    if not route_managed:
        config.update(EXTERNAL_TLS_TERMINATION=False, PREFERRED_URL_SCHEME="https")
        components.append({"kind": "route", "managed": False})
    components += [{"kind": kind, "managed": False} for kind in unmanaged]
    mark_secret(config)
    files = {"config.yaml": dump_yaml(config).encode(), **spec.files}
    registry = registry_manifest(name, namespace, components, bundle_secret)
    return BundlePlan(Bundle(files, source=f"Secret {namespace}/{bundle_secret}"), registry, list(spec.notes))


def read_tls_pair(cert_file: str, key_file: str) -> tuple[bytes, bytes] | None:
    """The PEM pair from two files (the key marked secret), or None when neither is given."""
    if not cert_file and not key_file:
        return None
    if not (cert_file and key_file):
        raise InstallParametersInvalid("a TLS pair needs both tls_cert_file and tls_key_file", field="tls_key_file",
                                       hint="Give both files, or neither for the cluster's wildcard certificate.")
    for param, path in (("tls_cert_file", cert_file), ("tls_key_file", key_file)):
        if not Path(path).is_file():
            raise InstallParametersInvalid(f"{param} {path!r} is not a file", field=param,
                                           hint="Give the path of a PEM file readable by the kernel.")
    key = Path(key_file).read_bytes()
    mark_secret(key.decode("utf-8", errors="replace"))
    return Path(cert_file).read_bytes(), key


def validation_table(report):
    """Every finding of every layer as a DataFrame: severity, layer, field group, component, field, message."""
    import pandas as pd

    rows = [{"severity": severity, "layer": f.layer, "field group": f.field_group or "", "component": f.component or "",
             "field": f.field or "", "message": mask_uri(f.message)}
            for severity, findings in (("error", report.errors), ("warning", report.warnings)) for f in findings]
    if not rows:
        rows = [{"severity": "ok", "layer": "all", "field group": "", "component": "", "field": "",
                 "message": "no errors or warnings in any layer"}]
    return pd.DataFrame(rows, columns=["severity", "layer", "field group", "component", "field", "message"])


def require_valid(report) -> None:
    """Raise BundleInvalid listing the errors; nothing has been written at this point."""
    if report.errors:
        first = "; ".join(mask_uri(f.message) for f in report.errors[:3])
        raise BundleInvalid(f"config bundle invalid: {len(report.errors)} error(s): {first}. Nothing was created in "
                            "the cluster.", step="validate",
                            hint="Change the parameters named in the table above and run 03-configure again.")


def create_bundle_secret(cluster: Cluster, plan: BundlePlan):
    """Create or update the bundle Secret (namespace created when missing); a DataFrame of its keys and sizes,
    never their content."""
    import pandas as pd

    meta = plan.registry["metadata"]
    namespace, name = meta["namespace"], plan.registry["spec"]["configBundleSecret"]
    ensure_namespace(cluster, namespace)
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                   "metadata": {"name": name, "namespace": namespace, "labels": {BUNDLE_LABEL: "true"},
                                "annotations": {COMPONENTS_ANNOTATION: json.dumps(plan.components)}},
                   "data": {k: base64.b64encode(v).decode() for k, v in plan.bundle.files.items()}}, force=True)
    rows = [{"key": k, "bytes": len(v)} for k, v in sorted(plan.bundle.files.items())]
    return pd.DataFrame(rows, columns=["key", "bytes"])


def _with_password(uri: str, password: str) -> str:
    if not password:
        return uri
    parts = urlsplit(uri)
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
