"""CronJob controller: creates Jobs on schedule against the simulator's clock.

Mirrors `pkg/controller/cronjob` (v2): job names `<cronjob>-<minutes since epoch>`, concurrencyPolicy
Allow/Forbid/Replace, startingDeadlineSeconds, history limits, and lastScheduleTime/lastSuccessfulTime.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.controllers.base import Context, Key, Obj, Watched, owned_by
from simulator.controllers.jobs import is_finished
from simulator.controllers.ownership import controller_ref, owned
from simulator.controllers.pods import epoch, iso
from simulator.controllers.recording import NORMAL, WARNING

COMPONENT = "cronjob-controller"
MERGE = "application/merge-patch+json"
_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
           "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_NAMES = {3: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
          4: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_SEARCH_DAYS = 366 * 5


def _field(text: str, index: int) -> frozenset[int]:
    lo, hi = _RANGES[index]
    values: set[int] = set()
    for part in text.lower().split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body in ("*", "?"):
            start, end = lo, hi
        else:
            first, _, last = body.partition("-")
            names = _NAMES.get(index, [])
            offset = 1 if index == 3 else 0

            def num(v: str, names: list[str] = names, offset: int = offset) -> int:
                return names.index(v) + offset if v in names else int(v)
            start = num(first)
            end = num(last) if last else (hi if step_text else start)
        if index == 4 and end == 7:
            values.add(0)
            end = 6
        if not (lo <= start <= hi and lo <= end <= hi and step > 0):
            raise ValueError(f"out of range: {part!r}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    """A standard 5-field cron schedule (robfig/cron's parser as Kubernetes configures it)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Schedule:
        fields = _MACROS.get(text.strip(), text).split()
        if len(fields) != 5:
            raise ValueError(f"expected exactly 5 fields, found {len(fields)}: {text!r}")
        parsed = [_field(f, i) for i, f in enumerate(fields)]
        return cls(*parsed, any_day=fields[2] in ("*", "?"), any_weekday=fields[4] in ("*", "?"))

    def _day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        dom, dow = day.day in self.days, (day.weekday() + 1) % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow  # both restricted: either matches, as cron does

    def _times(self, day: datetime, *, reverse: bool) -> list[datetime]:
        return [day.replace(hour=h, minute=m) for h in sorted(self.hours, reverse=reverse)
                for m in sorted(self.minutes, reverse=reverse)]

    def next_after(self, t: float, tz: tzinfo = UTC) -> float | None:
        start = datetime.fromtimestamp(t, tz)
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for candidate in self._times(day, reverse=False):
                    if candidate.timestamp() > t:
                        return candidate.timestamp()
            day = (day + timedelta(days=1, hours=2)).replace(hour=0)
        return None

    def latest_at_or_before(self, t: float, tz: tzinfo = UTC) -> float | None:
        end = datetime.fromtimestamp(t, tz)
        day = end.replace(hour=0, minute=0, second=0, microsecond=0)
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for candidate in self._times(day, reverse=True):
                    if candidate.timestamp() <= t:
                        return candidate.timestamp()
            day = (day - timedelta(hours=22)).replace(hour=0)
        return None


class CronJobs:
    name = "cronjobs"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.watches = (Watched("batch/v1", "CronJob"), Watched("batch/v1", "Job", owned_by("CronJob")))

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        cj = self.ctx.read("batch/v1", "CronJob", name, ns)
        if cj is None or cj["metadata"].get("deletionTimestamp"):
            return None
        spec, status = cj.get("spec") or {}, dict(cj.get("status") or {})
        try:
            schedule = Schedule.parse(spec.get("schedule", ""))
            tz: tzinfo = ZoneInfo(spec["timeZone"]) if spec.get("timeZone") else UTC
        except (ValueError, ZoneInfoNotFoundError) as e:
            self.ctx.events.record(cj, WARNING, "UnparseableSchedule", f"unparseable schedule: "
                                   f"{spec.get('schedule')!r} : {e}", component=COMPONENT)
            return None
        jobs = owned(self.ctx, "batch/v1", "Job", cj)
        active = [j for j in jobs if not is_finished(j)]
        self._trim_history(cj, jobs)
        now = self.ctx.clock.now()
        last = epoch(status.get("lastScheduleTime") or cj["metadata"].get("creationTimestamp"))
        due = schedule.latest_at_or_before(now, tz)
        deadline = spec.get("startingDeadlineSeconds")
        if not spec.get("suspend") and due is not None and due > last \
                and (deadline is None or now - due <= deadline):
            policy = spec.get("concurrencyPolicy", "Allow")
            if policy == "Forbid" and active:
                self.ctx.events.record(cj, NORMAL, "JobAlreadyActive", "Not starting job because prior execution "
                                       "is running and concurrency policy is Forbid", component=COMPONENT)
            else:
                if policy == "Replace":
                    for job in active:
                        self.ctx.store.delete(self.ctx.kind("batch/v1", "Job"), job["metadata"]["name"], ns,
                                              propagation_policy="Background")
                        self.ctx.events.record(cj, NORMAL, "SuccessfulDelete",
                                               f"Deleted job {job['metadata']['name']}", component=COMPONENT)
                    active = []
                active.append(self._create_job(cj, due))
                status["lastScheduleTime"] = iso(due)
        done = [j for j in jobs if is_finished(j) == "Complete"]
        if done:
            latest = max((j.get("status") or {}).get("completionTime") or "" for j in done)
            if latest:
                status["lastSuccessfulTime"] = latest
        status["active"] = [{"kind": "Job", "namespace": ns, "name": j["metadata"]["name"],
                             "uid": j["metadata"]["uid"], "apiVersion": "batch/v1",
                             "resourceVersion": j["metadata"]["resourceVersion"]} for j in active]
        if not status["active"]:
            del status["active"]
        if status != (cj.get("status") or {}):
            self.ctx.store.patch(self.ctx.kind("batch/v1", "CronJob"), name, {"status": {
                **{k: None for k in cj.get("status") or {} if k not in status}, **status}}, MERGE, namespace=ns,
                subresource="status", field_manager="kube-controller-manager")
        following = schedule.next_after(now, tz)
        return None if following is None else following - now

    def _create_job(self, cj: Obj, scheduled: float) -> Obj:
        template = copy.deepcopy((cj.get("spec") or {}).get("jobTemplate") or {})
        meta = template.get("metadata") or {}
        name = f"{cj['metadata']['name']}-{int(scheduled // 60)}"
        job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {
            "name": name, "namespace": cj["metadata"]["namespace"], "labels": dict(meta.get("labels") or {}),
            "annotations": {**(meta.get("annotations") or {}),
                            "batch.kubernetes.io/cronjob-scheduled-timestamp": iso(scheduled)},
            "ownerReferences": [controller_ref(cj)]}, "spec": template.get("spec") or {}}
        created = self.ctx.store.create(self.ctx.kind("batch/v1", "Job"), job, field_manager="kube-controller-manager")
        self.ctx.events.record(cj, NORMAL, "SuccessfulCreate", f"Created job {name}", component=COMPONENT)
        return created

    def _trim_history(self, cj: Obj, jobs: list[Obj]) -> None:
        spec = cj.get("spec") or {}
        for outcome, limit in (("Complete", spec.get("successfulJobsHistoryLimit", 3)),
                               ("Failed", spec.get("failedJobsHistoryLimit", 1))):
            finished = sorted((j for j in jobs if is_finished(j) == outcome),
                              key=lambda j: j["metadata"].get("creationTimestamp", ""))
            for job in finished[:max(len(finished) - limit, 0)]:
                self.ctx.store.delete(self.ctx.kind("batch/v1", "Job"), job["metadata"]["name"],
                                      job["metadata"]["namespace"], propagation_policy="Background")
                self.ctx.events.record(cj, NORMAL, "SuccessfulDelete", f"Deleted job {job['metadata']['name']}",
                                       component=COMPONENT)
