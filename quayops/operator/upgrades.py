"""The operator's version gate and its upgrade Job check.

Mirrors quay-operator controllers/quay/quayregistry_controller.go checkMigrationStatus and the
`currentVersion != QUAY_VERSION` tests of Reconcile and pkg/kustomize/kustomize.go (operator-facts §10).
3.7/3.8 have no "can upgrade" gate: any differing `currentVersion` takes the upgrade path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from quayops.model.conditions import (
    ALL_COMPONENTS_CREATED,
    MIGRATIONS_FAILED_DEFAULT,
    UPGRADE_JOB_NOT_FOUND,
    ConditionType,
    Reason,
    Status,
    render_condition,
)
from quayops.operator.plan import Plan, Step, plan_condition, render_status


class JobState(StrEnum):
    """The upgrade Job as checkMigrationStatus sees it."""

    MISSING = "missing"
    ACTIVE = "active"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def needs_migration(current_version: str, quay_version: str) -> bool:
    """Whether the upgrade overlay is rendered and MigrationsInProgress set: the versions differ.

    A fresh registry (empty `currentVersion`) takes this path too.
    """
    return current_version != quay_version


def detect_job_state(job: Mapping | None) -> JobState:
    """MISSING, ACTIVE (`status.active == 1`), SUCCEEDED (`status.succeeded == 1`), else FAILED.

    "Else" includes crashed pods, which Kubernetes does not count as failed.
    """
    if job is None:
        return JobState.MISSING
    status = job.get("status") or {}
    if status.get("active") == 1:
        return JobState.ACTIVE
    if status.get("succeeded") == 1:
        return JobState.SUCCEEDED
    return JobState.FAILED


def detect_job_failure(job: Mapping) -> str:
    """The message of the Job's `Failed=True` condition, or "failed to run migrations"."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Failed" and condition.get("status") == Status.TRUE:
            return condition.get("message", "")
    return MIGRATIONS_FAILED_DEFAULT


def plan_migration_check(registry: dict, job: Mapping | None, *, quay_version: str, now: datetime) -> Plan:
    """Reconcile step 3: while `ComponentsCreated` is MigrationsInProgress, only the upgrade Job is read.

    Missing → MigrationsJobMissing; active → requeue; succeeded → `currentVersion` set and
    ComponentsCreated=True; otherwise MigrationsFailed. Every outcome requeues after 10 s, and the
    non-active ones let the next pass run the full flow.
    """
    state = detect_job_state(job)
    if state is JobState.MISSING:
        return plan_condition(registry, Step.MIGRATIONS, ConditionType.COMPONENTS_CREATED, Status.FALSE,
                              Reason.MIGRATIONS_JOB_MISSING, UPGRADE_JOB_NOT_FOUND, now=now)
    if state is JobState.ACTIVE:
        return Plan(Step.MIGRATIONS)
    if state is JobState.SUCCEEDED:
        condition = render_condition(ConditionType.COMPONENTS_CREATED, Status.TRUE,
                                     Reason.COMPONENTS_CREATION_SUCCESS, ALL_COMPONENTS_CREATED, now=now)
        return Plan(Step.MIGRATIONS, conditions=(condition,),
                    status=render_status(registry.get("status"), [condition], now=now, currentVersion=quay_version))
    return plan_condition(registry, Step.MIGRATIONS, ConditionType.COMPONENTS_CREATED, Status.FALSE,
                          Reason.MIGRATIONS_FAILED, detect_job_failure(job), now=now)
