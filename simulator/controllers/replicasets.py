"""ReplicaSet controller: keeps `spec.replicas` pods, deleting the least useful first; status counts.

Mirrors `pkg/controller/replicaset` (getPodsToDelete ranking, SuccessfulCreate/SuccessfulDelete
events, availability after minReadySeconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.controllers.base import Context, Key, Watched, owned_by
from simulator.controllers.ownership import owned, pod_from_template
from simulator.controllers.pods import epoch, is_active, ready_since
from simulator.controllers.recording import NORMAL
from simulator.store.errors import StatusError

COMPONENT = "replicaset-controller"
_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def deletion_rank(pod: Mapping[str, Any]) -> tuple[Any, ...]:
    """`controller.ActivePods` ordering: unassigned, pending, not ready, then the youngest first."""
    status = pod.get("status") or {}
    restarts = sum(c.get("restartCount", 0) for c in status.get("containerStatuses") or [])
    return (bool((pod.get("spec") or {}).get("nodeName")), _PHASE_RANK.get(status.get("phase", ""), 0),
            ready_since(pod) is not None, -restarts, -epoch(pod["metadata"].get("creationTimestamp")))


class ReplicaSets:
    name = "replicasets"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.watches = (Watched("apps/v1", "ReplicaSet"), Watched("v1", "Pod", owned_by("ReplicaSet")))

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        rs = self.ctx.read("apps/v1", "ReplicaSet", name, ns)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return None
        spec = rs.get("spec") or {}
        pods = [p for p in owned(self.ctx, "v1", "Pod", rs, spec.get("selector")) if is_active(p)]
        diff = len(pods) - spec.get("replicas", 1)
        pod_kind = self.ctx.kind("v1", "Pod")
        if diff < 0:
            for _ in range(-diff):
                try:
                    created = self.ctx.store.create(pod_kind, pod_from_template(rs, spec.get("template") or {}),
                                                    field_manager="kube-controller-manager")
                except StatusError as e:
                    self.ctx.events.record(rs, "Warning", "FailedCreate", f"Error creating: {e.message}",
                                           component=COMPONENT)
                    break
                pods.append(created)
                self.ctx.events.record(rs, NORMAL, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}",
                                       component=COMPONENT)
        elif diff > 0:
            for pod in sorted(pods, key=deletion_rank)[:diff]:
                self.ctx.store.delete(pod_kind, pod["metadata"]["name"], ns)
                pods.remove(pod)
                self.ctx.events.record(rs, NORMAL, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}",
                                       component=COMPONENT)
        return self._sync_status(rs, pods)

    def _sync_status(self, rs: dict[str, Any], pods: list[dict[str, Any]]) -> float | None:
        """Write replicas/ready/available counts; requeue when a pod will pass minReadySeconds."""
        min_ready = (rs.get("spec") or {}).get("minReadySeconds", 0)
        now = self.ctx.clock.now()
        ready = available = 0
        wake: float | None = None
        labels = ((rs.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
        fully = sum(1 for p in pods if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items()))
        for p in pods:
            since = ready_since(p)
            if since is None:
                continue
            ready += 1
            remaining = min_ready - (now - epoch(since)) if min_ready else 0
            if remaining <= 0:
                available += 1
            else:
                wake = remaining if wake is None else min(wake, remaining)
        status = {"replicas": len(pods), "fullyLabeledReplicas": fully, "readyReplicas": ready,
                  "availableReplicas": available, "observedGeneration": rs["metadata"].get("generation", 1)}
        current = rs.get("status") or {}
        if any(current.get(k, 0) != v for k, v in status.items()):
            self.ctx.store.patch(self.ctx.kind("apps/v1", "ReplicaSet"), rs["metadata"]["name"], {"status": status},
                                 "application/merge-patch+json", namespace=rs["metadata"]["namespace"],
                                 subresource="status", field_manager="kube-controller-manager")
        return wake

