"""Issue 6's end-to-end without exec: the guide's minimal registry deployed through the operator; the first user,
an organization and a repository through the route; two images pushed and pulled with oras; the blobs found in
SeaweedFS under Quay's paths (through the `s3` route) and the rows in PostgreSQL; quay_repository_rows from the
metrics endpoint through Prometheus; and pushes refused once quay is scaled to 0."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from quayops.kube.resolve import attach_session
from quayops.monitoring.client import connect
from simulator.dataplane.objectstore import s3_client


def _sha(path: Path | str) -> str:
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_registry_holds_real_data_reached_through_routes(deploy, wait_until, tmp_path, monkeypatch):
    r = deploy()
    assert r.initialize()["username"] == "quayadmin"
    second = r.api("POST", "/api/v1/user/initialize", json={
        "username": "other", "password": "otherpass123", "email": "o@example.com", "access_token": True})
    assert (second.status_code, second.json()["message"]) == (400, "Cannot initialize user in a non-empty database")
    assert r.api("POST", "/api/v1/organization/", json={"name": "acme", "email": "acme@example.com"}
                 ).status_code == 201
    assert r.api("POST", "/api/v1/repository", json={
        "namespace": "acme", "repository": "app", "visibility": "private", "description": "d"}).status_code == 201

    monkeypatch.chdir(tmp_path)  # oras pushes files under the working directory only
    Path("layer-a.bin").write_bytes(os.urandom(600_000))
    Path("layer-b.bin").write_bytes(os.urandom(2 * 1024 * 1024 + 5))
    pusher = r.oras(push_to="acme/app")
    pushed = {"v1": pusher.push(target=f"{r.host}/acme/app:v1", files=["layer-a.bin"]),
              "v2": pusher.push(target=f"{r.host}/acme/app:v2", files=["layer-b.bin"], do_chunked=True,
                                chunk_size=1024 * 1024)}
    assert {tag: p.status_code for tag, p in pushed.items()} == {"v1": 201, "v2": 201}
    puller, blobs = r.oras(), set()
    for tag, layer in (("v1", "layer-a.bin"), ("v2", "layer-b.bin")):
        files = puller.pull(target=f"{r.host}/acme/app:{tag}", outdir=str(tmp_path / f"pulled-{tag}"))
        assert [Path(f).name for f in files] == [layer] and _sha(files[0]) == _sha(layer)
        manifest = puller.get_manifest(f"{r.host}/acme/app:{tag}")
        blobs |= {manifest["config"]["digest"], *(x["digest"] for x in manifest["layers"])}

    # the bucket the claim got, read through NooBaa's `s3` route with the claim's own keys
    claim = f"{r.name}-quay-datastore"
    keys = r.secret(claim)
    bucket = r.cluster.get("v1", "ConfigMap", claim, namespace=r.namespace)["data"]["BUCKET_NAME"]
    route = r.cluster.get("route.openshift.io/v1", "Route", "s3", namespace="openshift-storage")
    s3 = attach_session(s3_client(f"https://{route['spec']['host']}", keys["AWS_ACCESS_KEY_ID"],
                                  keys["AWS_SECRET_ACCESS_KEY"]), r.session)
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert {f"datastorage/registry/sha256/{d[7:9]}/{d[7:]}" for d in blobs} <= stored

    # the managed database: the database pod's own server (where its Service leads), with DB_URI's credentials
    server = r.sim.data_plane.directory.lookup(r.namespace, f"{r.name}-quay-database", 5432)
    uri = urlsplit(r.secret(f"{r.name}-quay-registry-managed-secret-keys")["DB_URI"])
    with psycopg.connect(host=server.host, port=server.port, dbname=uri.path.lstrip("/"), user=uri.username,
                         password=uri.password) as conn:
        tags = conn.execute("SELECT t.name, m.digest FROM tag t JOIN manifest m ON m.id = t.manifest_id "
                            "WHERE t.lifetime_end_ms IS NULL ORDER BY t.name").fetchall()
        assert tags == [(tag, p.headers["Docker-Content-Digest"]) for tag, p in sorted(pushed.items())]
        assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").fetchone() == (1,)

    # the quay-app pods' metrics, scraped by Prometheus through the operator's ServiceMonitor
    prometheus = connect(cluster=r.cluster, resolve=r.sim.data_plane.resolve)
    rows = wait_until(lambda: prometheus.query(f'quay_repository_rows{{namespace="{r.namespace}"}}'), timeout=60,
                      what="quay_repository_rows in Prometheus")
    assert float(rows[0]["value"][1]) == 1.0

    # the guide's backup scale-down (11): the operator first, then quay-app; no pod, no app, no write
    for ns, pattern in (("openshift-operators", "quay-operator"), (r.namespace, "quay-app")):
        for d in r.cluster.list("apps/v1", "Deployment", namespace=ns)["items"]:
            if d["metadata"]["name"].startswith(pattern) or d["metadata"]["name"].endswith(pattern):
                r.cluster.patch("apps/v1", "Deployment", d["metadata"]["name"], {"spec": {"replicas": 0}},
                                namespace=ns)
    wait_until(lambda: r.session.get(f"{r.endpoint}/v2/", timeout=10).status_code == 503, timeout=60,
               what="the route to stop answering")
    refused = r.session.post(f"{r.endpoint}/v2/acme/app/blobs/uploads/", params={"digest": _sha("layer-a.bin")},
                             data=b"late", timeout=10)
    assert refused.status_code == 503
    assert {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])} == stored
