"""NooBaa's ObjectBucketClaim provisioner: binds claims, writing the Secret and ConfigMap apps read.

Mirrors lib-bucket-provisioner as NooBaa runs it: an ObjectBucket `obc-<ns>-<name>`, a Secret
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and ConfigMap (BUCKET_HOST/NAME/PORT/REGION) named after
the claim and labelled `app=noobaa`, the `objectbucket.io/finalizer`. The bucket itself comes from a
`BucketProvisioner`: simulated credentials by default, a real S3 bucket when the data plane provides one.
"""

from __future__ import annotations

import base64
import contextlib
import random
import string
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.controllers.base import Context, Key, Obj, Watched
from simulator.controllers.ownership import controller_ref
from simulator.profiles import NOOBAA_NAMESPACE, OBC_PROVISIONER
from simulator.store.errors import AlreadyExists, NotFound

FINALIZER = "objectbucket.io/finalizer"
MERGE = "application/merge-patch+json"
COMPONENT = "noobaa-operator"


@dataclass(frozen=True)
class Bucket:
    """Where a provisioned bucket lives and the credentials for it."""

    name: str
    host: str
    port: int
    access_key: str
    secret_key: str
    region: str = ""


class BucketProvisioner(Protocol):
    """Creates and deletes the buckets behind claims (the data plane's seam)."""

    def create_bucket(self, name: str, *, namespace: str, claim: str) -> Bucket: ...

    def delete_bucket(self, name: str) -> None: ...


