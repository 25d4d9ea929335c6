"""Bad input stores nothing, URLs follow the request's Host and scheme, a stopped app refuses pushes."""

from __future__ import annotations

import hashlib
import os
from types import SimpleNamespace

import oras.decorator
import pytest
import requests


def _token(r, repository: str, actions: str = "pull,push") -> dict[str, str]:
    response = requests.get(f"{r.app.url}/v2/auth", params={"scope": f"repository:{repository}:{actions}"},
                            auth=(r.admin, r.admin_password), timeout=10)
    return {"Authorization": "Bearer " + response.json()["token"]}


def test_v2_challenge_and_locations_follow_host_and_scheme(admin_registry):
    r = admin_registry
    routed = {"Host": "registry-quay-quay-enterprise.apps.example.com", "X-Forwarded-Proto": "https"}
    challenge = requests.get(f"{r.app.url}/v2/", headers=routed, timeout=10)
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"] == (
        'Bearer realm="https://registry-quay-quay-enterprise.apps.example.com/v2/auth",'
        'service="registry-quay-quay-enterprise.apps.example.com"')
    forwarded = requests.get(f"{r.app.url}/v2/", headers={"Host": "localhost:8443"}, timeout=10)
    assert forwarded.headers["WWW-Authenticate"].startswith('Bearer realm="http://localhost:8443/v2/auth"')
    headers = {**_token(r, "acme/app"), **routed}
    started = requests.post(f"{r.app.url}/v2/acme/app/blobs/uploads/", headers=headers, timeout=10)
    assert started.status_code == 202
    assert started.headers["Location"].startswith(
        "https://registry-quay-quay-enterprise.apps.example.com/v2/acme/app/blobs/uploads/")


def test_monolithic_push_with_wrong_digest_stores_nothing(admin_registry):
    r = admin_registry
    data = os.urandom(4096)
    wrong = "sha256:" + hashlib.sha256(b"something else").hexdigest()
    response = requests.post(f"{r.app.url}/v2/acme/app/blobs/uploads/", params={"digest": wrong}, data=data,
                             headers=_token(r, "acme/app"), timeout=10)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "DIGEST_INVALID"
    assert r.object_keys() == []
    assert r.rows("SELECT count(*) FROM imagestorage") == [(0,)]
    right = "sha256:" + hashlib.sha256(data).hexdigest()
    stored = requests.post(f"{r.app.url}/v2/acme/app/blobs/uploads/", params={"digest": right}, data=data,
                           headers=_token(r, "acme/app"), timeout=10)
    assert stored.status_code == 201 and stored.headers["Docker-Content-Digest"] == right
    fetched = requests.get(f"{r.app.url}/v2/acme/app/blobs/{right}", headers=_token(r, "acme/app", "pull"),
                           timeout=10)
    assert fetched.content == data


def test_chunked_push_with_wrong_digest_stores_nothing(admin_registry):
    r = admin_registry
    headers = _token(r, "acme/app")
    location = requests.post(f"{r.app.url}/v2/acme/app/blobs/uploads/", headers=headers,
                             timeout=10).headers["Location"]
    for start, chunk in ((0, b"a" * 1000), (1000, b"b" * 1000)):
        patched = requests.patch(location, data=chunk, headers={
            **headers, "Content-Range": f"{start}-{start + len(chunk) - 1}"}, timeout=10)
        assert patched.status_code == 202
        location = patched.headers["Location"]
    out_of_order = requests.patch(location, data=b"c", headers={**headers, "Content-Range": "5-5"}, timeout=10)
    assert out_of_order.status_code == 416
    wrong = "sha256:" + hashlib.sha256(b"not the content").hexdigest()
    finished = requests.put(location, params={"digest": wrong}, headers=headers, timeout=10)
    assert finished.status_code == 400 and finished.json()["errors"][0]["code"] == "DIGEST_INVALID"
    assert r.object_keys() == []
    assert r.rows("SELECT (SELECT count(*) FROM imagestorage), (SELECT count(*) FROM blobupload)") == [(0, 0)]


def test_manifest_with_unknown_blob_is_rejected(admin_registry):
    r = admin_registry
    missing = "sha256:" + "0" * 64
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": missing, "size": 2},
                "layers": []}
    response = requests.put(f"{r.app.url}/v2/acme/app/manifests/v1", json=manifest, headers={
        **_token(r, "acme/app"), "Content-Type": "application/vnd.oci.image.manifest.v1+json"}, timeout=10)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
    assert r.rows("SELECT count(*) FROM manifest") == [(0,)]


def test_stopped_app_refuses_pushes(admin_registry, tmp_path, monkeypatch):
    r = admin_registry
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(oras.decorator, "time", SimpleNamespace(sleep=lambda seconds: None))  # oras retries 5x
    (tmp_path / "f.txt").write_text("before scale-down")
    client = r.oras(push_to="acme/app")
    assert client.push(target=f"{r.host}/acme/app:before", files=["f.txt"]).status_code == 201
    r.app.stop()
    with pytest.raises(requests.ConnectionError):
        client.push(target=f"{r.host}/acme/app:after", files=["f.txt"])
    r.app.start()  # scaled back up: same address, same data
    assert requests.get(f"{r.app.url}/health/instance", timeout=10).status_code == 200
    assert r.rows("SELECT name FROM tag WHERE lifetime_end_ms IS NULL") == [("before",)]
