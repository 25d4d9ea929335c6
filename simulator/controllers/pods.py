"""The kubelet: bound pods go ContainerCreating → Running → Ready (or run to completion), on the clock.

Status, conditions and events follow the kubelet's (`pkg/kubelet/status`, `kuberuntime`); restarts
back off 10s doubling to 300s as upstream, scaled by the pace's `crash-backoff` stage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulator.controllers.base import Context, Key, Obj, Watched
from simulator.controllers.recording import NORMAL, WARNING

COMPONENT = "kubelet"
_TS = "%Y-%m-%dT%H:%M:%SZ"
_BACKOFF_CAP = 30  # 300 s / 10 s, kubelet's MaxContainerBackOff over its initial back-off


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def iso(t: float) -> str:
    return datetime.fromtimestamp(int(t), UTC).strftime(_TS)


def epoch(ts: str | None) -> float:
    """An RFC 3339 timestamp as the API writes it → seconds since the epoch (0 when unset)."""
    return datetime.strptime(ts, _TS).replace(tzinfo=UTC).timestamp() if ts else 0.0


@dataclass
class Plan:
    """One pod's timeline on its node, drawn once so that replays and clock jumps agree."""

    bound_at: float
    start_at: float
    ready_after: float
    run_for: float  # seconds a container runs before it completes or crashes
    backoff: float
    ip: str
    restarts: int = 0  # restarts before `start_at` (the current run)
    last_crash: float | None = None  # when the run before `start_at` crashed
    crashing: bool = False
    exit_code: int = 0
    emitted: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Moment:
    """Where a pod's containers are at one time, and when that changes next."""

    phase: str
    state: str  # waiting | running | terminated | backoff
    since: float
    restarts: int
    ready: bool
    last_crash: float | None = None
    next_at: float | None = None


def restart_backoff(base: float, crashes: int) -> float:
    return min(base * 2 ** (crashes - 1), base * _BACKOFF_CAP)


def moment(plan: Plan, restart_policy: str, now: float) -> Moment:
    """The pod's state at `now` from its plan: pure, so the same plan and time give the same status."""
    if now < plan.start_at:
        if plan.last_crash is not None:  # rebased while backing off: still waiting for the restart
            return Moment("Running", "backoff", plan.last_crash, plan.restarts, False, plan.last_crash,
                          next_at=plan.start_at)
        return Moment("Pending", "waiting", plan.bound_at, plan.restarts, False, next_at=plan.start_at)
    run_from, restarts, last_crash = plan.start_at, plan.restarts, plan.last_crash
    completes = restart_policy != "Always"
    while True:
        ready_at = run_from + plan.ready_after
        if not (plan.crashing or completes):
            ready = now >= ready_at
            return Moment("Running", "running", run_from, restarts, ready, last_crash,
                          next_at=None if ready else ready_at)
        end = run_from + plan.run_for
        if now < end:
            ready = now >= ready_at
            return Moment("Running", "running", run_from, restarts, ready, last_crash,
                          next_at=min(end, ready_at) if not ready and ready_at < end else end)
        if completes and not plan.crashing and (plan.exit_code == 0 or restart_policy == "Never"):
            phase = "Succeeded" if plan.exit_code == 0 else "Failed"
            return Moment(phase, "terminated", end, restarts, False, last_crash)
        restarts += 1
        last_crash = end
        restart_at = end + restart_backoff(plan.backoff, restarts)
        if now < restart_at:
            return Moment("Running", "backoff", end, restarts, False, last_crash, next_at=restart_at)
        run_from = restart_at


def is_active(pod: Mapping[str, Any]) -> bool:
    """Counted toward replicas: not terminal and not being deleted (`controller.IsPodActive`)."""
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") \
        and not pod["metadata"].get("deletionTimestamp")


def ready_since(pod: Mapping[str, Any]) -> str | None:
    """When the pod became Ready (its condition's lastTransitionTime), or None if it is not."""
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("lastTransitionTime") if c.get("status") == "True" else None
    return None


def qos_class(spec: Mapping[str, Any]) -> str:
    """Guaranteed, Burstable or BestEffort, as `v1qos.GetPodQOS` decides."""
    containers = spec.get("containers") or []
    resources = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    for r in resources:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        if not all(name in limits and requests.get(name, limits[name]) == limits[name] for name in ("cpu", "memory")):
            return "Burstable"
    return "Guaranteed"


def _has_probe(spec: Mapping[str, Any]) -> bool:
    return any(c.get("readinessProbe") or c.get("startupProbe") for c in spec.get("containers") or [])


