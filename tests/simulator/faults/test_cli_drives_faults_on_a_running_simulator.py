"""`quayops sim fault add|list|clear` against `quayops sim serve --without routes,monitoring` in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from quayops.cli import main
from tests.simulator.controllers.conftest import KUBECTL


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    kubeconfig = tmp_path_factory.mktemp("serve") / "kubeconfig"
    proc = subprocess.Popen([sys.executable, "-m", "quayops", "sim", "serve", "--seed", "3", "--kubeconfig",
                             str(kubeconfig), "--without", "routes,monitoring"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("ready ")
        yield kubeconfig
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


def _cli(kubeconfig: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["sim", "fault", *args, "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 0, result.output
    return result.output


def test_add_list_clear_through_the_cli(served: Path):
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(served), context="simulator"))
    fault_id = _cli(served, "add", "api-errors", "configmaps", "--code", "503", "--verb", "list", "-n",
                    "default").strip()
    assert fault_id == "api-errors-1"
    listed = _cli(served, "list")
    assert listed.splitlines()[1].split() == ["api-errors-1", "api-errors", "configmaps",
                                              "code=503,verb=list,namespace=default", "-", "-"]
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_config_map("default")
    assert caught.value.status == 503

    timed = json.loads(_cli(served, "add", "crash-loop", "default/web", "--for", "2m", "-o", "json"))
    assert timed["id"] == "crash-loop-2" and 119 <= timed["expiresInSeconds"] <= 120
    assert [f["id"] for f in json.loads(_cli(served, "list", "-o", "json"))] == ["api-errors-1", "crash-loop-2"]
    assert _cli(served, "clear", "api-errors-1") == "cleared api-errors-1\n"
    core.list_namespaced_config_map("default")
    assert _cli(served, "clear", "--all") == "cleared crash-loop-2\n"
    assert _cli(served, "list").splitlines()[1:] == []


def test_cli_errors_name_the_problem(served: Path):
    runner = CliRunner()
    bad = runner.invoke(main, ["sim", "fault", "add", "api-errors", "pods", "--code", "404", "--kubeconfig",
                               str(served)])
    assert bad.exit_code == 2 and "code: must be one of 409, 429, 500, 503, got 404 (BadRequest 400)" in bad.output
    missing = runner.invoke(main, ["sim", "fault", "clear", "nope-1", "--kubeconfig", str(served)])
    assert missing.exit_code == 1 and 'fault "nope-1" not found' in missing.output
    usage = runner.invoke(main, ["sim", "fault", "clear", "--kubeconfig", str(served)])
    assert usage.exit_code == 2 and "give a fault ID or --all" in usage.output


def test_without_routes_the_api_is_not_served(served: Path, tmp_path: Path):
    env = {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(served)}
    shown = subprocess.run([str(KUBECTL), "api-resources", "-o", "name"], env=env, capture_output=True, text=True,
                           timeout=60, check=True).stdout.split()
    assert "routes.route.openshift.io" not in shown and "servicemonitors.monitoring.coreos.com" not in shown
    assert "objectbucketclaims.objectbucket.io" in shown and "deployments.apps" in shown
