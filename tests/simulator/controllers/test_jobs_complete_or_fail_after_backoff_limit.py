"""Jobs run pods to completion (Complete) or, failing past backoffLimit, end Failed; CronJobs fire on
the simulator's clock."""

from __future__ import annotations

from tests.simulator.controllers.conftest import Cluster

FAIL = {"simulator.quayops.dev/exit-code": "1"}


def job(name: str, *, backoff_limit: int = 6, annotations: dict | None = None, restart: str = "Never") -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"backoffLimit": backoff_limit, "template": {
                "metadata": {"annotations": annotations or {}},
                "spec": {"restartPolicy": restart, "containers": [{"name": "migrate", "image": "quay:3.7"}]}}}}


def _conditions(cluster: Cluster, ns: str, name: str) -> dict[str, tuple[str, str, str]]:
    j = cluster.batch.read_namespaced_job(name, ns)
    return {c.type: (c.status, c.reason, c.message) for c in j.status.conditions or []}


def test_job_succeeds_and_reports_complete(cluster: Cluster):
    ns = cluster.namespace()
    cluster.batch.create_namespaced_job(ns, job("init"))
    cluster.settle()
    assert cluster.batch.read_namespaced_job("init", ns).status.active == 1
    cluster.until(lambda: "Complete" in _conditions(cluster, ns, "init"))
    status = cluster.batch.read_namespaced_job("init", ns).status
    assert (status.succeeded, status.active, status.failed) == (1, None, None)
    assert status.completion_time is not None and status.start_time is not None
    assert _conditions(cluster, ns, "init")["Complete"] == (
        "True", "CompletionsReached", "Reached expected number of succeeded pods")
    (pod,) = cluster.core.list_namespaced_pod(ns).items
    assert pod.status.phase == "Succeeded"
    assert pod.status.container_statuses[0].state.terminated.reason == "Completed"
    assert [e.reason for e in cluster.events(ns, "init")] == ["SuccessfulCreate", "Completed"]


def test_job_fails_after_backoff_limit(cluster: Cluster):
    ns = cluster.namespace()
    cluster.batch.create_namespaced_job(ns, job("upgrade", backoff_limit=2, annotations=FAIL))
    cluster.until(lambda: "Failed" in _conditions(cluster, ns, "upgrade"), within=600)
    status = cluster.batch.read_namespaced_job("upgrade", ns).status
    assert (status.failed, status.succeeded, status.active) == (3, None, None)
    assert _conditions(cluster, ns, "upgrade")["Failed"] == (
        "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    pods = cluster.core.list_namespaced_pod(ns).items
    assert [p.status.phase for p in pods] == ["Failed"] * 3
    assert {p.status.container_statuses[0].state.terminated.exit_code for p in pods} == {1}


def test_on_failure_restarts_count_toward_backoff_limit(cluster: Cluster):
    ns = cluster.namespace()
    cluster.batch.create_namespaced_job(ns, job("migrate", backoff_limit=1, annotations=FAIL, restart="OnFailure"))
    cluster.until(lambda: "Failed" in _conditions(cluster, ns, "migrate"), within=600)
    assert cluster.core.list_namespaced_pod(ns).items == []  # the crash-looping pod is terminated


def test_cronjob_creates_jobs_on_schedule(cluster: Cluster):
    ns = cluster.namespace()
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup"},
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": job("x")["spec"]}}}
    cluster.batch.create_namespaced_cron_job(ns, cron)
    cluster.settle(11 * 60)
    jobs = sorted(j.metadata.name for j in cluster.batch.list_namespaced_job(ns).items)
    assert len(jobs) == 2
    minutes = [int(name.rsplit("-", 1)[1]) for name in jobs]
    assert all(m % 5 == 0 for m in minutes) and minutes[1] - minutes[0] == 5
    cj = cluster.batch.read_namespaced_cron_job("backup", ns)
    assert cj.status.last_schedule_time.timestamp() == minutes[1] * 60
    assert cj.status.last_successful_time is not None
