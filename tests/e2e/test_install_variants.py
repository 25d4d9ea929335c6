"""Each install runbook, unchanged, against a second simulator with other parameters: a one-namespace install
on infra nodes with storage and database on the data plane's servers as external services and a custom TLS
pair behind a passthrough route; and a Manual approval with image overrides and the route unmanaged."""

from __future__ import annotations

import base64
from pathlib import Path

import psycopg
import pytest

from quayops.install.deploy import INFRA_ROLE
from quayops.install.firstuser import login_works
from quayops.kube.client import Cluster
from quayops.kube.resolve import route_session
from quayops.runbooks import run_runbook
from simulator.dataplane.objectstore import s3_client
from simulator.kubeconfig import issue_certificate
from tests.e2e.conftest import CHAIN, leaks, secret_value, started

INFRA = ["sim-worker-b-3", "sim-worker-c-4", "sim-worker-d-5"]
DB_PASSWORD = "e2e-external-db-5521"  # planted
FIRST_PASSWORD = "e2e-variant-first-7734"  # planted
GUIDE_DIGEST = "quay.io/projectquay/quay@sha256:c35f5af964431673f4ff5c9e90bdf45f19e38b8742b5903d41c10cc7f6339a6d"


def external_services(sim, cluster: Cluster, workdir: Path) -> dict:
    """What a DBA and a storage admin hand over: a database with its owner, a bucket, a CA-signed TLS pair."""
    published = cluster.get("v1", "ConfigMap", "simulator-dataplane", namespace="simulator")["data"]
    sim.data_plane.postgres.create_database("quayext", owner="quayext", password=DB_PASSWORD)
    access = secret_value(cluster, "simulator", "simulator-dataplane", "s3.access-key")
    secret = secret_value(cluster, "simulator", "simulator-dataplane", "s3.secret-key")
    s3_client(published["s3.endpoint"], access, secret).create_bucket(Bucket="quay-external")
    host = "quay.registry.example.org"
    cert, key = issue_certificate(sim.tls, [host])
    (workdir / "ssl.cert").write_bytes(cert)
    (workdir / "ssl.key").write_bytes(key)
    (workdir / "corp-ca.crt").write_bytes(sim.tls.ca_pem)
    endpoint = published["s3.endpoint"].removeprefix("http://")
    return {"host": host, "pg": (published["postgres.host"], published["postgres.port"]),
            "s3": endpoint.split(":"), "keys": {"storage access key": access, "storage secret key": secret},
            "tls_key": key.decode()}


def variant_parameters(name: str, ext: dict, workdir: Path) -> dict[str, dict]:
    tls = {"tls_cert_file": str(workdir / "ssl.cert"), "tls_key_file": str(workdir / "ssl.key")}
    if name == "own-namespace-external-infra-passthrough":
        ns = {"namespace": "quay-registry"}
        return {
            "install/01-preflight": {"objectstorage_managed": False, "infra_nodes": INFRA},
            "install/02-install-operator": {**ns, "all_namespaces": False},
            "install/03-configure": {
                **ns, **tls, "hostname": ext["host"], "storage": "radosgw",
                "storage_params": {"hostname": ext["s3"][0], "port": ext["s3"][1], "is_secure": False,
                                   "bucket_name": "quay-external"},
                "storage_access_key": "secret:simulator/simulator-dataplane/s3.access-key",
                "storage_secret_key": "secret:simulator/simulator-dataplane/s3.secret-key",
                "db_uri": f"postgresql://quayext@{ext['pg'][0]}:{ext['pg'][1]}/quayext",
                "db_password": "env:E2E_DB_PASSWORD"},
            "install/04-deploy": {**ns, "infra_nodes": INFRA},
            "install/05-first-user": {**ns, "password": "env:E2E_FIRST_PASSWORD"},
            "install/06-reconfigure": {**ns, "method": "config-editor", "add_to_lists": {"SUPER_USERS": ["opsadmin"]},
                                       "extra_ca_cert_file": str(workdir / "corp-ca.crt")},
        }
    return {
        "install/01-preflight": {},
        "install/02-install-operator": {"approval": "Manual", "approve_install_plan": True,
                                        "image_overrides": {"quay": GUIDE_DIGEST}},
        "install/03-configure": {**tls, "hostname": ext["host"], "route_managed": False, "unmanaged": ["clair"]},
        "install/04-deploy": {},
        "install/05-first-user": {"password": "env:E2E_FIRST_PASSWORD"},
        "install/06-reconfigure": {"set_values": {"FEATURE_PROXY_CACHE": True}},
    }