class SimulatedBuckets:
    """Buckets that exist only as credentials: NooBaa's in-cluster S3 service, seeded keys."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def create_bucket(self, name: str, *, namespace: str, claim: str) -> Bucket:
        access = "".join(self._rng.choice(string.ascii_uppercase + string.digits) for _ in range(20))
        secret = "".join(self._rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
        return Bucket(name, f"s3.{NOOBAA_NAMESPACE}.svc", 443, access, secret)

    def delete_bucket(self, name: str) -> None:
        """Nothing to remove: the simulated bucket has no data."""


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class BucketClaims:
    name = "objectbucketclaims"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.provisioner: BucketProvisioner = ctx.buckets or SimulatedBuckets(ctx.rng)
        self._due: dict[str, float] = {}
        self.watches = (Watched("objectbucket.io/v1alpha1", "ObjectBucketClaim"),)

    def _labels(self) -> dict[str, str]:
        return {"app": "noobaa", "bucket-provisioner": OBC_PROVISIONER.replace("/", "-"),
                "noobaa-domain": OBC_PROVISIONER.split("/")[0]}

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        obc = self.ctx.read("objectbucket.io/v1alpha1", "ObjectBucketClaim", name, ns)
        if obc is None:
            return None
        spec = obc.get("spec") or {}
        sc = self.ctx.read("storage.k8s.io/v1", "StorageClass", spec.get("storageClassName", ""))
        if sc is None or sc.get("provisioner") != OBC_PROVISIONER:
            return None  # another provisioner's claim
        kind = self.ctx.kind("objectbucket.io/v1alpha1", "ObjectBucketClaim")
        if obc["metadata"].get("deletionTimestamp"):
            self._release(obc)
            return None
        if (obc.get("status") or {}).get("phase") == "Bound":
            return None
        if FINALIZER not in (obc["metadata"].get("finalizers") or []):
            obc = self.ctx.store.patch(kind, name, {"metadata": {"finalizers": [
                *(obc["metadata"].get("finalizers") or []), FINALIZER]}}, MERGE, namespace=ns,
                field_manager=COMPONENT)
        if (obc.get("status") or {}).get("phase") != "Pending":
            self.ctx.store.patch(kind, name, {"status": {"phase": "Pending"}}, MERGE, namespace=ns,
                                 subresource="status", field_manager=COMPONENT)
        if (self.ctx.knob(obc, "hold") or "").lower() == "true":
            return None
        now = self.ctx.clock.now()
        due = self._due.setdefault(obc["metadata"]["uid"], now + self.ctx.delay("obc-bind", obc))
        if now < due:
            return due - now
        self._bind(obc, sc)
        return None

    def _bind(self, obc: Obj, sc: Obj) -> None:
        meta, spec = obc["metadata"], obc.get("spec") or {}
        ns, name = meta["namespace"], meta["name"]
        bucket_name = spec.get("bucketName") or \
            f"{spec.get('generateBucketName') or name}-{uuid.UUID(int=self.ctx.rng.getrandbits(128), version=4)}"
        bucket = self.provisioner.create_bucket(bucket_name, namespace=ns, claim=name)
        labels = self._labels()
        owner = controller_ref(obc)
        objects: list[dict[str, Any]] = [
            {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
             "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": [owner]},
             "data": {"AWS_ACCESS_KEY_ID": _b64(bucket.access_key), "AWS_SECRET_ACCESS_KEY": _b64(bucket.secret_key)}},
            {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": [owner]},
             "data": {"BUCKET_HOST": bucket.host, "BUCKET_NAME": bucket.name, "BUCKET_PORT": str(bucket.port),
                      "BUCKET_REGION": bucket.region, "BUCKET_SUBREGION": ""}},
            {"apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucket",
             "metadata": {"name": f"obc-{ns}-{name}", "labels": labels, "finalizers": [FINALIZER]},
             "spec": {"storageClassName": sc["metadata"]["name"], "reclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                      "claimRef": {"apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim",
                                   "name": name, "namespace": ns, "uid": meta["uid"]},
                      "endpoint": {"bucketHost": bucket.host, "bucketPort": bucket.port, "bucketName": bucket.name,
                                   "region": bucket.region, "subRegion": "",
                                   "additionalConfig": spec.get("additionalConfig") or {}},
                      "authentication": {}},
             "status": {"phase": "Bound"}},
        ]
        for obj in objects:
            kind = self.ctx.kind(obj["apiVersion"], obj["kind"])
            status = obj.pop("status", None)
            with contextlib.suppress(AlreadyExists):
                self.ctx.store.create(kind, obj, field_manager=COMPONENT)
            if status is not None:
                self.ctx.store.patch(kind, obj["metadata"]["name"], {"status": status}, MERGE,
                                     namespace=obj["metadata"].get("namespace"), subresource="status",
                                     field_manager=COMPONENT)
        obc_kind = self.ctx.kind("objectbucket.io/v1alpha1", "ObjectBucketClaim")
        self.ctx.store.patch(obc_kind, name, {"metadata": {"labels": labels}, "spec": {
            "bucketName": bucket.name, "objectBucketName": f"obc-{ns}-{name}"}}, MERGE, namespace=ns,
            field_manager=COMPONENT)
        self.ctx.store.patch(obc_kind, name, {"status": {"phase": "Bound"}}, MERGE, namespace=ns,
                             subresource="status", field_manager=COMPONENT)

    def _release(self, obc: Obj) -> None:
        """Deleting a claim deletes its bucket (reclaimPolicy Delete), ObjectBucket, Secret and ConfigMap."""
        meta = obc["metadata"]
        ns, name = meta["namespace"], meta["name"]
        bucket_name = (obc.get("spec") or {}).get("bucketName")
        if bucket_name:
            self.provisioner.delete_bucket(bucket_name)
        ob_kind = self.ctx.kind("objectbucket.io/v1alpha1", "ObjectBucket")
        with contextlib.suppress(NotFound):
            self.ctx.store.patch(ob_kind, f"obc-{ns}-{name}", {"metadata": {"finalizers": None}}, MERGE,
                                 field_manager=COMPONENT)
            self.ctx.store.delete(ob_kind, f"obc-{ns}-{name}")
        for api_version, kind in (("v1", "Secret"), ("v1", "ConfigMap")):
            with contextlib.suppress(NotFound):
                self.ctx.store.delete(self.ctx.kind(api_version, kind), name, ns)
        finalizers = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
        self.ctx.store.patch(self.ctx.kind("objectbucket.io/v1alpha1", "ObjectBucketClaim"), name,
                             {"metadata": {"finalizers": finalizers or None}}, MERGE, namespace=ns,
                             field_manager=COMPONENT)
