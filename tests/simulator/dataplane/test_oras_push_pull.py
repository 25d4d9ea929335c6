"""Two images pushed with oras (a client nobody here wrote), pulled back with matching digests, found in
SeaweedFS under Quay's blob paths and in PostgreSQL's tables, counted by the metrics endpoint."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families


def _sha(path: Path | str) -> str:
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _quay_path(digest: str) -> str:
    hexdigest = digest.removeprefix("sha256:")
    return f"datastorage/registry/sha256/{hexdigest[:2]}/{hexdigest}"


def test_push_two_images_then_pull_them_back(admin_registry, tmp_path, monkeypatch):
    r = admin_registry
    monkeypatch.chdir(tmp_path)  # oras only pushes files under the working directory
    Path("layer-a.bin").write_bytes(os.urandom(700_000))
    Path("layer-b.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    pushed = {}
    client = r.oras(push_to="acme/app")
    pushed["v1"] = client.push(target=f"{r.host}/acme/app:v1", files=["layer-a.bin"])
    # the second image goes through chunked upload (POST, PATCH…, PUT ?digest=)
    pushed["v2"] = client.push(target=f"{r.host}/acme/app:v2", files=["layer-b.bin"], do_chunked=True,
                               chunk_size=1024 * 1024)
    assert {tag: response.status_code for tag, response in pushed.items()} == {"v1": 201, "v2": 201}

    puller = r.oras()
    assert sorted(puller.get_tags(f"{r.host}/acme/app")) == ["v1", "v2"]
    blobs = set()
    for tag, layer in (("v1", "layer-a.bin"), ("v2", "layer-b.bin")):
        files = puller.pull(target=f"{r.host}/acme/app:{tag}", outdir=str(tmp_path / f"pulled-{tag}"))
        assert [Path(f).name for f in files] == [layer] and _sha(files[0]) == _sha(layer)
        manifest = puller.get_manifest(f"{r.host}/acme/app:{tag}")
        blobs |= {manifest["config"]["digest"], *(x["digest"] for x in manifest["layers"])}
        # the manifest digest is the sha256 of the exact bytes pushed, by tag and by digest
        digest = pushed[tag].headers["Docker-Content-Digest"]
        raw = puller.do_request(f"{r.app.url}/v2/acme/app/manifests/{digest}", "GET",
                                headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        assert "sha256:" + hashlib.sha256(raw.content).hexdigest() == digest
        assert json.loads(raw.content) == manifest

    keys = r.object_keys()
    assert all(_quay_path(d) in keys for d in blobs), keys
    assert not [k for k in keys if "/uploads/" in k], "chunks of finished uploads are removed"
    stored = dict(r.rows("SELECT content_checksum, image_size FROM imagestorage WHERE NOT uploading"))
    assert blobs <= set(stored) and stored[_sha("layer-b.bin")] == Path("layer-b.bin").stat().st_size
    assert r.rows("SELECT t.name, m.digest FROM tag t JOIN manifest m ON m.id = t.manifest_id "
                  "WHERE t.lifetime_end_ms IS NULL ORDER BY t.name") == [
        ("v1", pushed["v1"].headers["Docker-Content-Digest"]), ("v2", pushed["v2"].headers["Docker-Content-Digest"])]
    assert r.rows("SELECT count(*) FROM manifestblob") == [(4,)]
    assert r.rows("SELECT count(*) FROM blobupload") == [(0,)]

    families = {f.name: f for f in text_string_to_metric_families(requests.get(r.app.metrics_url, timeout=10).text)}
    assert [s.value for s in families["quay_repository_rows"].samples] == [1.0]
    assert [(s.labels["media_type"], s.labels["protocol"], s.labels["status"], s.value)
            for s in families["quay_registry_image_pushes"].samples if s.name.endswith("_total")] == [
        ("application/vnd.oci.image.manifest.v1+json", "v2", "201", 2.0)]


def test_push_to_a_missing_repository_creates_it_in_the_pushers_namespace(admin_registry, tmp_path, monkeypatch):
    r = admin_registry
    monkeypatch.chdir(tmp_path)
    Path("f.txt").write_text("hello")
    response = r.oras(push_to=f"{r.admin}/fresh").push(target=f"{r.host}/{r.admin}/fresh:latest", files=["f.txt"])
    assert response.status_code == 201
    repos = r.api("GET", "/api/v1/repository", params={"namespace": r.admin}).json()["repositories"]
    assert [(x["name"], x["is_public"]) for x in repos] == [("fresh", False)]


def test_robot_pushes_with_its_token_once_granted_write(admin_registry, tmp_path, monkeypatch):
    r = admin_registry
    monkeypatch.chdir(tmp_path)
    Path("f.txt").write_text("robot")
    token = r.api("PUT", "/api/v1/organization/acme/robots/ci").json()["token"]
    auth = requests.get(f"{r.app.url}/v2/auth", params={"scope": "repository:acme/app:pull,push"},
                        auth=("acme+ci", token), timeout=10)
    assert auth.status_code == 200  # authenticated, but granted nothing yet
    assert r.api("PUT", "/api/v1/repository/acme/app/permissions/user/acme+ci", json={"role": "write"}
                 ).status_code == 200
    response = r.oras(username="acme+ci", password=token, push_to="acme/app").push(
        target=f"{r.host}/acme/app:robot", files=["f.txt"])
    assert response.status_code == 201


def test_wrong_credentials_get_no_token(admin_registry):
    r = admin_registry
    response = requests.get(f"{r.app.url}/v2/auth", params={"scope": "repository:acme/app:pull"},
                            auth=(r.admin, "wrong-password"), timeout=10)
    assert response.status_code == 401
    ok = requests.get(f"{r.app.url}/v2/auth", params={"scope": "repository:acme/app:pull"},
                      auth=("$oauthtoken", r.token), timeout=10)
    assert ok.status_code == 200 and ok.json()["token"].count(".") == 2