@pytest.mark.parametrize("variant", ["own-namespace-external-infra-passthrough", "manual-approval-route-unmanaged"])
def test_install_chain_runs_unchanged_on_a_second_simulator(variant, tmp_path, env):
    out = tmp_path / "out"
    with started(tmp_path, seed=11) as sim:
        env(KUBECONFIG=str(sim.kubeconfig_path), E2E_DB_PASSWORD=DB_PASSWORD, E2E_FIRST_PASSWORD=FIRST_PASSWORD)
        cluster = Cluster(sim.api_client())
        ext = external_services(sim, cluster, tmp_path)
        parameters = variant_parameters(variant, ext, tmp_path)
        for runbook in CHAIN:
            record = run_runbook(runbook, parameters=parameters[runbook], target="sim", out_dir=out, progress=False)
            assert record.exit_status == 0, record.summary()
        ns = parameters["install/04-deploy"].get("namespace", "quay-enterprise")
        registry = cluster.get("quay.redhat.com/v1", "QuayRegistry", "example-registry", namespace=ns)
        endpoint = registry["status"]["registryEndpoint"]
        assert endpoint == f"https://{ext['host']}"
        assert login_works(route_session(kubeconfig=sim.kubeconfig_path), endpoint, username="quayadmin",
                           password=FIRST_PASSWORD)
        routes = {r["metadata"]["name"]: r for r in
                  cluster.list("route.openshift.io/v1", "Route", namespace=ns)["items"]}
        assert routes["example-registry-quay"]["spec"]["tls"]["termination"] == "passthrough"
        if variant.startswith("own-namespace"):
            _assert_own_namespace_on_infra_with_externals(cluster, ns, ext)
        else:
            csv = cluster.list("operators.coreos.com/v1alpha1", "ClusterServiceVersion",
                               namespace="openshift-operators")["items"][0]
            env_vars = csv["spec"]["install"]["spec"]["deployments"][0]["spec"]["template"]["spec"]["containers"][0]["env"]
            assert {"name": "RELATED_IMAGE_COMPONENT_QUAY", "value": GUIDE_DIGEST} in env_vars
        editor = secret_value(cluster, ns, registry["status"]["configEditorCredentialsSecret"], "password")
    planted = {"first-user password": FIRST_PASSWORD, "config-editor password": editor, "TLS key": ext["tls_key"]}
    if variant.startswith("own-namespace"):
        planted |= {"DB password": DB_PASSWORD, **ext["keys"]}
    assert leaks(out, planted) == []


def _assert_own_namespace_on_infra_with_externals(cluster: Cluster, ns: str, ext: dict) -> None:
    csv = cluster.list("operators.coreos.com/v1alpha1", "ClusterServiceVersion", namespace=ns)["items"][0]
    assert csv["metadata"]["annotations"]["olm.targetNamespaces"] == ns
    registry = cluster.get("quay.redhat.com/v1", "QuayRegistry", "example-registry", namespace=ns)
    managed = {c["kind"]: c["managed"] for c in registry["spec"]["components"]}
    assert managed | {"objectstorage": False, "postgres": False, "tls": False, "monitoring": False} == managed
    for node in INFRA:
        assert INFRA_ROLE in cluster.get("v1", "Node", node)["metadata"]["labels"]
    pods = [p for p in cluster.list("v1", "Pod", namespace=ns)["items"]
            if p["metadata"]["name"].startswith("example-registry-") and p["status"].get("phase") == "Running"]
    assert pods and {p["spec"]["nodeName"] for p in pods} <= set(INFRA)
    with psycopg.connect(host=ext["pg"][0], port=int(ext["pg"][1]), dbname="quayext", user="quayext",
                         password=DB_PASSWORD) as conn:
        assert conn.execute("SELECT username FROM \"user\" WHERE username = 'quayadmin'").fetchone() == ("quayadmin",)
    bundle = cluster.get("v1", "Secret", registry["spec"]["configBundleSecret"], namespace=ns)["data"]
    assert "extra_ca_cert_corp-ca.crt" in bundle and base64.b64decode(bundle["config.yaml"]).count(b"opsadmin") == 1
