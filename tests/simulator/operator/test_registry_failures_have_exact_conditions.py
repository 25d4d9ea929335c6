"""Failures as the operator reports them: a failing upgrade Job (MigrationsFailed), a missing bundle Secret,
and no operator at all (nothing happens)."""

from __future__ import annotations

from pathlib import Path

from tests.simulator.controllers.conftest import Cluster
from tests.simulator.operator.conftest import available, condition, create_registry

JOB = "example-registry-quay-app-upgrade"


def test_failing_upgrade_job_gives_migrations_failed_then_the_job_is_rerun(cluster: Cluster, tmp_path: Path):
    ns = cluster.namespace("migrations")
    create_registry(cluster, ns)
    # the pass that starts migrations created the Job it now watches (earlier passes re-create it)
    cluster.until(lambda: (condition(cluster, ns, "ComponentsCreated") or ("",))[0] == "False", tick=0.05)
    # the job failure knob: its pods exit 1, restart OnFailure, and the Job reaches its backoff limit
    cluster.kubectl("-n", ns, "annotate", "job", JOB, "simulator.quayops.dev/exit-code=1", tmp=tmp_path)
    cluster.kubectl("-n", ns, "delete", "pods", "-l", "quay-component=quay-app-upgrade", "--wait=false", tmp=tmp_path)
    failed = ("False", "MigrationsFailed", "Job has reached the specified backoff limit")
    cluster.until(lambda: condition(cluster, ns, "ComponentsCreated") == failed, within=300, tick=0.05)
    assert condition(cluster, ns, "Available")[:2] == ("False", "ComponentNotReady")
    assert "currentVersion" not in cluster.custom.get_namespaced_custom_object(
        "quay.redhat.com", "v1", ns, "quayregistries", "example-registry")["status"]
    events = {(e.type, e.reason, e.message) for e in cluster.events(ns, "example-registry")}
    assert ("Normal", *failed[1:]) in events
    # the next full pass deletes and re-creates the Job (without the knob): migrations run again
    cluster.until(lambda: available(cluster, ns), within=300)
    assert condition(cluster, ns, "ComponentsCreated") == \
        ("True", "ComponentsCreationSuccess", "All registry components created")


def test_missing_bundle_secret_blocks_the_rollout_and_creates_nothing(cluster: Cluster):
    ns = cluster.namespace("nobundle")
    create_registry(cluster, ns, configBundleSecret="quay-config")
    cluster.settle(5)
    assert condition(cluster, ns, "RolloutBlocked") == \
        ("True", "ConfigInvalid", 'unable to get `configBundleSecret`: secrets "quay-config" not found')
    assert cluster.apps.list_namespaced_deployment(ns).items == []
    assert cluster.core.list_namespaced_secret(ns).items == []
    events = {(e.type, e.reason, e.message) for e in cluster.events(ns, "example-registry")}
    assert ("Warning", "ConfigInvalid", 'unable to get `configBundleSecret`: secrets "quay-config" not found') \
        in events
