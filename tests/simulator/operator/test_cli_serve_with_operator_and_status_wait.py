"""One real CLI run: `quayops sim serve --with-operator`, `kubectl apply` of the guide's registry, then
`quayops status --wait` follows it to Available (exit 0)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.simulator.controllers.conftest import KUBECTL

REGISTRY = """apiVersion: quay.redhat.com/v1
kind: QuayRegistry
metadata:
  name: example-registry
  namespace: quay-enterprise
"""


def test_status_wait_follows_a_registry_on_a_simulator_served_with_the_operator(tmp_path: Path):
    kubeconfig = tmp_path / "kubeconfig"
    serve = subprocess.Popen([sys.executable, "-m", "quayops", "sim", "serve", "--seed", "2", "--with-operator",
                              "--kubeconfig", str(kubeconfig)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    env = {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig)}
    try:
        assert serve.stdout.readline().startswith("ready ")
        (tmp_path / "qr.yaml").write_text(REGISTRY)
        for args in (("create", "namespace", "quay-enterprise"), ("apply", "-f", str(tmp_path / "qr.yaml"))):
            subprocess.run([str(KUBECTL), *args], env=env, check=True, capture_output=True, timeout=60)
        status = subprocess.run([sys.executable, "-m", "quayops", "status", "example-registry", "-n", "quay-enterprise",
                                 "--wait", "--timeout", "60"], env=env, capture_output=True, text=True, timeout=120,
                                check=False)
        assert status.returncode == 0, status.stderr
        assert status.stdout.startswith("QuayRegistry quay-enterprise/example-registry: Available")
        assert "https://example-registry-quay-quay-enterprise.apps.sim.example.com" in status.stdout
        assert "Available=True HealthChecksPassing: All components reporting as healthy" in status.stderr
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 0


def test_with_operator_needs_the_openshift_platform():
    result = subprocess.run([sys.executable, "-m", "quayops", "sim", "serve", "--platform", "kubernetes",
                             "--with-operator", "3.6.10"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "run on the openshift platform only" in result.stderr
