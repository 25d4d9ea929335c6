"""Job controller: runs pods to `completions`, retries failures with back-off up to `backoffLimit`.

Mirrors `pkg/controller/job`: status active/ready/succeeded/failed, SuccessCriteriaMet/Complete and
FailureTarget/Failed conditions with their reasons, back-off 10s doubling to 10 min (pace-scaled).
"""

from __future__ import annotations

from typing import Any

from simulator.controllers.base import Context, Key, Obj, Watched, owned_by
from simulator.controllers.conditions import find_condition, set_condition
from simulator.controllers.ownership import owned, pod_from_template
from simulator.controllers.pods import epoch, is_active, ready_since
from simulator.controllers.recording import NORMAL, WARNING
from simulator.store.errors import StatusError

COMPONENT = "job-controller"
MERGE = "application/merge-patch+json"
_BACKOFF_CAP = 60  # MaxJobPodFailureBackOff (10 min) over DefaultJobPodFailureBackOff (10 s)


def is_finished(job: Obj) -> str | None:
    """"Complete" or "Failed" once the Job has finished, else None."""
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c["type"]
    return None


def _finished_at(pod: Obj) -> float:
    ends = [epoch((cs.get("state") or {}).get("terminated", {}).get("finishedAt"))
            for cs in (pod.get("status") or {}).get("containerStatuses") or []]
    return max(ends, default=0.0)


class Jobs:
    name = "jobs"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.watches = (Watched("batch/v1", "Job"), Watched("v1", "Pod", owned_by("Job")))

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        job = self.ctx.read("batch/v1", "Job", name, ns)
        if job is None or job["metadata"].get("deletionTimestamp") or is_finished(job):
            return None
        spec, status = job.get("spec") or {}, dict(job.get("status") or {})
        now = self.ctx.clock.now()
        stamp = self.ctx.now()
        status.setdefault("startTime", stamp)
        pods = owned(self.ctx, "v1", "Pod", job, spec.get("selector"))
        active = [p for p in pods if is_active(p)]
        succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
        failed_pods = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
        restarts = sum(cs.get("restartCount", 0) for p in active
                       for cs in (p.get("status") or {}).get("containerStatuses") or [])
        completions = spec.get("completions") or 1
        conditions = list(status.get("conditions") or [])
        wake: float | None = None
        deadline = spec.get("activeDeadlineSeconds")
        if len(failed_pods) + restarts > spec.get("backoffLimit", 6):
            conditions = self._finish(job, active, conditions, "Failed", "BackoffLimitExceeded",
                                      "Job has reached the specified backoff limit", stamp)
            active = []
        elif deadline is not None and now - epoch(status["startTime"]) >= deadline:
            conditions = self._finish(job, active, conditions, "Failed", "DeadlineExceeded",
                                      "Job was active longer than specified deadline", stamp)
            active = []
        elif succeeded >= completions:
            conditions = self._finish(job, active, conditions, "Complete", "CompletionsReached",
                                      "Reached expected number of succeeded pods", stamp)
            status["completionTime"] = stamp
            active = []
        elif not spec.get("suspend"):
            want = min(spec.get("parallelism", 1), completions - succeeded)
            wait = self._backoff_left(failed_pods, now)
            if len(active) < want and wait > 0:
                wake = wait
            elif len(active) < want:
                active += self._create_pods(job, want - len(active))
            if deadline is not None:
                left = epoch(status["startTime"]) + deadline - now
                wake = left if wake is None else min(wake, left)
        status.update({"active": len(active), "succeeded": succeeded, "failed": len(failed_pods),
                       "ready": sum(1 for p in active if ready_since(p)), "terminating": 0,
                       "uncountedTerminatedPods": {}})
        for field in ("active", "succeeded", "failed"):
            if not status[field]:
                del status[field]
        if conditions:
            status["conditions"] = conditions
        if status != (job.get("status") or {}):
            self.ctx.store.patch(self.ctx.kind("batch/v1", "Job"), name, {"status": {
                **{k: None for k in job.get("status") or {} if k not in status}, **status}}, MERGE,
                namespace=ns, subresource="status", field_manager="kube-controller-manager")
        return wake

    def _backoff_left(self, failed: list[Obj], now: float) -> float:
        """Seconds until the next pod may start after failures (10s × 2^(n-1), capped)."""
        if not failed:
            return 0.0
        base = self.ctx.pace.stage("job-backoff").delay
        wait = min(base * 2 ** (len(failed) - 1), base * _BACKOFF_CAP)
        return max(max(_finished_at(p) for p in failed) + wait - now, 0.0)

    def _create_pods(self, job: Obj, count: int) -> list[Obj]:
        template = (job.get("spec") or {}).get("template") or {}
        out = []
        for _ in range(count):
            try:
                pod = self.ctx.store.create(self.ctx.kind("v1", "Pod"), pod_from_template(job, template),
                                            field_manager="kube-controller-manager")
            except StatusError as e:
                self.ctx.events.record(job, WARNING, "FailedCreate", f"Error creating: {e.message}",
                                       component=COMPONENT)
                break
            out.append(pod)
            self.ctx.events.record(job, NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
                                   component=COMPONENT)
        return out

    def _finish(self, job: Obj, active: list[Obj], conditions: list[dict[str, Any]], outcome: str, reason: str,
                message: str, now: str) -> list[dict[str, Any]]:
        """Terminate what still runs; the interim condition (SuccessCriteriaMet/FailureTarget), then the final."""
        for pod in active:
            self.ctx.store.delete(self.ctx.kind("v1", "Pod"), pod["metadata"]["name"], pod["metadata"]["namespace"])
            self.ctx.events.record(job, NORMAL, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}",
                                   component=COMPONENT)
        interim = "SuccessCriteriaMet" if outcome == "Complete" else "FailureTarget"
        for type_ in (interim, outcome):
            if find_condition(conditions, type_) is None:
                conditions = set_condition(conditions, {"type": type_, "status": "True", "reason": reason,
                                                        "message": message, "lastProbeTime": now}, now)
        if outcome == "Complete":
            self.ctx.events.record(job, NORMAL, "Completed", "Job completed", component=COMPONENT)
        else:
            self.ctx.events.record(job, WARNING, reason, message, component=COMPONENT)
        return conditions
