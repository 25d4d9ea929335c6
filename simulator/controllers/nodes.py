"""Node lifecycle controller: a node whose kubelet stops posting (knob `not-ready`) turns Unknown, is
tainted unreachable, and its pods are evicted after the `node-eviction` delay; clearing the knob heals it.

Mirrors `pkg/controller/nodelifecycle` (NodeStatusUnknown, `node.kubernetes.io/unreachable` taints,
TaintManagerEviction events).
"""

from __future__ import annotations

from typing import Any

from simulator.controllers.base import Context, Key, Watched
from simulator.controllers.recording import NORMAL

COMPONENT = "node-controller"
MERGE = "application/merge-patch+json"
UNREACHABLE = "node.kubernetes.io/unreachable"
_HEALTHY = {"MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            "Ready": ("True", "KubeletReady", "kubelet is posting ready status")}


class NodeLifecycle:
    name = "nodes"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._lost: dict[str, float] = {}  # node -> when it went NotReady
        self.watches = (Watched("v1", "Node"),)

    def reconcile(self, key: Key) -> float | None:
        node = self.ctx.read("v1", "Node", key[1])
        if node is None:
            return None
        name = node["metadata"]["name"]
        lost = (self.ctx.knob(node, "not-ready") or "").lower() == "true"
        now_text = self.ctx.now()
        taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("key") != UNREACHABLE]
        if lost:
            taints += [{"key": UNREACHABLE, "effect": "NoSchedule", "timeAdded": now_text},
                       {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": now_text}]
        conditions = []
        for c in (node.get("status") or {}).get("conditions") or []:
            status, reason, message = ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.") \
                if lost else _HEALTHY.get(c["type"], (c.get("status"), c.get("reason"), c.get("message")))
            changed = c.get("status") != status
            conditions.append({**c, "status": status, "reason": reason, "message": message,
                               **({"lastTransitionTime": now_text} if changed else {})})
        kind = self.ctx.kind("v1", "Node")
        current_keys = {(t.get("key"), t.get("effect")) for t in (node.get("spec") or {}).get("taints") or []}
        if current_keys != {(t.get("key"), t.get("effect")) for t in taints}:
            self.ctx.store.patch(kind, name, {"spec": {"taints": taints or None}}, MERGE, field_manager=COMPONENT)
        if conditions != (node.get("status") or {}).get("conditions"):
            self.ctx.store.patch(kind, name, {"status": {"conditions": conditions}}, MERGE, subresource="status",
                                 field_manager=COMPONENT)
        if not lost:
            self._lost.pop(name, None)
            return None
        now = self.ctx.clock.now()
        since = self._lost.setdefault(name, now)
        left = since + self.ctx.delay("node-eviction", node) - now
        if left > 0:
            return left
        self._evict(name)
        return None

    def _evict(self, node: str) -> None:
        pod_kind = self.ctx.kind("v1", "Pod")
        for pod in list(self.ctx.list("v1", "Pod", field_selector=f"spec.nodeName={node}")):
            meta: dict[str, Any] = pod["metadata"]
            self.ctx.events.record(pod, NORMAL, "TaintManagerEviction",
                                   f"Marking for deletion Pod {meta['namespace']}/{meta['name']}",
                                   component="taint-eviction-controller")
            self.ctx.store.delete(pod_kind, meta["name"], meta["namespace"])
