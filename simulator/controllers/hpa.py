"""HorizontalPodAutoscaler (autoscaling/v2): desired replicas from simulated utilization, within bounds.

Mirrors `pkg/controller/podautoscaler`: ratio with 10% tolerance, default behavior (scale-up by
max(4 pods, 100%) per period, scale-down stabilized over 300 s), condition reasons/messages and the
SuccessfulRescale event. Utilization comes from the target's `cpu-utilization`/`memory-utilization` knobs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from simulator.controllers.base import Context, Key, Obj, Watched
from simulator.controllers.conditions import set_condition
from simulator.controllers.recording import NORMAL, WARNING
from simulator.profiles import quantity

COMPONENT = "horizontal-pod-autoscaler"
MERGE = "application/merge-patch+json"
TOLERANCE = 0.1
IDLE_UTILIZATION = 10  # percent of requests when no knob says otherwise


def desired_for(current: int, utilization: float, target: float) -> int:
    """`ceil(current × utilization / target)`, unchanged within the 10% tolerance."""
    ratio = utilization / target
    if abs(ratio - 1.0) <= TOLERANCE:
        return current
    return math.ceil(ratio * current)


def _requests(target: Obj, resource: str) -> float:
    containers = (((target.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    total = 0.0
    for c in containers:
        value = ((c.get("resources") or {}).get("requests") or {}).get(resource)
        total += quantity(value) if value is not None else 0.0
    return total


def _value_text(resource: str, value: float) -> str:
    """A quantity as the API canonicalizes it: `4`, `250m`, or bytes."""
    if resource != "cpu":
        return str(round(value))
    milli = round(value * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


class HorizontalPodAutoscalers:
    name = "horizontalpodautoscalers"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._recommendations: dict[str, list[tuple[float, int]]] = {}
        self._synced: dict[str, float] = {}  # uid -> when it last ran
        self.watches = (Watched("autoscaling/v2", "HorizontalPodAutoscaler", self._hpa_keys),)

    def _hpa_keys(self, etype: str, hpa: Obj) -> Iterable[Key]:
        meta = hpa["metadata"]
        if etype == "DELETED":
            self._recommendations.pop(meta["uid"], None)
            self._synced.pop(meta["uid"], None)
            return ()
        return ((meta["namespace"], meta["name"]),)

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        hpa = self.ctx.read("autoscaling/v2", "HorizontalPodAutoscaler", name, ns)
        if hpa is None:
            return None
        spec = hpa.get("spec") or {}
        period = self.ctx.pace.stage("hpa-sync").delay
        # one sync per period, as the HPA controller's resync; a spec change (new generation) runs at once
        now = self.ctx.clock.now()
        last = self._synced.get(hpa["metadata"]["uid"])
        fresh = (hpa.get("status") or {}).get("observedGeneration") == hpa["metadata"].get("generation")
        if last is not None and fresh and now - last < period:
            return last + period - now
        self._synced[hpa["metadata"]["uid"]] = now
        ref = spec.get("scaleTargetRef") or {}
        now_text = self.ctx.now()
        status: dict[str, Any] = dict(hpa.get("status") or {})
        conditions = list(status.get("conditions") or [])
        target = self.ctx.read(ref.get("apiVersion", "apps/v1"), ref.get("kind", ""), ref.get("name", ""), ns) \
            if self.ctx.serves(ref.get("apiVersion", "apps/v1"), ref.get("kind", "")) else None
        if target is None:
            message = (f'the HPA controller was unable to get the target\'s current scale: '
                       f'{ref.get("kind", "").lower()}s.apps "{ref.get("name")}" not found')
            conditions = set_condition(conditions, {"type": "AbleToScale", "status": "False",
                                                    "reason": "FailedGetScale", "message": message}, now_text)
            self.ctx.events.record(hpa, WARNING, "FailedGetScale", message, component=COMPONENT)
            self._write(hpa, {**status, "conditions": conditions})
            return period
        current = (target.get("spec") or {}).get("replicas", 1)
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas", 1)
        status["currentReplicas"] = (target.get("status") or {}).get("replicas", 0)
        if current == 0 and low != 0:
            conditions = set_condition(conditions, {
                "type": "ScalingActive", "status": "False", "reason": "ScalingDisabled",
                "message": "scaling is disabled since the replica count of the target is zero"}, now_text)
            self._write(hpa, {**status, "desiredReplicas": 0, "conditions": conditions})
            return period
        proposal, reason, metrics = self._propose(spec, target, current)
        desired, limited = self._normalize(hpa, current, proposal, low, high)
        conditions = set_condition(conditions, {
            "type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
            "message": f"the HPA was able to successfully calculate a replica count from {reason.rsplit(' ', 2)[0]}"},
            now_text)
        conditions = set_condition(conditions, limited, now_text)
        if desired != current:
            self.ctx.store.patch(self.ctx.kind(ref.get("apiVersion", "apps/v1"), ref["kind"]), ref["name"],
                                 {"spec": {"replicas": desired}}, MERGE, namespace=ns, field_manager=COMPONENT)
            self.ctx.events.record(hpa, NORMAL, "SuccessfulRescale", f"New size: {desired}; reason: {reason}",
                                   component=COMPONENT)
            status["lastScaleTime"] = now_text
            able = {"type": "AbleToScale", "status": "True", "reason": "SucceededRescale",
                    "message": f"the HPA controller was able to update the target scale to {desired}"}
        else:
            able = {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                    "message": "recommended size matches current size"}
        conditions = set_condition(conditions, able, now_text)
        order = {"AbleToScale": 0, "ScalingActive": 1, "ScalingLimited": 2}
        status.update({"desiredReplicas": desired, "currentMetrics": metrics,
                       "conditions": sorted(conditions, key=lambda c: order.get(c["type"], 3))})
        self._write(hpa, status)
        return period

    def _propose(self, spec: Mapping[str, Any], target: Obj, current: int) -> tuple[int, str, list[dict[str, Any]]]:
        """The largest replica count any metric asks for, its reason text, and status.currentMetrics."""
        best, reason, metrics = 0, "", []
        for metric in spec.get("metrics") or [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]:
            if metric.get("type") != "Resource":
                continue
            resource = (metric.get("resource") or {}).get("name", "cpu")
            goal = ((metric.get("resource") or {}).get("target") or {}).get("averageUtilization") or 80
            knob = self.ctx.knob(target, f"{resource}-utilization")
            try:
                used = float(knob) if knob is not None else IDLE_UTILIZATION
            except ValueError:
                used = IDLE_UTILIZATION
            proposal = desired_for(current, used, goal)
            direction = "above" if used > goal else "below"
            if proposal > best or not reason:
                best, reason = proposal, f"{resource} resource utilization (percentage of request) {direction} target"
            request = _requests(target, resource)
            metrics.append({"type": "Resource", "resource": {"name": resource, "current": {
                "averageUtilization": int(used), "averageValue": _value_text(resource, request * used / 100)}}})
        return best, reason or "All metrics below target", metrics

    def _normalize(self, hpa: Obj, current: int, proposal: int, low: int,
                   high: int) -> tuple[int, dict[str, Any]]:
        """Default behavior: stabilize scale-down, rate-limit scale-up, then clamp to [min, max]."""
        behavior = (hpa.get("spec") or {}).get("behavior") or {}
        now = self.ctx.clock.now()
        window = ((behavior.get("scaleDown") or {}).get("stabilizationWindowSeconds", 300))
        history = [(t, r) for t, r in self._recommendations.get(hpa["metadata"]["uid"], []) if now - t < max(window, 0)]
        history.append((now, proposal))
        self._recommendations[hpa["metadata"]["uid"]] = history
        desired = proposal if proposal >= current else min(max(r for _, r in history), current)
        limited = {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange",
                   "message": "the desired count is within the acceptable range"}
        up_limit = max(2 * current, current + 4)
        if desired > up_limit:
            desired = up_limit
            limited = {"type": "ScalingLimited", "status": "True", "reason": "ScaleUpLimit",
                       "message": "the desired replica count is increasing faster than the maximum scale rate"}
        if desired > high:
            desired = high
            limited = {"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas",
                       "message": "the desired replica count is more than the maximum replica count"}
        elif desired < low:
            desired = low
            limited = {"type": "ScalingLimited", "status": "True", "reason": "TooFewReplicas",
                       "message": "the desired replica count is less than the minimum replica count"}
        return desired, limited

    def _write(self, hpa: Obj, status: dict[str, Any]) -> None:
        status["observedGeneration"] = hpa["metadata"].get("generation", 1)
        if status != (hpa.get("status") or {}):
            self.ctx.store.patch(self.ctx.kind("autoscaling/v2", "HorizontalPodAutoscaler"), hpa["metadata"]["name"],
                                 {"status": status}, MERGE, namespace=hpa["metadata"]["namespace"],
                                 subresource="status", field_manager=COMPONENT)
