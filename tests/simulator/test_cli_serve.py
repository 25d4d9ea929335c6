"""`quayops sim serve`: one ready line, a working kubeconfig, exit 0 on SIGTERM having stopped everything."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from kubernetes import client, config


def test_serve_prints_ready_and_exits_cleanly_on_sigterm(tmp_path: Path):
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen([sys.executable, "-m", "quayops", "sim", "serve", "--seed", "1", "--platform",
                             "kubernetes", "--kubeconfig", str(kubeconfig)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().split()
        assert line[0] == "ready" and line[1] == str(kubeconfig) and line[2].startswith("https://127.0.0.1:")
        api = config.new_client_from_config(config_file=str(kubeconfig), context="simulator")
        names = [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items]
        assert "default" in names
        groups = [g.name for g in client.ApisApi(api).get_api_versions().groups]
        assert "route.openshift.io" not in groups and "quay.redhat.com" in groups
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    assert proc.stdout.read() == ""


def test_serve_refuses_non_loopback_hosts():
    result = subprocess.run([sys.executable, "-m", "quayops", "sim", "serve", "--host", "0.0.0.0"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "127.0.0.1 only" in result.stderr
