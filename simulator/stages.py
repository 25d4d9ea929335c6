"""Lifecycle stages as data: what moves, from which state to which, after what delay and jitter.

Mirrors kwok's Stage (selector, delay with jitter, next status); paces `immediate`, `fast` and
`realistic` share the stages, and per-object annotation knobs under one prefix override them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

KNOB_PREFIX = "simulator.quayops.dev/"

# Per-object knobs (annotations; on a Pod, or on its owning workload, or on the object itself).
KNOBS: dict[str, str] = {
    "<stage>-delay": "a duration (`30s`, `2m`, `1.5`) replacing the stage's delay and jitter",
    "crash-loop": "`true`: containers exit with code 1 after `pod-crash`, restart with CrashLoopBackOff",
    "exit-code": "run-to-completion pods end with this exit code (non-zero: Failed)",
    "hold": "`true`: the object stays where it is (PVC Pending, Route unadmitted, bucket claim Pending)",
    "cpu-utilization": "percent of the CPU request the workload's pods use, as the HPA sees it",
    "memory-utilization": "percent of the memory request the workload's pods use, as the HPA sees it",
    "not-ready": "on a Node, `true`: the kubelet stops posting status (Ready=Unknown, pods evicted)",
}


@dataclass(frozen=True)
class Stage:
    """One step of an object's lifecycle, kwok-style: objects of `kind` in `when` move to `then`."""

    name: str
    kind: str
    when: str
    then: str
    delay: float
    jitter: float = 0.0

    def pick_delay(self, rng: random.Random) -> float:
        """The delay for one object: `delay` plus a uniform draw in [-jitter, +jitter], never negative."""
        if not self.jitter:
            return self.delay
        return max(0.0, self.delay + rng.uniform(-self.jitter, self.jitter))


_STAGES = (
    Stage("pod-start", "Pod", "scheduled (ContainerCreating)", "Running", 6.0, 4.0),
    Stage("pod-ready", "Pod", "Running, not ready", "Ready", 5.0, 3.0),
    Stage("pod-complete", "Pod", "Running, restartPolicy Never/OnFailure", "Succeeded or Failed", 20.0, 10.0),
    Stage("pod-crash", "Pod", "Running with knob crash-loop", "Error, then CrashLoopBackOff", 5.0, 2.0),
    Stage("crash-backoff", "Pod", "CrashLoopBackOff", "restarted (doubling, capped at 30x)", 10.0),
    Stage("job-backoff", "Job", "a pod failed", "a replacement pod (doubling, capped at 36x)", 10.0),
    Stage("pvc-bind", "PersistentVolumeClaim", "Pending", "Bound to a new PersistentVolume", 3.0, 2.0),
    Stage("pvc-resize", "PersistentVolumeClaim", "requested > capacity", "capacity grown", 5.0, 2.0),
    Stage("route-admit", "Route", "no status.ingress", "Admitted=True", 1.0, 0.5),
    Stage("obc-bind", "ObjectBucketClaim", "Pending", "Bound, with Secret and ConfigMap", 5.0, 3.0),
    Stage("hpa-sync", "HorizontalPodAutoscaler", "any", "replicas recomputed", 15.0),
    Stage("node-eviction", "Node", "NotReady", "its pods evicted", 30.0),
    # the Quay Operator's requeues (10 s, 60 s, …) scale by this stage's delay over 60 s
    Stage("operator-requeue", "QuayRegistry", "a pass asked to look again in 60 s", "reconciled again", 60.0),
)


@dataclass(frozen=True)
class Pace:
    """A named set of stages; `fast` rolls a whole registry out in seconds."""

    name: str
    stages: Mapping[str, Stage]

    def stage(self, name: str) -> Stage:
        return self.stages[name]


def _scaled(name: str, factor: float, overrides: Mapping[str, float] | None = None) -> Pace:
    overrides = overrides or {}
    stages = {}
    for s in _STAGES:
        delay = overrides.get(s.name, s.delay * factor)
        jitter = 0.0 if s.name in overrides else s.jitter * factor
        stages[s.name] = replace(s, delay=delay, jitter=jitter)
    return Pace(name, stages)


PACES: dict[str, Pace] = {
    "realistic": Pace("realistic", {s.name: s for s in _STAGES}),
    "fast": _scaled("fast", 0.03, {"hpa-sync": 1.0, "node-eviction": 2.0}),
    "immediate": _scaled("immediate", 0.0),
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """`30s`, `2m`, `1h`, `250ms` or bare seconds → seconds; ValueError otherwise."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"not a duration: {text!r} (expected e.g. 30s, 2m, 250ms)")
    return float(m.group(1)) * _UNIT[m.group(2)]


def knob(annotations: Mapping[str, str] | None, name: str) -> str | None:
    """The value of knob `name` in these annotations, or None."""
    return (annotations or {}).get(KNOB_PREFIX + name)


def delay_for(pace: Pace, stage: str, override: str | None, rng: random.Random) -> float:
    """The delay of `stage` for one object: its `<stage>-delay` knob value if set, else the pace's draw."""
    if override is not None:
        try:
            return parse_duration(override)
        except ValueError:
            pass  # a malformed knob falls back to the pace, as kwok ignores a bad delay
    return pace.stage(stage).pick_delay(rng)
