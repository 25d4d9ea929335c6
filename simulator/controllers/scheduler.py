"""kube-scheduler: binds Pending pods to nodes that pass its filters, or says why none does.

Filters in the default profile's order (NodeUnschedulable, TaintToleration, NodeAffinity,
NodeResourcesFit); the project annotations of OpenShift's PodNodeSelector and
PodTolerationRestriction admission plugins apply; the FailedScheduling text is `FitError.Error()`'s.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.controllers.base import Context, Key, Obj, Watched
from simulator.controllers.recording import NORMAL, WARNING
from simulator.profiles import quantity
from simulator.store.selectors import parse_label_selector

COMPONENT = "default-scheduler"
NODE_SELECTOR_ANNOTATIONS = ("openshift.io/node-selector", "scheduler.alpha.kubernetes.io/node-selector")
TOLERATIONS_ANNOTATION = "scheduler.alpha.kubernetes.io/defaultTolerations"
_UNHELPFUL = "Preemption is not helpful for scheduling"
_NO_VICTIMS = "No preemption victims found for incoming pod"


@dataclass(frozen=True)
class Requests:
    cpu: float = 0.0
    memory: float = 0.0
    pods: int = 1


def pod_requests(spec: Mapping[str, Any]) -> Requests:
    """What a pod asks for: the sum over containers, or the largest init container if bigger."""
    def of(c: Mapping[str, Any], name: str) -> float:
        res = c.get("resources") or {}
        value = (res.get("requests") or {}).get(name, (res.get("limits") or {}).get(name))
        return quantity(value) if value is not None else 0.0

    containers = spec.get("containers") or []
    inits = spec.get("initContainers") or []
    cpu = max([sum(of(c, "cpu") for c in containers)] + [of(c, "cpu") for c in inits])
    memory = max([sum(of(c, "memory") for c in containers)] + [of(c, "memory") for c in inits])
    return Requests(cpu, memory)


def tolerates(tolerations: Iterable[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    """core/v1 `Toleration.ToleratesTaint`."""
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        if t.get("key") and t["key"] != taint.get("key"):
            continue
        op = t.get("operator") or "Equal"
        if op == "Exists" or (op == "Equal" and (t.get("value") or "") == (taint.get("value") or "")):
            return True
    return False


def _match_expression(labels: Mapping[str, str], expr: Mapping[str, Any]) -> bool:
    key, op, values = expr.get("key", ""), expr.get("operator"), expr.get("values") or []
    present = key in labels
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and values:
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def matches_affinity(spec: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """nodeSelector AND any of requiredDuringSchedulingIgnoredDuringExecution's terms (NodeAffinity)."""
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms")
    if not terms:
        return True
    return any(term.get("matchExpressions") and all(_match_expression(labels, e) for e in term["matchExpressions"])
               for term in terms)


def effective_spec(pod_spec: Mapping[str, Any], namespace: Mapping[str, Any] | None) -> dict[str, Any]:
    """The pod spec after the project's node selector and default tolerations are merged in.

    OpenShift's PodNodeSelector and PodTolerationRestriction admission plugins do this at creation;
    applying it here keeps the simulator's admission untouched and gives the same placement.
    """
    spec = dict(pod_spec)
    annotations = ((namespace or {}).get("metadata") or {}).get("annotations") or {}
    for name in NODE_SELECTOR_ANNOTATIONS:
        if annotations.get(name):
            selector = {r.key: next(iter(r.values), "") for r in parse_label_selector(annotations[name])
                        if r.op == "="}
            spec["nodeSelector"] = {**selector, **(spec.get("nodeSelector") or {})}
            break
    if annotations.get(TOLERATIONS_ANNOTATION):
        try:
            extra = json.loads(annotations[TOLERATIONS_ANNOTATION])
        except ValueError:
            extra = []
        spec["tolerations"] = [*(spec.get("tolerations") or []), *[t for t in extra if isinstance(t, dict)]]
    return spec


