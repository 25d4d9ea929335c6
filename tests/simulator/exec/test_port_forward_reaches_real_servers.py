"""Port-forward to a registry's pods and to NooBaa's S3 reaches the real servers: with `kubectl port-forward`
(SPDY tunnelled through a WebSocket) and with `quayops.kube.execution.port_forward` (the client's channels)."""

from __future__ import annotations

import re
import subprocess
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import psycopg
import requests

from quayops.kube.execution import port_forward
from tests.simulator.exec.conftest import KUBECTL, pod_of

_FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+) ->")


@contextmanager
def kubectl_port_forward(kubectl, *args: str):
    """`kubectl port-forward ... :<port>`; yields the local port kubectl picked."""
    proc = subprocess.Popen([str(KUBECTL), "port-forward", *args], env=kubectl.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = _FORWARDING.search(line)
        assert match, f"kubectl port-forward said {line!r}: {proc.stderr.read() if proc.poll() is not None else ''}"
        yield int(match.group(1))
    finally:
        proc.terminate()
        proc.wait(10)


def _query_database(r, port: int) -> int:
    uri = urlsplit(r.secret(f"{r.name}-quay-registry-managed-secret-keys")["DB_URI"])
    with psycopg.connect(host="127.0.0.1", port=port, dbname=unquote(uri.path.lstrip("/")),
                         user=unquote(uri.username), password=unquote(uri.password), connect_timeout=10) as conn:
        return conn.execute('SELECT count(*) FROM "user"').fetchone()[0]


def test_kubectl_port_forward_to_the_database(registry, kubectl):
    with kubectl_port_forward(kubectl, "-n", registry.namespace, f"pod/{pod_of(registry, 'postgres')}",
                              ":5432") as port:
        assert _query_database(registry, port) >= 1
        assert _query_database(registry, port) >= 1  # a second connection through the same forward
    with kubectl_port_forward(kubectl, "-n", registry.namespace, f"svc/{registry.name}-quay-database",
                              ":5432") as port:
        assert _query_database(registry, port) >= 1


def test_kubectl_port_forward_to_noobaa_s3(registry, kubectl):
    with kubectl_port_forward(kubectl, "-n", "openshift-storage", "svc/s3", ":80") as port:
        answer = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
    assert answer.status_code == 403 and "<Code>AccessDenied</Code>" in answer.text  # SeaweedFS, unsigned


def test_client_port_forward_to_database_quay_and_s3(registry):
    r = registry
    with port_forward(r.cluster, r.namespace, pod_of(r, "postgres"), 5432) as (_, port):
        assert _query_database(r, port) >= 1
    quay = pod_of(r, "quay-app")
    with port_forward(r.cluster, r.namespace, quay, 8080) as (host, port):
        assert requests.get(f"http://{host}:{port}/health/instance", timeout=10).status_code == 200
    with port_forward(r.cluster, r.namespace, quay, 9091) as (host, port):
        assert "quay_repository_rows" in requests.get(f"http://{host}:{port}/metrics", timeout=10).text
    with port_forward(r.cluster, "openshift-storage", pod_of(r, "noobaa-s3=noobaa", "openshift-storage"),
                      6001) as (host, port):
        assert requests.get(f"http://{host}:{port}/", timeout=10).status_code == 403
