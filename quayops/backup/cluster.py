"""The cluster side of guide 11: preconditions, the configuration export, quiescing and scaling back up, and where
a registry's database (pods/exec in its pod) and bucket (the ObjectBucketClaim's, through NooBaa's `s3` route) are."""

from __future__ import annotations

import base64
import copy
import io
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from quayops.backup.blobs import DEFAULT_WORKERS, make_s3_client
from quayops.backup.pods import PodRunner
from quayops.backup.steps import write_private_file
from quayops.errors import PreconditionFailed, QuayopsError
from quayops.kube.client import Cluster
from quayops.kube.errors import ConflictError
from quayops.kube.execution import exec_in_pod
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.model.versions import Version, VersionInvalid, parse_version
from quayops.operator.components import Kind, is_managed
from quayops.reconcile import is_available

QUIESCE_ANNOTATION = "quayops.dev/quiesced"  # what quiescing changed, so any later run can undo it
QUIESCED_PODS = ("quay-app", "quay-mirror", "clair-app")  # quay-component labels of what reads the data (11.1.2)
REPLICA_COMPONENTS = (Kind.QUAY, Kind.CLAIR, Kind.MIRROR)
SCALED_DEPLOYMENTS = ("quay-app", "quay-mirror", "clair-app")  # ≤ 3.6: `oc scale` on these (11.1.2 step 2)
FIRST_OVERRIDES_VERSION = Version(3, 7, 0)
DROPPED_METADATA = ("creationTimestamp", "finalizers", "generation", "resourceVersion", "uid", "managedFields",
                    "ownerReferences", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink")
MOUNTED_CONFIG = "/conf/stack/config.yaml"
NOOBAA_NAMESPACE = "openshift-storage"
OLM = "operators.coreos.com/v1alpha1"
CONFLICT_ATTEMPTS = 5
_CSV_VERSION = re.compile(r"\.v(\d+\.\d+\.\d+)")

# The files of the configuration export, named as the guide names them (11.1.1).
REGISTRY_FILE = "quay-registry.yaml"
MANAGED_KEYS_FILE = "managed-secret-keys.yaml"
BUNDLE_FILE = "config-bundle.yaml"
MOUNTED_CONFIG_FILE = "quay-config.yaml"


def managed_keys_name(name: str) -> str:
    return f"{name}-quay-registry-managed-secret-keys"


# -- pure decisions -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preconditions:
    """What 11.1's prerequisites say about a registry: `problems` refuse the backup; `vendor` maps a data step
    quayops leaves out (unmanaged database or storage) to the vendor step that replaces it."""

    problems: list[str] = field(default_factory=list)
    vendor: dict[str, str] = field(default_factory=dict)


VENDOR_STEPS = {
    "database": "the database is unmanaged (postgres managed: false): back it up with your database vendor's tools "
                "(guide 11.1.3 note)",
    "blobs": "the object storage is unmanaged (objectstorage managed: false): copy the bucket with your storage "
             "vendor's tools (guide 11.1.3.1 note)",
}


def check_preconditions(registry: Mapping[str, Any], *, operator: Version | None,
                        allow_unmanaged: bool = False) -> Preconditions:
    """The prerequisites of 11.1: Available; quay, postgres, objectstorage managed; clairpostgres managed when clair
    is (operator 3.7+). With `allow_unmanaged`, an unmanaged database or storage is left to the vendor instead."""
    comps = list((registry.get("spec") or {}).get("components") or [])
    ref = f"QuayRegistry {registry['metadata'].get('namespace')}/{registry['metadata']['name']}"
    result = Preconditions()
    if not is_available(dict(registry)):
        result.problems.append(f"{ref} is not Available (guide 11.1 needs a healthy deployment)")
    for kind, step in ((Kind.POSTGRES, "database"), (Kind.OBJECTSTORAGE, "blobs")):
        if is_managed(comps, kind):
            continue
        if allow_unmanaged:
            result.vendor[step] = VENDOR_STEPS[step]
        else:
            result.problems.append(f"{VENDOR_STEPS[step]}; quayops backs up the rest only when asked "
                                   "(allow_unmanaged, --allow-unmanaged)")
    newer = operator is None or operator >= FIRST_OVERRIDES_VERSION
    if newer and is_managed(comps, Kind.CLAIR) and not is_managed(comps, Kind.CLAIRPOSTGRES):
        result.problems.append("clair is managed but clairpostgres is not: guide 11.1 needs clairpostgres managed "
                               "when clair is (operator 3.7+)")
    return result


def render_registry_export(registry: Mapping[str, Any]) -> dict[str, Any]:
    """The QuayRegistry as 11.1.1 keeps it: no status, none of the server's metadata fields; a registry quiesced by
    quayops is exported with the components it had before."""
    out = copy.deepcopy(dict(registry))
    out.pop("status", None)
    meta = out["metadata"]
    for key in DROPPED_METADATA:
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    recorded = annotations.pop(QUIESCE_ANNOTATION, None)
    if not annotations:
        meta.pop("annotations", None)
    if recorded is not None and json.loads(recorded).get("components") is not None:
        out["spec"]["components"] = json.loads(recorded)["components"]
    return out


def render_secret_export(secret: Mapping[str, Any]) -> dict[str, Any]:
    """A Secret as 11.1.1 keeps it: every data key, no ownerReferences (the restored one must not be collected
    with the old QuayRegistry's uid) and none of the server's metadata fields."""
    meta = {k: v for k, v in secret["metadata"].items() if k not in DROPPED_METADATA}
    return {"apiVersion": "v1", "kind": "Secret", "type": secret.get("type", "Opaque"), "metadata": meta,
            "data": dict(secret.get("data") or {})}


@dataclass(frozen=True)
class Quiesce:
    """How to scale a registry to zero readers: `overrides` (3.7+: the components to write) or `scale` (≤ 3.6: the
    operator Deployment, then the deployments, to 0). `record` is what scaling back up needs."""

    method: str
    components: list[dict[str, Any]] | None
    record: dict[str, Any]


def plan_quiesce(registry: Mapping[str, Any], *, operator: Version) -> Quiesce:
    """11.1.2: from 3.7 on, HPA unmanaged and `replicas: 0` on quay, clair and mirror (where managed: an override
    on an unmanaged component is refused); before, scaling (the caller reads replicas to record)."""
    comps = copy.deepcopy(list((registry.get("spec") or {}).get("components") or []))
    if operator < FIRST_OVERRIDES_VERSION:
        return Quiesce("scale", None, {"method": "scale"})
    quiesced = []
    kinds = {c.get("kind") for c in comps}
    for c in comps:
        if c.get("kind") == Kind.HPA:
            c = {**c, "managed": False}
        elif c.get("kind") in REPLICA_COMPONENTS and is_managed(comps, c["kind"]):
            c = {**c, "overrides": {**(c.get("overrides") or {}), "replicas": 0}}
        quiesced.append(c)
    if Kind.HPA not in kinds:
        quiesced.append({"kind": str(Kind.HPA), "managed": False})
    if Kind.QUAY not in kinds:
        quiesced.append({"kind": str(Kind.QUAY), "managed": True, "overrides": {"replicas": 0}})
    return Quiesce("overrides", quiesced, {"method": "overrides", "components": comps})


def detect_quiesce_record(registry: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What quayops recorded when it quiesced this registry, or None when it did not."""
    text = (((registry or {}).get("metadata") or {}).get("annotations") or {}).get(QUIESCE_ANNOTATION)
    return json.loads(text) if text else None


def database_name(db_uri: str) -> str:
    """The database DB_URI names (the guide's `awk -F/ '/^DB_URI/ {print $4}'`)."""
    name = unquote(urlsplit(db_uri).path.lstrip("/"))
    if not name:
        raise PreconditionFailed("DB_URI names no database", field="DB_URI", component="postgres")
    return name


def operator_version_of(csv_name: str) -> Version | None:
    """`quay-operator.v3.7.14` → 3.7.14."""
    m = _CSV_VERSION.search(csv_name or "")
    return parse_version(m.group(1)) if m else None


# -- reading the cluster --------------------------------------------------------------------------------

def read_registry(cluster: Cluster, name: str, *, namespace: str) -> dict[str, Any]:
    return cluster.get(API_VERSION, KIND, name, namespace=namespace)


def read_versions(cluster: Cluster, registry: Mapping[str, Any]) -> dict[str, str]:
    """The installed operator (the quay-operator Subscription's CSV) and Quay's `currentVersion`."""
    operator = ""
    for sub in cluster.list(OLM, "Subscription").get("items") or []:
        if (sub.get("spec") or {}).get("name") == "quay-operator":
            found = operator_version_of(((sub.get("status") or {}).get("installedCSV")) or "")
            operator = str(found) if found else operator
    return {"operator": operator, "quay": str((registry.get("status") or {}).get("currentVersion") or "")}


def operator_version(versions: Mapping[str, str]) -> Version:
    """The operator version that decides how to quiesce: the installed CSV's, else Quay's (they move together)."""
    for key in ("operator", "quay"):
        try:
            return parse_version(versions.get(key) or "", field=key)
        except VersionInvalid:
            continue
    raise PreconditionFailed("cannot tell the Quay Operator's version: no quay-operator Subscription with an "
                             "installed CSV, and the QuayRegistry has no status.currentVersion",
                             hint="Nothing was changed. Wait for the registry to be Available.")


def decode_secret(secret: Mapping[str, Any] | None) -> dict[str, str]:
    return {k: base64.b64decode(v).decode(errors="replace") for k, v in ((secret or {}).get("data") or {}).items()}


def quay_pods(cluster: Cluster, namespace: str, *, registry: str | None = None) -> list[str]:
    """Names of the pods that read the data (quay-app, quay-mirror, clair-app) in the namespace, of one registry
    or of any; terminating pods count until they are gone."""
    selector = f"quay-component in ({','.join(QUIESCED_PODS)})"
    if registry:
        selector += f",quay-operator/quayregistry={registry}"
    pods = cluster.list("v1", "Pod", namespace=namespace, label_selector=selector).get("items") or []
    return sorted(p["metadata"]["name"] for p in pods
                  if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))


def running_pod(cluster: Cluster, namespace: str, selector: str) -> str:
    """The first Running pod matching `selector` (by name); PreconditionFailed when there is none."""
    pods = cluster.list("v1", "Pod", namespace=namespace, label_selector=selector).get("items") or []
    running = sorted(p["metadata"]["name"] for p in pods if (p.get("status") or {}).get("phase") == "Running"
                     and not p["metadata"].get("deletionTimestamp"))
    if not running:
        raise PreconditionFailed(f"no Running pod labelled {selector} in namespace {namespace}")
    return running[0]


def read_mounted_config(cluster: Cluster, name: str, *, namespace: str) -> bytes:
    """`/conf/stack/config.yaml` from a quay-app pod, through pods/exec (the guide's `oc exec … cat`)."""
    pod = running_pod(cluster, namespace, f"quay-component=quay-app,quay-operator/quayregistry={name}")
    out = io.BytesIO()
    code, stderr = exec_in_pod(cluster, namespace, pod, ["cat", MOUNTED_CONFIG], stdout=out, timeout=60)
    if code != 0:
        raise QuayopsError(f"reading {MOUNTED_CONFIG} in pod {namespace}/{pod} failed (exit {code}): "
                           f"{stderr.strip()[-300:]}", component="quay")
    return out.getvalue()


def export_configuration(cluster: Cluster, registry: Mapping[str, Any], directory: Path) -> list[str]:
    """11.1.1: write the QuayRegistry, the managed-keys Secret (skipped before 3.7.0 when absent), the config bundle
    Secret and the mounted config.yaml as 0600 files; returns their names."""
    name, namespace = registry["metadata"]["name"], registry["metadata"]["namespace"]
    files = {REGISTRY_FILE: render_registry_export(registry)}
    keys = cluster.find("v1", "Secret", managed_keys_name(name), namespace=namespace)
    if keys is not None:
        files[MANAGED_KEYS_FILE] = render_secret_export(keys)
    bundle_name = (registry.get("spec") or {}).get("configBundleSecret")
    if bundle_name:
        files[BUNDLE_FILE] = render_secret_export(cluster.get("v1", "Secret", bundle_name, namespace=namespace))
    for file, obj in files.items():
        write_private_file(directory / file, yaml.safe_dump(obj, sort_keys=False))
    write_private_file(directory / MOUNTED_CONFIG_FILE, read_mounted_config(cluster, name, namespace=namespace))
    return [*files, MOUNTED_CONFIG_FILE]


def read_db_uri(cluster: Cluster, registry: Mapping[str, Any]) -> str:
    """DB_URI from the managed-keys Secret (managed postgres), else from the config bundle."""
    name, namespace = registry["metadata"]["name"], registry["metadata"]["namespace"]
    uri = decode_secret(cluster.find("v1", "Secret", managed_keys_name(name), namespace=namespace)).get("DB_URI")
    bundle = (registry.get("spec") or {}).get("configBundleSecret")
    if not uri and bundle:
        config = yaml.safe_load(decode_secret(cluster.find("v1", "Secret", bundle, namespace=namespace))
                                .get("config.yaml") or "{}") or {}
        uri = config.get("DB_URI")
    if not uri:
        raise PreconditionFailed(f"no DB_URI for QuayRegistry {namespace}/{name} in its managed-keys Secret or "
                                 "config bundle", field="DB_URI", component="postgres")
    return uri


def locate_database(cluster: Cluster, registry: Mapping[str, Any], *, timeout: float = 3600
                    ) -> tuple[PodRunner, str]:
    """A PodRunner in the registry's database pod (`quay-component=postgres`) and the database DB_URI names."""
    name, namespace = registry["metadata"]["name"], registry["metadata"]["namespace"]
    pod = running_pod(cluster, namespace, f"quay-component=postgres,quay-operator/quayregistry={name}")
    return PodRunner(cluster, namespace, pod, timeout=timeout), database_name(read_db_uri(cluster, registry))


def locate_bucket(cluster: Cluster, registry: Mapping[str, Any], *, session: Any = None, endpoint: str | None = None,
                  verify: bool | str = True, workers: int = DEFAULT_WORKERS) -> tuple[str, Any]:
    """The bucket of the registry's ObjectBucketClaim and a boto3 client for it (11.1.3.1): keys from the claim's
    Secret, bucket from its ConfigMap, endpoint `endpoint` or NooBaa's `s3` route (else the claim's BUCKET_HOST);
    with `session` (route_session), requests go through it (its resolve map and the cluster CA)."""
    name, namespace = registry["metadata"]["name"], registry["metadata"]["namespace"]
    claim = f"{name}-quay-datastore"
    keys = decode_secret(cluster.find("v1", "Secret", claim, namespace=namespace))
    bucket = (cluster.find("v1", "ConfigMap", claim, namespace=namespace) or {}).get("data") or {}
    if not keys.get("AWS_ACCESS_KEY_ID") or not bucket.get("BUCKET_NAME"):
        raise PreconditionFailed(f"the ObjectBucketClaim {namespace}/{claim} has no bound Secret and ConfigMap "
                                 "(AWS_ACCESS_KEY_ID, BUCKET_NAME)", component="objectstorage")
    if endpoint is None:
        route = cluster.find("route.openshift.io/v1", "Route", "s3", namespace=NOOBAA_NAMESPACE) \
            if cluster.served_kinds("route.openshift.io/v1") else None
        host = (route or {}).get("spec", {}).get("host")
        endpoint = f"https://{host}" if host else f"https://{bucket['BUCKET_HOST']}:{bucket.get('BUCKET_PORT', 443)}"
    client = make_s3_client(endpoint, access_key=keys["AWS_ACCESS_KEY_ID"], secret_key=keys["AWS_SECRET_ACCESS_KEY"],
                            region=bucket.get("BUCKET_REGION") or "us-east-1", verify=verify, workers=workers)
    if session is not None:
        from quayops.kube.resolve import attach_session

        attach_session(client, session)
    return bucket["BUCKET_NAME"], client


# -- acting ---------------------------------------------------------------------------------------------

def _patch_registry(cluster: Cluster, name: str, *, namespace: str,
                    change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
    """Merge-patch the QuayRegistry with `change(current)` (None: nothing to do) at the resourceVersion read, retrying
    on 409 Conflict with a fresh read, as controllers do."""
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        current = read_registry(cluster, name, namespace=namespace)
        patch = change(current)
        if patch is None:
            return current
        patch.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
        try:
            return cluster.patch(API_VERSION, KIND, name, patch, namespace=namespace)
        except ConflictError:
            if attempt == CONFLICT_ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def _scale(cluster: Cluster, name: str, *, namespace: str, replicas: int) -> None:
    cluster.patch("apps/v1", "Deployment", name, {"spec": {"replicas": replicas}}, namespace=namespace)


def _operator_deployment(cluster: Cluster) -> tuple[str, str, int]:
    """(namespace, name, replicas) of the operator Deployment (`oc get deployment | awk '/^quay-operator/'`)."""
    for sub in cluster.list(OLM, "Subscription").get("items") or []:
        if (sub.get("spec") or {}).get("name") != "quay-operator":
            continue
        ns = sub["metadata"]["namespace"]
        for dep in cluster.list("apps/v1", "Deployment", namespace=ns).get("items") or []:
            if dep["metadata"]["name"].startswith("quay-operator"):
                return ns, dep["metadata"]["name"], int((dep.get("spec") or {}).get("replicas", 1))
    raise PreconditionFailed("no quay-operator Deployment next to a quay-operator Subscription",
                             hint="Nothing was changed.")


def apply_quiesce(cluster: Cluster, name: str, *, namespace: str, operator: Version) -> dict[str, Any]:
    """Scale the registry down as 11.1.2 says, recording in the annotation what was changed; returns the record.

    Quiescing a registry quayops already quiesced changes nothing and keeps the first record.
    """
    registry = read_registry(cluster, name, namespace=namespace)
    if (recorded := detect_quiesce_record(registry)) is not None:
        return recorded
    plan = plan_quiesce(registry, operator=operator)
    record = dict(plan.record)
    if plan.method == "scale":
        op_ns, op_name, op_replicas = _operator_deployment(cluster)
        record["operator"] = {"namespace": op_ns, "name": op_name, "replicas": op_replicas}
        record["deployments"] = {}
        for suffix in SCALED_DEPLOYMENTS:
            dep = cluster.find("apps/v1", "Deployment", f"{name}-{suffix}", namespace=namespace)
            if dep is not None:
                record["deployments"][dep["metadata"]["name"]] = int((dep.get("spec") or {}).get("replicas", 1))

    def annotate(current: dict[str, Any]) -> dict[str, Any] | None:
        if detect_quiesce_record(current) is not None:
            return None
        patch: dict[str, Any] = {"metadata": {"annotations": {QUIESCE_ANNOTATION: json.dumps(record)}}}
        if plan.components is not None:
            patch["spec"] = {"components": plan_quiesce(current, operator=operator).components}
        return patch

    _patch_registry(cluster, name, namespace=namespace, change=annotate)
    if plan.method == "scale":
        _scale(cluster, record["operator"]["name"], namespace=record["operator"]["namespace"], replicas=0)
        for dep in record["deployments"]:
            _scale(cluster, dep, namespace=namespace, replicas=0)
    return record


def apply_scale_up(cluster: Cluster, name: str, *, namespace: str) -> str | None:
    """Undo `apply_quiesce` (11.1.4): the components as they were (HPA managed again, no replicas overrides), or the
    deployments and then the operator back to their replicas; returns the method undone, None when quayops had not
    quiesced the registry."""
    registry = cluster.find(API_VERSION, KIND, name, namespace=namespace)
    record = detect_quiesce_record(registry)
    if record is None:
        return None
    if record["method"] == "scale":
        for dep, replicas in record["deployments"].items():
            _scale(cluster, dep, namespace=namespace, replicas=replicas)
        op = record["operator"]
        _scale(cluster, op["name"], namespace=op["namespace"], replicas=op["replicas"])

    def restore(current: dict[str, Any]) -> dict[str, Any] | None:
        if detect_quiesce_record(current) is None:
            return None
        patch: dict[str, Any] = {"metadata": {"annotations": {QUIESCE_ANNOTATION: None}}}
        if record["method"] == "overrides":
            patch["spec"] = {"components": record["components"]}
        return patch

    _patch_registry(cluster, name, namespace=namespace, change=restore)
    return record["method"]


def wait_for_quay_pods_gone(cluster: Cluster, name: str, *, namespace: str, timeout: float) -> None:
    """Wait until no quay-app, quay-mirror or clair-app pod of the registry exists (11.1.2 step 3); raise naming the
    ones still there."""
    deadline = time.monotonic() + timeout
    while pods := quay_pods(cluster, namespace, registry=name):
        if time.monotonic() > deadline:
            raise QuayopsError(f"{len(pods)} pod(s) still run after {timeout:.0f} s: {', '.join(pods[:5])}; the "
                               "database and bucket are not copied while Quay can write", component="quay",
                               hint="Check that the operator applied the replicas overrides (HPA unmanaged).")
        time.sleep(0.5)


def load_key_from_secret(cluster: Cluster, ref: str) -> bytes:
    """The backup key held in a Secret, `namespace/name/key` (base64url or hex text, or 32 raw bytes)."""
    from quayops.backup.manifest import BackupKeyError, parse_key

    parts = ref.split("/")
    if len(parts) != 3 or not all(parts):
        raise BackupKeyError(f"key Secret reference {ref!r}: expected namespace/name/key")
    data = (cluster.get("v1", "Secret", parts[1], namespace=parts[0]).get("data") or {}).get(parts[2])
    if data is None:
        raise BackupKeyError(f"Secret {parts[0]}/{parts[1]} has no key {parts[2]!r}")
    return parse_key(base64.b64decode(data), source=f"Secret {parts[0]}/{parts[1]} key {parts[2]}")


def restore_secret(cluster: Cluster, exported: Mapping[str, Any], *, namespace: str) -> None:
    """Create a Secret from its export in `namespace`; an existing one is deleted and recreated (11.2.1)."""
    obj = {**exported, "metadata": {**exported["metadata"], "namespace": namespace}}
    from quayops.kube.errors import AlreadyExistsError

    try:
        cluster.create(obj)
    except AlreadyExistsError:
        cluster.delete("v1", "Secret", obj["metadata"]["name"], namespace=namespace)
        deadline = time.monotonic() + 60
        while cluster.find("v1", "Secret", obj["metadata"]["name"], namespace=namespace) is not None:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        cluster.create(obj)


def read_export(directory: Path, file: str) -> dict[str, Any]:
    return yaml.safe_load((directory / file).read_text())


def namespace_state(cluster: Cluster, namespace: str) -> str:
    """`missing`, `Active` or `Terminating`."""
    ns = cluster.find("v1", "Namespace", namespace)
    return "missing" if ns is None else (ns.get("status") or {}).get("phase", "Active")


def existing(cluster: Cluster, refs: Sequence[tuple[str, str, str]], *, namespace: str) -> list[str]:
    """`Kind/name` of each (apiVersion, kind, name) that exists in the namespace."""
    return [f"{kind}/{name}" for api, kind, name in refs if cluster.find(api, kind, name, namespace=namespace)]