def filter_node(spec: Mapping[str, Any], req: Requests, node: Mapping[str, Any],
                used: Requests) -> tuple[list[str], bool]:
    """Why `node` cannot take the pod (empty: it can), and whether preemption could help there."""
    node_spec = node.get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    tolerations = spec.get("tolerations") or []
    if node_spec.get("unschedulable") and not tolerates(
            tolerations, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}):
        return ["node(s) were unschedulable"], False
    for taint in node_spec.get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(tolerations, taint):
            return [f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value', '')}}}"], False
    if not matches_affinity(spec, labels):
        return ["node(s) didn't match Pod's node affinity/selector"], False
    alloc = (node.get("status") or {}).get("allocatable") or {}
    reasons = []
    if used.pods + 1 > quantity(alloc.get("pods", "110")):
        reasons.append("Too many pods")
    if req.cpu and used.cpu + req.cpu > quantity(alloc.get("cpu", "0")) + 1e-9:
        reasons.append("Insufficient cpu")
    if req.memory and used.memory + req.memory > quantity(alloc.get("memory", "0")):
        reasons.append("Insufficient memory")
    return reasons, True


def _histogram(counts: Counter[str]) -> str:
    return ", ".join(sorted(f"{n} {reason}" for reason, n in counts.items()))


def fit_error(total: int, *, preemption: Counter[str], reasons: Counter[str] | None = None,
              prefilter: str | None = None) -> str:
    """`FitError.Error()`: the sorted reason histogram (or the PreFilter's message), then preemption's."""
    head = f"0/{total} nodes are available:"
    body = prefilter if prefilter is not None else _histogram(reasons or Counter())
    return f"{head} {body}. preemption: {head} {_histogram(preemption)}."


def _owner_uid(obj: Mapping[str, Any]) -> str | None:
    return next((r.get("uid") for r in obj["metadata"].get("ownerReferences") or () if r.get("controller")), None)


class Scheduler:
    """Schedules pods whose `schedulerName` is `default-scheduler` (assumes its own bindings at once)."""

    name = "scheduler"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._placed: dict[str, tuple[str, Requests, str | None]] = {}  # pod uid -> (node, requests, owner)
        self._used: dict[str, Requests] = {}
        self._siblings: Counter[tuple[str, str | None]] = Counter()  # (node, owner uid) -> pods
        self._waiting: dict[Key, None] = {}  # unschedulable pods, retried on any cluster change
        self.watches = (
            Watched("v1", "Pod", self._pod_keys),
            Watched("v1", "Node", self._retry_keys),
            Watched("v1", "PersistentVolumeClaim", self._retry_keys),
        )

    # ---- cache (kube-scheduler's, with its own bindings assumed at once) -----------------------

    def _account(self, uid: str, placement: tuple[str, Requests, str | None] | None) -> None:
        old = self._placed.pop(uid, None)
        if old is not None:
            node, req, owner = old
            u = self._used[node]
            self._used[node] = Requests(u.cpu - req.cpu, u.memory - req.memory, u.pods - 1)
            self._siblings[(node, owner)] -= 1
        if placement is not None:
            node, req, owner = placement
            self._placed[uid] = placement
            u = self._used.get(node, Requests(0, 0, 0))
            self._used[node] = Requests(u.cpu + req.cpu, u.memory + req.memory, u.pods + 1)
            self._siblings[(node, owner)] += 1

    def _pod_keys(self, etype: str, pod: Obj) -> Iterable[Key]:
        meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
        node = spec.get("nodeName")
        if node and etype != "DELETED" and status.get("phase") not in ("Succeeded", "Failed"):
            if meta["uid"] not in self._placed:
                self._account(meta["uid"], (node, pod_requests(spec), _owner_uid(pod)))
            return ()
        if meta["uid"] in self._placed:
            self._account(meta["uid"], None)
            return list(self._waiting)  # capacity freed: retry the unschedulable
        if etype != "DELETED" and not node and spec.get("schedulerName", COMPONENT) == COMPONENT \
                and not meta.get("deletionTimestamp"):
            return ((meta["namespace"], meta["name"]),)
        return ()

    def _retry_keys(self, _etype: str, _obj: Obj) -> Iterable[Key]:
        return list(self._waiting)

    # ---- scheduling ---------------------------------------------------------------------------

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        pod = self.ctx.read("v1", "Pod", name, ns)
        if pod is None or (pod.get("spec") or {}).get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            self._waiting.pop(key, None)
            return None
        namespace = self.ctx.read("v1", "Namespace", ns)
        spec = effective_spec(pod["spec"], namespace)
        nodes = self.ctx.list("v1", "Node")
        blocked = self._volume_problem(pod)
        if blocked is not None:
            self._unschedulable(key, pod, fit_error(len(nodes), prefilter=blocked,
                                                    preemption=Counter({_UNHELPFUL: len(nodes)})))
            return None
        req = pod_requests(spec)
        reasons: Counter[str] = Counter()
        preemption: Counter[str] = Counter()
        feasible = []
        for node in nodes:
            node_name = node["metadata"]["name"]
            why, resource_only = filter_node(spec, req, node, self._used.get(node_name, Requests(0, 0, 0)))
            if why:
                reasons.update(why)
                preemption[_NO_VICTIMS if resource_only else _UNHELPFUL] += 1
            else:
                feasible.append(node)
        if not feasible:
            message = fit_error(len(nodes), reasons=reasons, preemption=preemption) if nodes else \
                "no nodes available to schedule pods"
            self._unschedulable(key, pod, message)
            return None
        chosen = min(feasible, key=lambda n: self._score(n, pod, req))
        node_name = chosen["metadata"]["name"]
        pod_kind = self.ctx.kind("v1", "Pod")
        self.ctx.store.patch(pod_kind, name, {"spec": {"nodeName": node_name}}, "application/merge-patch+json",
                             namespace=ns, field_manager="kube-scheduler")
        self._account(pod["metadata"]["uid"], (node_name, req, _owner_uid(pod)))
        self._waiting.pop(key, None)
        self.ctx.events.record(pod, NORMAL, "Scheduled", f"Successfully assigned {ns}/{name} to {node_name}",
                               component=COMPONENT)
        return None

    def _score(self, node: Obj, pod: Obj, req: Requests) -> tuple[int, float, str]:
        """Lower is better: fewest pods of the same owner (spreading), then least allocated, then name."""
        name = node["metadata"]["name"]
        used = self._used.get(name, Requests(0, 0, 0))
        alloc = (node.get("status") or {}).get("allocatable") or {}
        cpu, mem = quantity(alloc.get("cpu", "1")) or 1.0, quantity(alloc.get("memory", "1")) or 1.0
        load = max((used.cpu + req.cpu) / cpu, (used.memory + req.memory) / mem)
        owner = _owner_uid(pod)
        siblings = self._siblings[(name, owner)] if owner is not None else 0
        return siblings, round(load, 6), name

    def _volume_problem(self, pod: Obj) -> str | None:
        """The VolumeBinding PreFilter: a missing claim, or one not bound yet."""
        for vol in (pod.get("spec") or {}).get("volumes") or []:
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.ctx.read("v1", "PersistentVolumeClaim", claim, pod["metadata"]["namespace"])
            if pvc is None:
                return f'persistentvolumeclaim "{claim}" not found'
            if (pvc.get("status") or {}).get("phase") != "Bound":
                return "pod has unbound immediate PersistentVolumeClaims"
        return None

    def _unschedulable(self, key: Key, pod: Obj, message: str) -> None:
        self._waiting[key] = None
        condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
                     "lastProbeTime": None, "lastTransitionTime": self.ctx.now()}
        current = next((c for c in (pod.get("status") or {}).get("conditions") or []
                        if c.get("type") == "PodScheduled"), None)
        if current is None or current.get("message") != message:
            self.ctx.store.patch(self.ctx.kind("v1", "Pod"), key[1], {"status": {"conditions": [condition]}},
                                 "application/merge-patch+json", namespace=key[0], subresource="status",
                                 field_manager="kube-scheduler")
        self.ctx.events.record(pod, WARNING, "FailedScheduling", message, component=COMPONENT)