class Kubelet:
    """Every node's kubelet at once: owns `status` of pods bound to a node."""

    name = "kubelet"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._plans: dict[str, Plan] = {}
        self._ips: dict[str, int] = {}  # node -> pods started there (for pod IPs)
        self._subnets: dict[str, int] = {}
        self.watches = (Watched("v1", "Pod", self._keys),)

    def _keys(self, etype: str, pod: Obj) -> Iterable[Key]:
        meta = pod["metadata"]
        if etype == "DELETED":
            self._plans.pop(meta["uid"], None)
            return ()
        if not (pod.get("spec") or {}).get("nodeName"):
            return ()
        return ((meta["namespace"], meta["name"]),)

    def _pod_ip(self, node: str) -> str:
        subnet = self._subnets.setdefault(node, len(self._subnets))
        n = self._ips.get(node, 0)
        self._ips[node] = n + 1
        return f"10.{128 + subnet // 256}.{subnet % 256}.{n % 250 + 2}"

    def _plan(self, pod: Obj) -> Plan:
        spec = pod["spec"]
        now = self.ctx.clock.now()
        start = now + self.ctx.delay("pod-start", pod)
        exit_code = self.ctx.knob(pod, "exit-code")
        restart_policy = spec.get("restartPolicy", "Always")
        completes = restart_policy != "Always"
        plan = Plan(
            bound_at=now, start_at=start,
            ready_after=self.ctx.delay("pod-ready", pod) if _has_probe(spec) else 0.0,
            run_for=self.ctx.delay("pod-complete" if completes else "pod-crash", pod),
            backoff=self.ctx.pace.stage("crash-backoff").delay, ip=self._pod_ip(spec["nodeName"]),
            exit_code=int(exit_code) if exit_code and exit_code.lstrip("-").isdigit() else 0,
        )
        plan.crashing = self._crash_knob(pod) or (restart_policy == "OnFailure" and plan.exit_code != 0)
        return plan

    def _crash_knob(self, pod: Obj) -> bool:
        return (self.ctx.knob(pod, "crash-loop") or "").lower() == "true" \
            and pod["spec"].get("restartPolicy", "Always") != "Never"

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        pod = self.ctx.read("v1", "Pod", name, ns)
        if pod is None or not pod["spec"].get("nodeName"):
            return None
        status = pod.get("status") or {}
        if status.get("phase") in ("Succeeded", "Failed") and pod["metadata"]["uid"] not in self._plans:
            return None
        uid = pod["metadata"]["uid"]
        plan = self._plans.get(uid)
        if plan is None:
            plan = self._plans[uid] = self._plan(pod)
        now = self.ctx.clock.now()
        policy = pod["spec"].get("restartPolicy", "Always")
        self._follow_crash_knob(pod, plan, policy, now)
        m = moment(plan, policy, now)
        self._emit(pod, plan, m)
        desired = self._status(pod, plan, m)
        if any(status.get(k) != v for k, v in desired.items()):
            self.ctx.store.patch(self.ctx.kind("v1", "Pod"), name, {"status": desired},
                                 "application/merge-patch+json", namespace=ns, subresource="status",
                                 field_manager=COMPONENT)
        if m.phase in ("Succeeded", "Failed"):
            del self._plans[uid]
            return None
        return None if m.next_at is None else max(m.next_at - now, 0.0)

    def _follow_crash_knob(self, pod: Obj, plan: Plan, policy: str, now: float) -> None:
        """Start or stop crash-looping when the knob changes (a fault set on the pod or its owner)."""
        wanted = self._crash_knob(pod) or (policy == "OnFailure" and plan.exit_code != 0)
        if wanted == plan.crashing or now < plan.start_at:
            plan.crashing = wanted
            return
        m = moment(plan, policy, now)
        # rebase the timeline at the current run (or the next restart) so the history stays as it was
        plan.start_at = m.next_at if m.state == "backoff" and m.next_at is not None else m.since
        plan.restarts, plan.last_crash = m.restarts, m.last_crash
        plan.crashing = wanted

    def _emit(self, pod: Obj, plan: Plan, m: Moment) -> None:
        spec = pod["spec"]
        node = spec["nodeName"]
        rec = self.ctx.events.record
        if "pulling" not in plan.emitted:
            plan.emitted.add("pulling")
            for c in spec.get("containers") or []:
                rec(pod, NORMAL, "Pulling", f'Pulling image "{c.get("image")}"', component=COMPONENT, host=node,
                    field_path=f"spec.containers{{{c['name']}}}")
        if m.state in ("running", "terminated") and f"started-{m.restarts}" not in plan.emitted:
            plan.emitted.add(f"started-{m.restarts}")
            took = plan.start_at - plan.bound_at
            for c in spec.get("containers") or []:
                path = f"spec.containers{{{c['name']}}}"
                pulled = (f'Container image "{c.get("image")}" already present on machine' if m.restarts else
                          f'Successfully pulled image "{c.get("image")}" in {took:.3f}s ({took:.3f}s including '
                          "waiting). Image size: 0 bytes.")
                rec(pod, NORMAL, "Pulled", pulled, component=COMPONENT, host=node, field_path=path)
                rec(pod, NORMAL, "Created", f"Created container: {c['name']}", component=COMPONENT, host=node,
                    field_path=path)
                rec(pod, NORMAL, "Started", f"Started container {c['name']}", component=COMPONENT, host=node,
                    field_path=path)
        if m.state == "backoff" and f"backoff-{m.restarts}" not in plan.emitted:
            plan.emitted.add(f"backoff-{m.restarts}")
            meta = pod["metadata"]
            for c in spec.get("containers") or []:
                rec(pod, WARNING, "BackOff", f"Back-off restarting failed container {c['name']} in pod "
                    f"{meta['name']}_{meta['namespace']}({meta['uid']})", component=COMPONENT, host=node,
                    field_path=f"spec.containers{{{c['name']}}}")

    def _status(self, pod: Obj, plan: Plan, m: Moment) -> dict[str, Any]:
        spec, meta = pod["spec"], pod["metadata"]
        node = self.ctx.read("v1", "Node", spec["nodeName"])
        host_ip = next((a["address"] for a in ((node or {}).get("status") or {}).get("addresses") or []
                        if a.get("type") == "InternalIP"), "10.0.0.1")
        started = m.state != "waiting"
        names = [c["name"] for c in spec.get("containers") or []]
        not_ready = f"containers with unready status: [{' '.join(names)}]"

        def condition(type_: str, ok: bool, since: float, reason: str | None = None,
                      message: str | None = None) -> dict[str, Any]:
            c: dict[str, Any] = {"type": type_, "status": "True" if ok else "False", "lastProbeTime": None,
                                 "lastTransitionTime": iso(since)}
            if not ok and reason:
                c["reason"], c["message"] = reason, message
            return c

        done = m.phase in ("Succeeded", "Failed")
        ready_since = m.since + plan.ready_after if m.ready else m.since
        reason = "PodCompleted" if done else "ContainersNotReady"
        conditions = [
            condition("PodReadyToStartContainers", started and not done, plan.start_at if started else plan.bound_at),
            condition("Initialized", True, plan.bound_at),
            condition("Ready", m.ready, ready_since, reason, "" if done else not_ready),
            condition("ContainersReady", m.ready, ready_since, reason, "" if done else not_ready),
            condition("PodScheduled", True, plan.bound_at),
        ]
        statuses = [self._container_status(c, meta, plan, m) for c in spec.get("containers") or []]
        out: dict[str, Any] = {
            "phase": m.phase, "conditions": conditions, "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
            "startTime": iso(plan.bound_at), "containerStatuses": statuses, "qosClass": qos_class(spec),
        }
        if spec.get("initContainers"):
            out["initContainerStatuses"] = [
                {"name": c["name"], "image": c.get("image"), "imageID": "", "ready": started, "restartCount": 0,
                 "started": False,
                 "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": iso(plan.bound_at),
                                          "finishedAt": iso(plan.start_at)}} if started else
                 {"waiting": {"reason": "PodInitializing"}}} for c in spec["initContainers"]]
        if started:
            out["podIP"], out["podIPs"] = plan.ip, [{"ip": plan.ip}]
        return out

    def _container_status(self, c: Mapping[str, Any], meta: Mapping[str, Any], plan: Plan,
                          m: Moment) -> dict[str, Any]:
        image = c.get("image", "")
        cid = f"cri-o://{_digest(meta['uid'], c['name'], str(m.restarts))}"
        status: dict[str, Any] = {"name": c["name"], "image": image, "imageID": "", "ready": m.ready,
                                  "restartCount": m.restarts, "started": m.state == "running"}
        if m.state == "waiting":
            status["state"] = {"waiting": {"reason": "ContainerCreating"}}
            return status
        status["imageID"] = f"{image.split('@')[0].rsplit(':', 1)[0]}@sha256:{_digest(image)}"
        status["containerID"] = cid
        if m.state == "running":
            status["state"] = {"running": {"startedAt": iso(m.since)}}
        elif m.state == "terminated":
            status["state"] = {"terminated": {
                "exitCode": plan.exit_code, "reason": "Completed" if plan.exit_code == 0 else "Error",
                "startedAt": iso(m.since - plan.run_for), "finishedAt": iso(m.since), "containerID": cid}}
        else:
            wait = restart_backoff(plan.backoff, m.restarts)
            status["state"] = {"waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {wait:g}s restarting failed container={c['name']} "
                           f"pod={meta['name']}_{meta['namespace']}({meta['uid']})"}}
        if m.last_crash is not None:
            status["lastState"] = {"terminated": {
                "exitCode": plan.exit_code or 1, "reason": "Error", "startedAt": iso(m.last_crash - plan.run_for),
                "finishedAt": iso(m.last_crash), "containerID": cid}}
        return status
