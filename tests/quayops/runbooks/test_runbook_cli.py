"""`quayops runbook`: each command is one library call (patched here, its kwargs asserted), plus one
real run in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

from click.testing import CliRunner
from ruamel.yaml import YAML

from quayops.cli import main
from quayops.runbooks import RunRecord

QUAYOPS = str(Path(sys.executable).parent / "quayops")
LISTED = [{"name": "install/01-preflight", "path": "/nb/install/01-preflight.ipynb", "parameters": [
    {"name": "target", "type": "str", "default": '"simulator"', "help": "cluster", "secret": False},
    {"name": "first_user_password", "type": "str", "default": '""', "help": "", "secret": True}]}]


def test_list_json_is_the_library_listing():
    with mock.patch("quayops.runbooks.list_runbooks", return_value=LISTED) as call:
        result = CliRunner().invoke(main, ["runbook", "list", "-o", "json", "--notebooks", "/nb"])
    assert result.exit_code == 0 and json.loads(result.output) == LISTED
    call.assert_called_once_with(root="/nb")


def test_list_table_shows_types_and_secret_flags():
    with mock.patch("quayops.runbooks.list_runbooks", return_value=LISTED):
        result = CliRunner().invoke(main, ["runbook", "list"])
    assert result.output.splitlines()[0] == "install/01-preflight"
    assert result.output.splitlines()[2].split() == ["first_user_password", "str,", "secret", '""']


def test_run_passes_options_and_exits_with_the_records_status():
    record = RunRecord(runbook="install/01-preflight", target="simulator", parameters={}, started="t0",
                       duration_s=2.5, outcome="timeout", exit_status=3, message="timeout at cell 4",
                       notebook="out/install-01-preflight.ipynb", record="out/install-01-preflight.json")
    with mock.patch("quayops.runbooks.run_runbook", return_value=record) as call:
        result = CliRunner().invoke(main, ["runbook", "run", "install/01-preflight", "-p", "nodes", "4",
                                           "-p", "first_user_password", "env:PW", "--target", "prod-east",
                                           "--out", "out", "--timeout", "60", "--no-progress"])
    call.assert_called_once_with("install/01-preflight", parameters={"nodes": "4", "first_user_password": "env:PW"},
                                 target="prod-east", out_dir="out", kernel_name=None, timeout=60, root=None,
                                 progress=False)
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        "install/01-preflight on simulator: timeout in 2.5 s (exit 3): timeout at cell 4",
        "  notebook: out/install-01-preflight.ipynb", "  record:   out/install-01-preflight.json"]


def test_run_unknown_runbook_exits_2(fixtures_root):
    result = CliRunner().invoke(main, ["runbook", "run", "checks/nope", "--notebooks", str(fixtures_root)])
    assert result.exit_code == 2 and "no runbook 'checks/nope'" in result.output


def test_cronjob_prints_the_manifest_as_yaml():
    manifest = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "quayops-x"}}
    with mock.patch("quayops.runbooks.cronjob_manifest", return_value=manifest) as call:
        result = CliRunner().invoke(main, ["runbook", "cronjob", "install/01-preflight", "--schedule", "0 2 * * *",
                                           "-p", "nodes", "4", "-n", "quay", "--image", "img:1"])
    call.assert_called_once_with("install/01-preflight", schedule="0 2 * * *", parameters={"nodes": "4"},
                                 namespace="quay", service_account="quayops-runbook", target="in-cluster",
                                 root=None, image="img:1")
    assert result.exit_code == 0 and YAML(typ="safe").load(result.output) == manifest


def test_real_run_in_a_subprocess(fixtures_root, tmp_path):
    env = {**os.environ, "QUAYOPS_NOTEBOOKS": str(fixtures_root), "QUAYOPS_ADMIN_PASSWORD": "subprocess-pw-1"}
    proc = subprocess.run([QUAYOPS, "runbook", "run", "checks/behave", "-p", "nodes", "2", "--out", str(tmp_path),
                           "--no-progress"], capture_output=True, text=True, env=env, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("checks/behave on simulator: ok in ")
    record = json.loads((tmp_path / "checks-behave.json").read_text())
    assert record["parameters"] == {"nodes": 2, "target": "simulator", "admin_password": "env:QUAYOPS_ADMIN_PASSWORD"}
    assert "subprocess-pw-1" not in proc.stdout + proc.stderr
