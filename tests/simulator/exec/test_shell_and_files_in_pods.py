"""What exec finds in a container: the quay-app pod's mounted final config, a shell's pipes and redirections,
exit codes carried to both clients, unknown commands failing as a shell and as the runtime would, and the
API server's refusal for a pod without a host."""

from __future__ import annotations

import base64
import io

import pytest

from quayops.errors import ClusterError
from quayops.kube.execution import exec_in_pod
from simulator.dataplane.registries import mounted_secret
from tests.simulator.exec.conftest import pod_of


def _exec(r, pod, argv, **kwargs):
    out = io.BytesIO()
    code, stderr = exec_in_pod(r.cluster, r.namespace, pod, argv, stdout=out, **kwargs)
    return code, out.getvalue().decode(), stderr


def test_quay_app_pod_shows_the_final_config(registry, kubectl):
    pod = pod_of(registry, "quay-app")
    deployment = registry.cluster.get("apps/v1", "Deployment", f"{registry.name}-quay-app",
                                      namespace=registry.namespace)
    secret = registry.cluster.get("v1", "Secret", mounted_secret(deployment, "-quay-config-secret-"),
                                  namespace=registry.namespace)
    final = base64.b64decode(secret["data"]["config.yaml"]).decode()
    assert _exec(registry, pod, ["cat", "/conf/stack/config.yaml"]) == (0, final, "")
    shown = kubectl("exec", "-n", registry.namespace, pod, "--", "cat", "/conf/stack/config.yaml")
    assert (shown.returncode, shown.stdout.decode()) == (0, final)
    code, listing, _ = _exec(registry, pod, ["ls", "/conf/stack"])
    assert code == 0 and "config.yaml" in listing.split()
    code, env, _ = _exec(registry, pod, ["env"])
    assert code == 0 and f"HOSTNAME={pod}" in env.splitlines()


def test_shell_pipes_redirections_and_exit_codes(registry, kubectl):
    pod = pod_of(registry, "quay-app")
    assert _exec(registry, pod, ["sh", "-c", "cat /conf/stack/config.yaml | cat > /tmp/c && cat /tmp/c | cat"]
                 )[:2] == (0, _exec(registry, pod, ["cat", "/conf/stack/config.yaml"])[1])
    assert _exec(registry, pod, ["sh", "-c", "echo out; echo err >&2; exit 3"]) == (3, "out\n", "err\n")
    assert _exec(registry, pod, ["sh", "-c", "cat"], stdin=b"piped\n") == (0, "piped\n", "")
    done = kubectl("exec", "-n", registry.namespace, pod, "--", "sh", "-c", "echo out; exit 3")
    assert (done.returncode, done.stdout, done.stderr) == (3, b"out\n", b"command terminated with exit code 3\n")


def test_unknown_commands_fail_as_shell_and_runtime_do(registry, kubectl):
    pod = pod_of(registry, "quay-app")
    assert _exec(registry, pod, ["sh", "-c", "foo"]) == (127, "", "sh: 1: foo: not found\n")
    assert _exec(registry, pod, ["bash", "-c", "foo"]) == (127, "", "bash: line 1: foo: command not found\n")
    oci = ('OCI runtime exec failed: exec failed: unable to start container process: exec: "foo": '
           "executable file not found in $PATH: unknown\n")
    assert _exec(registry, pod, ["foo"]) == (126, "", oci)
    shell = kubectl("exec", "-n", registry.namespace, pod, "--", "sh", "-c", "foo")
    assert (shell.returncode, shell.stderr) == (127, b"sh: 1: foo: not found\ncommand terminated with exit code 127\n")
    assert _exec(registry, pod, ["pg_dump", "x"])[0] == 126  # the quay image has no PostgreSQL tools


def test_exec_into_a_pod_without_a_host_is_refused(registry, kubectl):
    registry.cluster.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stuck", "namespace":
                             registry.namespace}, "spec": {"nodeSelector": {"no-such-node": "x"},
                                                           "containers": [{"name": "c", "image": "busybox"}]}})
    refused = kubectl("exec", "-n", registry.namespace, "stuck", "--", "true")
    assert refused.returncode == 1
    # kubectl 1.37 tries WebSocket, falls back to SPDY on the 400 and quotes the Status message
    assert refused.stderr == b"error: unable to upgrade connection: pod stuck does not have a host assigned\n"
    with pytest.raises(ClusterError, match="pod stuck does not have a host assigned"):
        exec_in_pod(registry.cluster, registry.namespace, "stuck", ["true"])
    with pytest.raises(ClusterError, match='pods "nope" not found'):
        exec_in_pod(registry.cluster, registry.namespace, "nope", ["true"])
    registry.cluster.delete("v1", "Pod", "stuck", namespace=registry.namespace)
