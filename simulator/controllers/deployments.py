"""Deployment controller: ReplicaSets per pod template (pod-template-hash), RollingUpdate and Recreate.

Mirrors `pkg/controller/deployment` (rolling.go, recreate.go, sync.go, progress.go): the same
surge/unavailable arithmetic, revision annotations, status counts and condition reasons/messages.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from typing import Any

from simulator.controllers.base import Context, Key, Obj, Watched, owned_by
from simulator.controllers.conditions import find_condition, set_condition
from simulator.controllers.ownership import controller_ref, owned
from simulator.controllers.pods import epoch
from simulator.controllers.recording import NORMAL
from simulator.stages import KNOB_PREFIX
from simulator.store.errors import AlreadyExists

COMPONENT = "deployment-controller"
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
MERGE = "application/merge-patch+json"


def template_hash(template: Mapping[str, Any], collision_count: int = 0) -> str:
    """`controller.ComputeHash`: FNV-1a 32 of the template (and collisionCount), then SafeEncodeString."""
    h = 0x811C9DC5
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += collision_count.to_bytes(4, "little")
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(_SAFE[ord(ch) % len(_SAFE)] for ch in str(h))


def _without_hash(template: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(template))
    labels = (out.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return out


def _scaled(value: Any, total: int, *, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def fenceposts(d: Mapping[str, Any]) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) resolved against replicas; both zero becomes unavailable 1."""
    spec = d.get("spec") or {}
    replicas = spec.get("replicas", 1)
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    surge = _scaled(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = _scaled(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_unavailable(d: Mapping[str, Any]) -> int:
    spec = d.get("spec") or {}
    if (spec.get("strategy") or {}).get("type") == "Recreate" or spec.get("replicas", 1) == 0:
        return 0
    return min(fenceposts(d)[1], spec.get("replicas", 1))


def revision(rs: Mapping[str, Any]) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _replicas(rs: Mapping[str, Any] | None) -> int:
    return 0 if rs is None else (rs.get("spec") or {}).get("replicas", 0)


def _stat(rs: Mapping[str, Any] | None, field: str) -> int:
    return 0 if rs is None else (rs.get("status") or {}).get(field, 0)


class Deployments:
    name = "deployments"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.watches = (Watched("apps/v1", "Deployment"), Watched("apps/v1", "ReplicaSet", owned_by("Deployment")))

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        d = self.ctx.get("apps/v1", "Deployment", name, ns)
        if d is None or d["metadata"].get("deletionTimestamp"):
            return None
        spec = d.get("spec") or {}
        template = spec.get("template") or {}
        # shallow copies: _scale keeps spec.replicas and metadata current on them as it goes
        all_rs = [{**rs, "spec": dict(rs["spec"]), "metadata": dict(rs["metadata"])}
                  for rs in owned(self.ctx, "apps/v1", "ReplicaSet", d)]
        matching = sorted((rs for rs in all_rs if _without_hash(rs["spec"].get("template") or {}) == template),
                          key=lambda rs: rs["metadata"].get("creationTimestamp", ""))
        new_rs = matching[0] if matching else None
        old = [rs for rs in all_rs if rs is not new_rs]
        created = False
        recreate = (spec.get("strategy") or {}).get("type") == "Recreate"
        if spec.get("paused"):
            return self._sync_status(d, new_rs, old, created)
        if recreate:
            if not self._rollout_recreate(d, old):
                new_rs, created = self._ensure_new(d, new_rs, old, spec.get("replicas", 1))
        else:
            if new_rs is None:
                new_rs, created = self._ensure_new(d, None, old, self._new_rs_replicas(d, all_rs, None))
            else:
                self._ensure_new(d, new_rs, old, None)
                self._reconcile_new(d, new_rs, all_rs)
            self._reconcile_old(d, new_rs, old)
        self._cleanup(d, old)
        return self._sync_status(d, new_rs, old, created)

    # ---- replica sets -------------------------------------------------------------------------

    def _ensure_new(self, d: Obj, new_rs: Obj | None, old: list[Obj], replicas: int | None) -> tuple[Obj | None, bool]:
        """Create the new ReplicaSet (replicas given), or bring an existing one's revision to the top."""
        next_revision = max((revision(rs) for rs in old), default=0) + 1
        rs_kind = self.ctx.kind("apps/v1", "ReplicaSet")
        ns = d["metadata"]["namespace"]
        if new_rs is not None:
            if revision(new_rs) < next_revision:  # a rollback: the old template's RS becomes the newest
                new_rs = self.ctx.store.patch(rs_kind, new_rs["metadata"]["name"], {"metadata": {"annotations": {
                    REVISION: str(next_revision)}}}, MERGE, namespace=ns, field_manager="kube-controller-manager")
            self._set_revision(d, revision(new_rs))
            if replicas is not None:
                self._scale(d, new_rs, replicas)
            return new_rs, False
        if replicas is None:
            return None, False
        spec = d["spec"]
        collisions = (d.get("status") or {}).get("collisionCount", 0)
        pod_hash = template_hash(spec.get("template") or {}, collisions)
        template = copy.deepcopy(spec.get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        surge = fenceposts(d)[0] if (spec.get("strategy") or {}).get("type") != "Recreate" else 0
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {
            "name": f"{d['metadata']['name']}-{pod_hash}", "namespace": ns,
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {**self._carried_annotations(d), REVISION: str(next_revision),
                            DESIRED: str(spec.get("replicas", 1)), MAX_REPLICAS: str(spec.get("replicas", 1) + surge)},
            "ownerReferences": [controller_ref(d)]},
            "spec": {"replicas": replicas, "minReadySeconds": spec.get("minReadySeconds", 0), "selector": selector,
                     "template": template}}
        try:
            created = self.ctx.store.create(rs_kind, rs, field_manager="kube-controller-manager")
        except AlreadyExists:
            # a ReplicaSet of that name with another template: bump collisionCount and hash again
            self.ctx.store.patch(self.ctx.kind("apps/v1", "Deployment"), d["metadata"]["name"],
                                 {"status": {"collisionCount": collisions + 1}}, MERGE, namespace=ns,
                                 subresource="status", field_manager="kube-controller-manager")
            return None, False
        self._set_revision(d, next_revision)
        if replicas > 0:
            self.ctx.events.record(d, NORMAL, "ScalingReplicaSet",
                                   f"Scaled up replica set {created['metadata']['name']} to {replicas}",
                                   component=COMPONENT)
        return created, True

    @staticmethod
    def _carried_annotations(d: Obj) -> dict[str, str]:
        """Deployment annotations copied to its ReplicaSets (all but kubectl's, the revision's and knobs)."""
        skip = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/", KNOB_PREFIX)
        return {k: v for k, v in (d["metadata"].get("annotations") or {}).items() if not k.startswith(skip)}

    def _set_revision(self, d: Obj, rev: int) -> None:
        if (d["metadata"].get("annotations") or {}).get(REVISION) != str(rev):
            updated = self.ctx.store.patch(self.ctx.kind("apps/v1", "Deployment"), d["metadata"]["name"],
                                           {"metadata": {"annotations": {REVISION: str(rev)}}}, MERGE,
                                           namespace=d["metadata"]["namespace"],
                                           field_manager="kube-controller-manager")
            d["metadata"] = updated["metadata"]

    def _scale(self, d: Obj, rs: Obj, replicas: int) -> bool:
        """Set a ReplicaSet's replicas (and the desired/max annotations); ScalingReplicaSet event."""
        spec = d["spec"]
        surge = fenceposts(d)[0] if (spec.get("strategy") or {}).get("type") != "Recreate" else 0
        annotations = {DESIRED: str(spec.get("replicas", 1)), MAX_REPLICAS: str(spec.get("replicas", 1) + surge)}
        before = _replicas(rs)
        current = rs["metadata"].get("annotations") or {}
        if before == replicas and all(current.get(k) == v for k, v in annotations.items()):
            return False
        updated = self.ctx.store.patch(self.ctx.kind("apps/v1", "ReplicaSet"), rs["metadata"]["name"],
                                       {"metadata": {"annotations": annotations}, "spec": {"replicas": replicas}},
                                       MERGE, namespace=rs["metadata"]["namespace"],
                                       field_manager="kube-controller-manager")
        rs["spec"]["replicas"], rs["metadata"] = replicas, updated["metadata"]
        if before != replicas:
            direction = "up" if replicas > before else "down"
            text = f"Scaled {direction} replica set {rs['metadata']['name']} to {replicas}"
            self.ctx.events.record(d, NORMAL, "ScalingReplicaSet", text + (f" from {before}" if before else ""),
                                   component=COMPONENT)
        return before != replicas

    def _new_rs_replicas(self, d: Obj, all_rs: list[Obj], new_rs: Obj | None) -> int:
        """`NewRSNewReplicas` for RollingUpdate: scale up as far as maxSurge allows."""
        replicas = d["spec"].get("replicas", 1)
        surge, _ = fenceposts(d)
        current = sum(_replicas(rs) for rs in all_rs)
        if current >= replicas + surge:
            return _replicas(new_rs)
        return _replicas(new_rs) + min(replicas + surge - current, replicas - _replicas(new_rs))

    def _reconcile_new(self, d: Obj, new_rs: Obj, all_rs: list[Obj]) -> None:
        replicas = d["spec"].get("replicas", 1)
        if _replicas(new_rs) > replicas:
            self._scale(d, new_rs, replicas)
        elif _replicas(new_rs) < replicas:
            self._scale(d, new_rs, self._new_rs_replicas(d, all_rs, new_rs))

    def _reconcile_old(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        """`reconcileOldReplicaSets`: drop unhealthy old replicas, then scale old down to keep minAvailable."""
        if not sum(_replicas(rs) for rs in old):
            return
        replicas = d["spec"].get("replicas", 1)
        _, unavailable = fenceposts(d)
        min_available = replicas - unavailable
        all_rs = [*old, *([new_rs] if new_rs else [])]
        total = sum(_replicas(rs) for rs in all_rs)
        new_unavailable = _replicas(new_rs) - _stat(new_rs, "availableReplicas")
        budget = total - min_available - new_unavailable
        if budget <= 0:
            return
        by_age = sorted(old, key=lambda rs: rs["metadata"].get("creationTimestamp", ""))
        for rs in by_age:  # cleanupUnhealthyReplicas
            if budget <= 0:
                break
            unhealthy = _replicas(rs) - _stat(rs, "availableReplicas")
            if unhealthy <= 0:
                continue
            cut = min(budget, unhealthy)
            self._scale(d, rs, _replicas(rs) - cut)
            budget -= cut
        available = sum(_stat(rs, "availableReplicas") for rs in all_rs)
        if available <= min_available:
            return
        budget = available - min_available
        for rs in by_age:  # scaleDownOldReplicaSetsForRollingUpdate
            if budget <= 0:
                break
            cut = min(_replicas(rs), budget)
            if cut:
                self._scale(d, rs, _replicas(rs) - cut)
                budget -= cut

    def _rollout_recreate(self, d: Obj, old: list[Obj]) -> bool:
        """Scale every old ReplicaSet to zero; True while their pods still run (the new one waits)."""
        busy = False
        for rs in old:
            if _replicas(rs):
                self._scale(d, rs, 0)
                busy = True
            elif _stat(rs, "replicas"):
                busy = True
        return busy

    def _cleanup(self, d: Obj, old: list[Obj]) -> None:
        """Delete scaled-down old ReplicaSets beyond revisionHistoryLimit, oldest revision first."""
        limit = d["spec"].get("revisionHistoryLimit", 10)
        idle = sorted((rs for rs in old if not _replicas(rs) and not _stat(rs, "replicas")
                       and not rs["metadata"].get("deletionTimestamp")), key=revision)
        for rs in idle[:max(len(idle) - limit, 0)]:
            self.ctx.store.delete(self.ctx.kind("apps/v1", "ReplicaSet"), rs["metadata"]["name"],
                                  rs["metadata"]["namespace"])

    # ---- status -------------------------------------------------------------------------------

    def _sync_status(self, d: Obj, new_rs: Obj | None, old: list[Obj], created: bool) -> float | None:
        spec, meta = d["spec"], d["metadata"]
        want = spec.get("replicas", 1)
        all_rs = [*old, *([new_rs] if new_rs else [])]
        previous = d.get("status") or {}
        status: dict[str, Any] = {
            "observedGeneration": meta.get("generation", 1),
            "replicas": sum(_stat(rs, "replicas") for rs in all_rs),
            "updatedReplicas": _stat(new_rs, "replicas"),
            "readyReplicas": sum(_stat(rs, "readyReplicas") for rs in all_rs),
            "availableReplicas": sum(_stat(rs, "availableReplicas") for rs in all_rs),
        }
        status["unavailableReplicas"] = max(want - status["availableReplicas"], 0)
        now = self.ctx.now()
        conditions = list(previous.get("conditions") or [])
        if status["availableReplicas"] >= want - max_unavailable(d):
            available = {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                         "message": "Deployment has minimum availability."}
        else:
            available = {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                         "message": "Deployment does not have minimum availability."}
        conditions = set_condition(conditions, available, now, update_time=True)
        wake = None
        rs_name = new_rs["metadata"]["name"] if new_rs else ""
        progressing = find_condition(conditions, "Progressing")
        deadline = spec.get("progressDeadlineSeconds")
        if created:
            conditions = set_condition(conditions, {
                "type": "Progressing", "status": "True", "reason": "NewReplicaSetCreated",
                "message": f'Created new replica set "{rs_name}"'}, now, update_time=True)
        elif new_rs is not None and progressing is None:
            conditions = set_condition(conditions, {
                "type": "Progressing", "status": "True", "reason": "FoundNewReplicaSet",
                "message": f'Found new replica set "{rs_name}"'}, now, update_time=True)
        elif deadline is not None and not (status["replicas"] == status["updatedReplicas"] and progressing
                                           and progressing.get("reason") == "NewReplicaSetAvailable"):
            complete = (status["updatedReplicas"] == want and status["replicas"] == want
                        and status["availableReplicas"] == want)
            moved = (status["updatedReplicas"] > previous.get("updatedReplicas", 0)
                     or status["replicas"] - status["updatedReplicas"]
                     < previous.get("replicas", 0) - previous.get("updatedReplicas", 0)
                     or status["readyReplicas"] > previous.get("readyReplicas", 0)
                     or status["availableReplicas"] > previous.get("availableReplicas", 0))
            if complete and new_rs is not None:
                conditions = set_condition(conditions, {
                    "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                    "message": f'ReplicaSet "{rs_name}" has successfully progressed.'}, now, update_time=True)
            elif moved and new_rs is not None:
                conditions = set_condition(conditions, {
                    "type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                    "message": f'ReplicaSet "{rs_name}" is progressing.'}, now, update_time=True, touch=True)
            elif progressing is not None and progressing.get("status") == "True" and new_rs is not None:
                left = epoch(progressing.get("lastUpdateTime")) + deadline - self.ctx.clock.now()
                if left <= 0:
                    conditions = set_condition(conditions, {
                        "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                        "message": f'ReplicaSet "{rs_name}" has timed out progressing.'}, now, update_time=True)
                else:
                    wake = left
        status["conditions"] = sorted(conditions, key=lambda c: c["type"] != "Available")
        if status.get("unavailableReplicas") == 0:
            del status["unavailableReplicas"]
        if "collisionCount" in previous:
            status["collisionCount"] = previous["collisionCount"]
        if status != previous:
            self.ctx.store.patch(self.ctx.kind("apps/v1", "Deployment"), meta["name"],
                                 {"status": {**{k: None for k in previous if k not in status}, **status}}, MERGE,
                                 namespace=meta["namespace"], subresource="status",
                                 field_manager="kube-controller-manager")
        return wake
