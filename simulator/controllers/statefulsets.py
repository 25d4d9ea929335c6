"""StatefulSet controller (basic): ordinal pods `<name>-<i>`, claims from volumeClaimTemplates, and
OrderedReady or Parallel management with rolling updates from the highest ordinal down.

Mirrors `pkg/controller/statefulset` event texts and status fields (currentRevision/updateRevision).
"""

from __future__ import annotations

import contextlib
from typing import Any

from simulator.controllers.base import Context, Key, Obj, Watched, owned_by
from simulator.controllers.deployments import template_hash
from simulator.controllers.ownership import owned, pod_from_template
from simulator.controllers.pods import is_active, ready_since
from simulator.controllers.recording import NORMAL
from simulator.store.errors import AlreadyExists

COMPONENT = "statefulset-controller"
REVISION_LABEL = "controller-revision-hash"
MERGE = "application/merge-patch+json"


def _ordinal(pod: Obj, name: str) -> int:
    suffix = pod["metadata"]["name"][len(name) + 1:]
    return int(suffix) if suffix.isdigit() else -1


class StatefulSets:
    name = "statefulsets"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.watches = (Watched("apps/v1", "StatefulSet"), Watched("v1", "Pod", owned_by("StatefulSet")))

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        sts = self.ctx.read("apps/v1", "StatefulSet", name, ns)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            return None
        spec = sts.get("spec") or {}
        replicas = spec.get("replicas", 1)
        revision = f"{name}-{template_hash(spec.get('template') or {})}"
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        pods = {_ordinal(p, name): p for p in owned(self.ctx, "v1", "Pod", sts) if is_active(p)}
        pod_kind = self.ctx.kind("v1", "Pod")
        for i in range(replicas):
            if i in pods:
                continue
            if ordered and any(not ready_since(pods[j]) for j in range(i) if j in pods):
                break
            self._create_claims(sts, i)
            pod = pod_from_template(sts, spec.get("template") or {}, name=f"{name}-{i}", extra_labels={
                REVISION_LABEL: revision, "statefulset.kubernetes.io/pod-name": f"{name}-{i}",
                "apps.kubernetes.io/pod-index": str(i)})
            pod["spec"] = {**pod["spec"], "hostname": f"{name}-{i}", "subdomain": spec.get("serviceName", "")}
            pod["spec"]["volumes"] = [*(pod["spec"].get("volumes") or []), *(
                {"name": t["metadata"]["name"], "persistentVolumeClaim": {"claimName": f"{t['metadata']['name']}-{name}-{i}"}}
                for t in spec.get("volumeClaimTemplates") or [])]
            with contextlib.suppress(AlreadyExists):
                pods[i] = self.ctx.store.create(pod_kind, pod, field_manager="kube-controller-manager")
                self.ctx.events.record(sts, NORMAL, "SuccessfulCreate",
                                       f"create Pod {name}-{i} in StatefulSet {name} successful", component=COMPONENT)
            if ordered:
                break
        for i in sorted((i for i in pods if i >= replicas), reverse=True):
            self._delete(sts, pods.pop(i))
            if ordered:
                break
        all_ready = len(pods) == replicas and all(ready_since(p) for p in pods.values())
        stale = [i for i, p in pods.items() if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision]
        if stale and all_ready and (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate":
            self._delete(sts, pods.pop(max(stale)))
        return self._sync_status(sts, pods, revision)

    def _create_claims(self, sts: Obj, i: int) -> None:
        name, ns = sts["metadata"]["name"], sts["metadata"]["namespace"]
        for template in (sts.get("spec") or {}).get("volumeClaimTemplates") or []:
            claim = f"{template['metadata']['name']}-{name}-{i}"
            body = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": {"name": claim, "namespace": ns,
                                 "labels": dict((template.get("metadata") or {}).get("labels") or {})},
                    "spec": template.get("spec") or {}}
            with contextlib.suppress(AlreadyExists):
                self.ctx.store.create(self.ctx.kind("v1", "PersistentVolumeClaim"), body,
                                      field_manager="kube-controller-manager")
                self.ctx.events.record(sts, NORMAL, "SuccessfulCreate", f"create Claim {claim} Pod {name}-{i} in "
                                       f"StatefulSet {name} success", component=COMPONENT)

    def _delete(self, sts: Obj, pod: Obj) -> None:
        self.ctx.store.delete(self.ctx.kind("v1", "Pod"), pod["metadata"]["name"], pod["metadata"]["namespace"])
        self.ctx.events.record(sts, NORMAL, "SuccessfulDelete", f"delete Pod {pod['metadata']['name']} in "
                               f"StatefulSet {sts['metadata']['name']} successful", component=COMPONENT)

    def _sync_status(self, sts: Obj, pods: dict[int, Obj], revision: str) -> None:
        updated = sum(1 for p in pods.values() if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision)
        ready = sum(1 for p in pods.values() if ready_since(p))
        previous = sts.get("status") or {}
        status: dict[str, Any] = {
            "observedGeneration": sts["metadata"].get("generation", 1), "replicas": len(pods),
            "readyReplicas": ready, "availableReplicas": ready,
            "currentReplicas": len(pods) if updated == len(pods) else len(pods) - updated, "updatedReplicas": updated,
            "currentRevision": revision if updated == len(pods) else previous.get("currentRevision", revision),
            "updateRevision": revision, "collisionCount": 0}
        if status != previous:
            self.ctx.store.patch(self.ctx.kind("apps/v1", "StatefulSet"), sts["metadata"]["name"], {"status": status},
                                 MERGE, namespace=sts["metadata"]["namespace"], subresource="status",
                                 field_manager="kube-controller-manager")
