"""The smoke-load plan is seeded and bounded (counts, times, first a push), and a run stops at its time limit."""

from __future__ import annotations

import random

import pytest

from quayops.errors import PreconditionFailed
from quayops.monitoring.traffic import TrafficPlan, plan_traffic, send_traffic, summarize_traffic

REPOS = ("acme/app", "beta/api")


def test_plan_counts_each_kind_within_the_duration_and_starts_with_a_push():
    ops = plan_traffic(TrafficPlan(repositories=REPOS, pushes=3, pulls=5, api_calls=7, logins=2, duration=10, seed=4))
    assert {k: sum(o.kind == k for o in ops) for k in ("push", "pull", "api", "login")} == {
        "push": 3, "pull": 5, "api": 7, "login": 2}
    assert ops[0].kind == "push" and ops[0].at == 0.0
    assert [o.at for o in ops] == sorted(o.at for o in ops) and all(0 <= o.at <= 10 for o in ops)
    assert {o.repository for o in ops} <= set(REPOS)
    assert ops == plan_traffic(TrafficPlan(repositories=REPOS, pushes=3, pulls=5, api_calls=7, logins=2,
                                           duration=10, seed=4))


@pytest.mark.parametrize(("plan", "field"), [
    (TrafficPlan(repositories=()), "repositories"),
    (TrafficPlan(repositories=("no-slash",)), "repositories"),
    (TrafficPlan(repositories=REPOS, pulls=-1), "plan"),
    (TrafficPlan(repositories=REPOS, duration=0), "plan"),
])
def test_bad_plans_are_refused_before_anything_is_sent(plan, field):
    with pytest.raises(PreconditionFailed, match="nothing was sent") as e:
        plan_traffic(plan)
    assert e.value.field == field


class FakeRegistry:
    """Answers like a registry and advances the fake clock by `cost` seconds per operation."""

    service = "registry.example.com"

    def __init__(self, clock: list[float], cost: float) -> None:
        self.clock, self.cost, self.calls = clock, cost, []

    def _took(self, *call) -> None:
        self.calls.append(call)
        self.clock[0] += self.cost

    def push(self, repository, tag, *, rng: random.Random, layer_bytes: int) -> int:
        self._took("push", repository, tag)
        return 201

    def pull(self, repository, tag) -> int:
        self._took("pull", repository, tag)
        return 200

    def api_call(self, repository, index) -> int:
        self._took("api", repository)
        return 200

    def login(self) -> int:
        self._took("login")
        return 401


def test_run_pulls_what_was_pushed_and_skips_what_the_time_limit_leaves():
    clock = [0.0]
    fake = FakeRegistry(clock, cost=1.0)
    plan = TrafficPlan(repositories=REPOS, pushes=2, pulls=4, api_calls=4, logins=2, duration=2, seed=1)
    frame = send_traffic(fake, plan, timeout=5, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    assert len(frame) == 12 and int((~frame["skipped"]).sum()) == 6
    pushed = {f"{r}:{t}" for kind, r, t in (c for c in fake.calls if c[0] == "push")}
    assert all(row.target in pushed for row in frame.itertuples() if row.operation == "pull" and not row.skipped)
    assert set(frame[frame["operation"] == "login"]["ok"]) <= {False}
    summary = summarize_traffic(frame).set_index("operation")
    assert int(summary["sent"].sum()) == 12 and int(summary["skipped"].sum()) == 6
