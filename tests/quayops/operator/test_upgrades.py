"""The upgrade Job check while MigrationsInProgress, and the version gate (operator-facts §10)."""

import random
from datetime import UTC, datetime

import pytest

from quayops.operator.plan import Observed, Step
from quayops.operator.platform import OperatorEnv
from quayops.operator.reconciling import reconcile
from quayops.operator.upgrades import JobState, detect_job_state, needs_migration

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
IN_PROGRESS = {"type": "ComponentsCreated", "status": "False", "reason": "MigrationsInProgress",
               "message": "running database migrations"}
JOB = "example-registry-quay-app-upgrade"


def registry(current_version=""):
    return {"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
            "metadata": {"name": "example-registry", "namespace": "quay-enterprise", "uid": "uid-1"},
            "spec": {"configBundleSecret": "quay-config"},
            "status": {"currentVersion": current_version,
                       "conditions": [{"type": "RolloutBlocked", "status": "False"}, IN_PROGRESS]}}


def job(**status):
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": JOB}, "status": status}


def check(*objs, version="v3.7.0"):
    observed = Observed(registry(), {(o["kind"], o["metadata"]["name"]): o for o in objs},
                        operator=OperatorEnv(quay_version=version))
    return reconcile(observed, random=random.Random(0), now=NOW)


def created(plan):
    return {k: plan.status["conditions"][1][k] for k in ("type", "status", "reason", "message")}


def test_missing_job():
    plan = check()
    assert plan.reason == Step.MIGRATIONS and plan.requeue_after == 10
    assert created(plan) == {"type": "ComponentsCreated", "status": "False", "reason": "MigrationsJobMissing",
                             "message": "upgrade job not found"}


def test_active_job_only_requeues():
    plan = check(job(active=1))
    assert (plan.reason, plan.requeue_after, plan.status, plan.apply) == (Step.MIGRATIONS, 10, None, ())


def test_succeeded_job_sets_current_version():
    plan = check(job(succeeded=1), version="v3.8.1")
    assert plan.status["currentVersion"] == "v3.8.1"
    assert created(plan) == {"type": "ComponentsCreated", "status": "True", "reason": "ComponentsCreationSuccess",
                             "message": "All registry components created"}
    assert plan.events[0].type == "Warning"  # a True condition


def test_failed_job_reports_its_failed_condition():
    failed = job(failed=6, conditions=[{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                        "message": "Job has reached the specified backoff limit"}])
    plan = check(failed)
    assert created(plan) == {"type": "ComponentsCreated", "status": "False", "reason": "MigrationsFailed",
                             "message": "Job has reached the specified backoff limit"}
    assert "currentVersion" in plan.status and plan.status["currentVersion"] == ""


def test_crashed_job_without_failed_condition():
    assert created(check(job())) == {"type": "ComponentsCreated", "status": "False", "reason": "MigrationsFailed",
                                     "message": "failed to run migrations"}


def test_only_the_job_is_read_while_migrating():
    plan = check(job(active=1))
    assert plan.create == () and plan.delete == () and plan.spec is None


@pytest.mark.parametrize(("status", "state"), [
    (None, JobState.MISSING), ({"active": 1}, JobState.ACTIVE), ({"succeeded": 1}, JobState.SUCCEEDED),
    ({"failed": 1}, JobState.FAILED), ({"active": 2}, JobState.FAILED), ({}, JobState.FAILED)])
def test_job_states(status, state):
    assert detect_job_state(None if status is None else job(**status)) == state


@pytest.mark.parametrize(("current", "expected"), [
    ("", True), ("v3.6.4", True), ("not-a-real-version", True), ("v3.7.0", False)])
def test_any_differing_version_takes_the_upgrade_path(current, expected):
    assert needs_migration(current, "v3.7.0") is expected
