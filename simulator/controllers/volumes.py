"""Dynamic provisioning: PVCs bind to generated PVs (`pvc-<uid>`), grow when their class allows it.

Mirrors the PV controller with a CSI external-provisioner and external-resizer: the bind-completed
annotations, ProvisioningSucceeded / FailedBinding events, reclaimPolicy Delete, and expansion.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from simulator.controllers.base import Context, Key, Obj, Watched
from simulator.controllers.recording import NORMAL, WARNING
from simulator.profiles import OBC_PROVISIONER, quantity
from simulator.store.errors import AlreadyExists, NotFound

COMPONENT = "persistentvolume-controller"
MERGE = "application/merge-patch+json"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


class Volumes:
    name = "volumes"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._due: dict[tuple[str, str], float] = {}  # (claim uid, stage) -> when it fires
        self._released: dict[Key, str] = {}  # deleted claims -> uid (their PV goes with them)
        self.watches = (Watched("v1", "PersistentVolumeClaim", self._keys),)

    def _keys(self, etype: str, pvc: Obj) -> Iterable[Key]:
        key = (pvc["metadata"]["namespace"], pvc["metadata"]["name"])
        if etype == "DELETED":
            self._released[key] = pvc["metadata"]["uid"]
        return (key,)

    def _storage_class(self, pvc: Obj) -> Obj | None:
        name = (pvc.get("spec") or {}).get("storageClassName")
        if name:
            return self.ctx.read("storage.k8s.io/v1", "StorageClass", name)
        defaults = [sc for sc in self.ctx.list("storage.k8s.io/v1", "StorageClass")
                    if (sc["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true"]
        return defaults[0] if defaults else None

    def _wait(self, pvc: Obj, stage: str) -> float:
        """Seconds left before `stage` fires for this claim (0 when due)."""
        now = self.ctx.clock.now()
        due = self._due.setdefault((pvc["metadata"]["uid"], stage), now + self.ctx.delay(stage, pvc))
        return max(due - now, 0.0)

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        pvc = self.ctx.read("v1", "PersistentVolumeClaim", name, ns)
        released = self._released.pop(key, None)
        if released is not None and (pvc is None or pvc["metadata"]["uid"] != released):
            self._reclaim(released)
        if pvc is None or pvc["metadata"].get("deletionTimestamp"):
            return None
        if (self.ctx.knob(pvc, "hold") or "").lower() == "true":
            return None
        sc = self._storage_class(pvc)
        if sc is None:
            named = (pvc.get("spec") or {}).get("storageClassName")
            if named:
                self.ctx.events.record(pvc, WARNING, "ProvisioningFailed",
                                       f'storageclass.storage.k8s.io "{named}" not found', component=COMPONENT)
            else:
                self.ctx.events.record(pvc, NORMAL, "FailedBinding", "no persistent volumes available for this "
                                       "claim and no storage class is set", component=COMPONENT)
            return None
        if sc.get("provisioner") == OBC_PROVISIONER:
            return None  # a bucket class: claims go through ObjectBucketClaims, not PVCs
        if (pvc.get("status") or {}).get("phase") != "Bound":
            wait = self._wait(pvc, "pvc-bind")
            return wait if wait else self._bind(pvc, sc)
        return self._resize(pvc, sc)

    def _bind(self, pvc: Obj, sc: Obj) -> None:
        meta, spec = pvc["metadata"], pvc.get("spec") or {}
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        pv_name = f"pvc-{meta['uid']}"
        provisioner = sc.get("provisioner", "")
        pv_kind = self.ctx.kind("v1", "PersistentVolume")
        pv = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {
            "name": pv_name, "annotations": {"pv.kubernetes.io/provisioned-by": provisioner,
                                             "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                                             "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""},
            "finalizers": ["kubernetes.io/pv-protection"]},
            "spec": {"capacity": {"storage": size}, "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                     "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": meta["name"],
                                  "namespace": meta["namespace"], "uid": meta["uid"],
                                  "resourceVersion": meta["resourceVersion"]},
                     "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                     "storageClassName": sc["metadata"]["name"], "volumeMode": spec.get("volumeMode", "Filesystem"),
                     "csi": {"driver": provisioner, "volumeHandle": meta["uid"], "fsType": "ext4"}}}
        with contextlib.suppress(AlreadyExists):  # an earlier attempt got this far
            self.ctx.store.create(pv_kind, pv, field_manager="csi-provisioner")
        self.ctx.store.patch(pv_kind, pv_name, {"status": {"phase": "Bound"}}, MERGE, subresource="status",
                             field_manager=COMPONENT)
        pvc_kind = self.ctx.kind("v1", "PersistentVolumeClaim")
        self.ctx.store.patch(pvc_kind, meta["name"], {"metadata": {"annotations": {
            "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
            "volume.beta.kubernetes.io/storage-provisioner": provisioner,
            "volume.kubernetes.io/storage-provisioner": provisioner}}, "spec": {"volumeName": pv_name}},
            MERGE, namespace=meta["namespace"], field_manager=COMPONENT)
        self.ctx.store.patch(pvc_kind, meta["name"], {"status": {
            "phase": "Bound", "accessModes": pv["spec"]["accessModes"], "capacity": {"storage": size}}},
            MERGE, namespace=meta["namespace"], subresource="status", field_manager=COMPONENT)
        self.ctx.events.record(pvc, NORMAL, "ProvisioningSucceeded", f"Successfully provisioned volume {pv_name}",
                               component=f"{provisioner}_csi-controller")

    def _resize(self, pvc: Obj, sc: Obj) -> float | None:
        """Grow a bound claim whose request exceeds its capacity (guide 8.3.1), if the class allows it."""
        meta, spec = pvc["metadata"], pvc.get("spec") or {}
        wanted = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        have = ((pvc.get("status") or {}).get("capacity") or {}).get("storage")
        if not wanted or not have or quantity(wanted) <= quantity(have):
            return None
        if not sc.get("allowVolumeExpansion"):
            self.ctx.events.record(pvc, WARNING, "VolumeResizeFailed", "only dynamically provisioned pvc can be "
                                   "resized and the storageclass that provisions the pvc must support resize",
                                   component="volume_expand")
            return None
        stage = f"pvc-resize-{wanted}"
        now = self.ctx.clock.now()
        due = self._due.setdefault((meta["uid"], stage), now + self.ctx.delay("pvc-resize", pvc))
        if now < due:
            return due - now
        pv_name = spec.get("volumeName") or f"pvc-{meta['uid']}"
        self.ctx.store.patch(self.ctx.kind("v1", "PersistentVolume"), pv_name,
                             {"spec": {"capacity": {"storage": wanted}}}, MERGE, field_manager="csi-resizer")
        self.ctx.store.patch(self.ctx.kind("v1", "PersistentVolumeClaim"), meta["name"],
                             {"status": {"capacity": {"storage": wanted}, "allocatedResources": {"storage": wanted}}},
                             MERGE, namespace=meta["namespace"], subresource="status", field_manager="csi-resizer")
        self.ctx.events.record(pvc, NORMAL, "VolumeResizeSuccessful", f"ExpandVolume succeeded for volume "
                               f"{meta['namespace']}/{meta['name']}", component="external-resizer")
        return None

    def _reclaim(self, uid: str) -> None:
        """reclaimPolicy Delete: the claim is gone, so its volume goes too (pv-protection lifted)."""
        kind = self.ctx.kind("v1", "PersistentVolume")
        name = f"pvc-{uid}"
        try:
            pv: dict[str, Any] = self.ctx.store.get(kind, name)
        except NotFound:
            return
        if (pv.get("spec") or {}).get("persistentVolumeReclaimPolicy", "Delete") != "Delete":
            self.ctx.store.patch(kind, name, {"status": {"phase": "Released"}}, MERGE, subresource="status",
                                 field_manager=COMPONENT)
            return
        self.ctx.store.patch(kind, name, {"metadata": {"finalizers": None}}, MERGE, field_manager=COMPONENT)
        with contextlib.suppress(NotFound):
            self.ctx.store.delete(kind, name)
