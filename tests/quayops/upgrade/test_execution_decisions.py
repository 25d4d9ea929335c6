"""The pure decisions of `run_upgrade`: 12.3's start-up logic, InstallPlans against the planned hop, the
registry's progress through the operator's migration."""

import pytest

from quayops.model.versions import parse_version
from quayops.upgrade.execution import (
    channel_for,
    check_install_plan,
    csv_version,
    detect_registry_progress,
    hop_matches,
    plan_start,
)
from quayops.upgrade.planning import UpgradeRefused

V = parse_version


def registry(current=None, *conditions):
    status = {"conditions": [{"type": t, "status": s, "reason": r, "message": m} for t, s, r, m in conditions]}
    if current:
        status["currentVersion"] = current
    return {"metadata": {"name": "r", "namespace": "q"}, "status": status}


def install_plan(*csvs, approved=False):
    return {"metadata": {"name": "install-x"}, "spec": {"approved": approved, "clusterServiceVersionNames": list(csvs)}}


AVAILABLE = ("Available", "True", "HealthChecksPassing", "All components reporting as healthy")
CREATED = ("ComponentsCreated", "True", "ComponentsCreationSuccess", "All registry components created")


def test_unset_current_version_is_nothing_to_do():
    plan, why = plan_start(registry(), "3.7", operator=V("3.5.7"))
    assert plan is None and "no status.currentVersion" in why and "12.3" in why


@pytest.mark.parametrize("current", ["v3.7.14", "3.7.14"])
def test_equal_version_is_nothing_to_do(current):
    plan, why = plan_start(registry(current), "3.7", operator=V("3.7.14"))
    assert plan is None and "nothing to upgrade" in why


def test_supported_path_proceeds():
    plan, why = plan_start(registry("v3.5.7"), "3.7", operator=V("3.5.7"))
    assert why == "" and [str(v) for v in plan.path] == ["3.5.7", "3.7"]


def test_unsupported_path_is_refused():
    with pytest.raises(UpgradeRefused, match="downgrade"):
        plan_start(registry("v3.7.14"), "3.5", operator=V("3.7.14"))


def test_operator_ahead_of_the_first_hop_is_refused():
    with pytest.raises(UpgradeRefused, match="unfinished"):
        plan_start(registry("v3.4.7"), "3.6", operator=V("3.7.14"))


def test_csv_versions_and_channels():
    assert csv_version("quay-operator.v3.7.14") == V("3.7.14")
    assert csv_version("other-operator.v1.0.0") is None
    assert channel_for(V("3.7")) == "stable-3.7"
    assert hop_matches(V("3.7"), V("3.7.12")) and not hop_matches(V("3.7.12"), V("3.7.14"))


def test_installplan_of_the_planned_hop_passes():
    assert check_install_plan(install_plan("quay-operator.v3.7.14"), installed=V("3.5.7"), hop=V("3.7")) == ""


def test_installplan_beyond_the_supported_graph_is_refused_with_the_reason():
    why = check_install_plan(install_plan("quay-operator.v3.8.0"), installed=V("3.5.7"), hop=V("3.7"))
    assert why.startswith("it installs quay-operator.v3.8.0 (Quay 3.8.0), not the planned hop 3.5.7 → 3.7")
    assert "not a Quay release quayops knows" in why


def test_installplan_skipping_a_minor_names_the_supported_path():
    why = check_install_plan(install_plan("quay-operator.v3.7.14"), installed=V("3.3.4"), hop=V("3.4"))
    assert "3.3.4 → 3.7.14 is not one supported hop" in why and "3.3.4 → 3.4.7 → 3.7.14" in why


def test_installplan_for_another_zstream_than_pinned_is_refused():
    why = check_install_plan(install_plan("quay-operator.v3.7.14"), installed=V("3.5.7"), hop=V("3.7.12"))
    assert why == "it installs quay-operator.v3.7.14 (Quay 3.7.14), not the planned hop 3.5.7 → 3.7.12"


def test_installplan_with_no_or_two_csvs_is_refused():
    assert "not one quay-operator release" in check_install_plan(install_plan(), installed=None, hop=V("3.7"))
    two = install_plan("quay-operator.v3.7.14", "quay-operator.v3.6.10")
    assert "not one quay-operator release" in check_install_plan(two, installed=None, hop=V("3.7"))


def test_registry_progress_done_needs_version_created_and_available():
    assert detect_registry_progress(registry("v3.7.14", CREATED, AVAILABLE), version=V("3.7.14"))[0] == "done"
    assert detect_registry_progress(registry("v3.5.7", CREATED, AVAILABLE), version=V("3.7.14"))[0] == "waiting"
    migrating = ("ComponentsCreated", "False", "MigrationsInProgress", "running database migrations")
    state, seen = detect_registry_progress(registry("v3.5.7", migrating), version=V("3.7.14"))
    assert (state, seen) == ("waiting", "MigrationsInProgress, currentVersion v3.5.7, not Available")


def test_registry_progress_failed_carries_the_jobs_message():
    failed = ("ComponentsCreated", "False", "MigrationsFailed", "Job has reached the specified backoff limit")
    assert detect_registry_progress(registry("v3.5.7", failed), version=V("3.7.14")) == \
        ("failed", "Job has reached the specified backoff limit")
    assert detect_registry_progress(None, version=V("3.7.14"))[0] == "failed"
