"""job-failure: the next N runs of a Job fail (their pods exit non-zero); later runs succeed again."""

from __future__ import annotations

from tests.simulator.controllers.conftest import Cluster


def _job(name: str, *, backoff_limit: int = 0) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"backoffLimit": backoff_limit, "template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "migrate", "image": "quay:3.7"}]}}}}


def _outcome(cluster: Cluster, ns: str, name: str) -> str | None:
    for c in cluster.batch.read_namespaced_job(name, ns).status.conditions or []:
        if c.type in ("Complete", "Failed") and c.status == "True":
            return f"{c.type}/{c.reason}"
    return None


def _rerun(cluster: Cluster, ns: str, name: str) -> None:
    cluster.batch.delete_namespaced_job(name, ns, propagation_policy="Foreground")
    cluster.until(lambda: not cluster.batch.list_namespaced_job(ns).items)
    cluster.batch.create_namespaced_job(ns, _job(name))


def test_the_next_run_fails_and_the_one_after_succeeds(cluster: Cluster):
    ns = cluster.namespace("job")
    fault = cluster.sim.faults.add("job-failure", f"{ns}/migrate")
    assert fault.remaining == 1
    cluster.batch.create_namespaced_job(ns, _job("migrate"))
    assert cluster.until(lambda: _outcome(cluster, ns, "migrate")) == "Failed/BackoffLimitExceeded"
    pod = cluster.core.list_namespaced_pod(ns).items[0]
    assert pod.status.container_statuses[0].state.terminated.exit_code == 1
    assert cluster.sim.faults.list() == []  # used up

    _rerun(cluster, ns, "migrate")
    assert cluster.until(lambda: _outcome(cluster, ns, "migrate")) == "Complete/CompletionsReached"


def test_count_fails_that_many_runs_with_the_exit_code_asked_for(cluster: Cluster):
    ns = cluster.namespace("job-count")
    cluster.sim.faults.add("job-failure", f"{ns}/backup", count=2, exit_code=3)
    for remaining in (1, 0):
        if remaining == 0:
            _rerun(cluster, ns, "backup")
        else:
            cluster.batch.create_namespaced_job(ns, _job("backup"))
        assert cluster.until(lambda: _outcome(cluster, ns, "backup")) == "Failed/BackoffLimitExceeded"
        assert [f.remaining for f in cluster.sim.faults.list()] == ([1] if remaining else [])
    pods = cluster.core.list_namespaced_pod(ns).items
    assert {p.status.container_statuses[0].state.terminated.exit_code for p in pods} == {3}
    _rerun(cluster, ns, "backup")
    assert cluster.until(lambda: _outcome(cluster, ns, "backup")) == "Complete/CompletionsReached"


def test_clearing_lets_the_job_retry_to_success(cluster: Cluster):
    ns = cluster.namespace("job-clear")
    fault = cluster.sim.faults.add("job-failure", f"{ns}/upgrade")
    cluster.batch.create_namespaced_job(ns, _job("upgrade", backoff_limit=3))
    cluster.until(lambda: cluster.batch.read_namespaced_job("upgrade", ns).status.failed)
    cluster.sim.faults.clear(fault)
    assert cluster.until(lambda: _outcome(cluster, ns, "upgrade"), within=300) == "Complete/CompletionsReached"
    assert cluster.batch.read_namespaced_job("upgrade", ns).status.failed >= 1


def test_a_cronjob_target_fails_its_next_scheduled_job(cluster: Cluster):
    ns = cluster.namespace("cron")
    cluster.sim.faults.add("job-failure", f"{ns}/nightly-backup")
    cluster.batch.create_namespaced_cron_job(ns, {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly-backup"},
        "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": _job("x")["spec"]}}})

    def outcomes() -> list[str | None]:
        jobs = sorted(cluster.batch.list_namespaced_job(ns).items, key=lambda j: j.metadata.creation_timestamp)
        return [_outcome(cluster, ns, j.metadata.name) for j in jobs]

    cluster.until(lambda: len(outcomes()) == 2 and all(outcomes()), within=900, tick=30)
    assert outcomes() == ["Failed/BackoffLimitExceeded", "Complete/CompletionsReached"]
