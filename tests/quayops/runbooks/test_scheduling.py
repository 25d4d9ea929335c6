import pytest

from quayops.runbooks import ParametersInvalid, cronjob_manifest


def container(manifest):
    return manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]


def test_cronjob_runs_the_runner_in_cluster(fixtures_root):
    m = cronjob_manifest("checks/behave", schedule="0 2 * * *", image="registry.example.com/quayops:1",
                         parameters={"nodes": 5, "mode": "ok"}, namespace="quay-enterprise",
                         service_account="runbooks", root=fixtures_root)
    assert (m["apiVersion"], m["kind"], m["metadata"]["name"]) == ("batch/v1", "CronJob", "quayops-checks-behave")
    assert m["spec"]["schedule"] == "0 2 * * *"
    assert m["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAccountName"] == "runbooks"
    assert container(m)["command"] + container(m)["args"] == [
        "quayops", "runbook", "run", "checks/behave", "--target", "in-cluster", "--out", "/var/run/quayops/out",
        "--no-progress", "-p", "nodes", "5", "-p", "mode", "ok"]


def test_secret_parameters_become_secret_key_refs_never_literals(fixtures_root):
    m = cronjob_manifest("checks/behave", schedule="@daily", namespace="quay-enterprise", service_account="sa",
                         parameters={"admin_password": "secret:quay-enterprise/quay-admin/password",
                                     "pull_auth": "secret:other-ns/pull/auth"}, root=fixtures_root)
    c = container(m)
    assert c["env"] == [{"name": "QUAYOPS_ADMIN_PASSWORD",
                         "valueFrom": {"secretKeyRef": {"name": "quay-admin", "key": "password"}}}]
    # a Secret in another namespace cannot be a secretKeyRef: the runner reads it through the API
    assert c["args"][-6:] == ["-p", "admin_password", "env:QUAYOPS_ADMIN_PASSWORD",
                              "-p", "pull_auth", "secret:other-ns/pull/auth"]


@pytest.mark.parametrize("value", ["env:MY_PW", "a-plain-password"])
def test_env_references_and_values_are_refused(fixtures_root, value):
    with pytest.raises(ParametersInvalid) as e:
        cronjob_manifest("checks/behave", schedule="@daily", namespace="ns", service_account="sa",
                         parameters={"admin_password": value}, root=fixtures_root)
    assert e.value.field == "admin_password" and "a-plain-password" not in str(e.value)


def test_long_names_fit_a_cronjob(tmp_path):
    group = tmp_path / "backup-restore"
    group.mkdir()
    (group / "10-restore-registry-from-object-storage-and-database.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    m = cronjob_manifest("backup-restore/10-restore-registry-from-object-storage-and-database",
                         schedule="@daily", namespace="ns", service_account="sa", root=tmp_path)
    assert len(m["metadata"]["name"]) <= 52 and m["metadata"]["name"].startswith("quayops-backup-restore-10-")
