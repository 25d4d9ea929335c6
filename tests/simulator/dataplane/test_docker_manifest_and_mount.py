"""Docker v2 schema 2 manifests by tag and digest (GET/HEAD), and cross-repository blob mounts."""

from __future__ import annotations

import hashlib
import json

import requests

DOCKER = "application/vnd.docker.distribution.manifest.v2+json"


def _token(r, *scopes: str) -> dict[str, str]:
    response = requests.get(f"{r.app.url}/v2/auth", params={"scope": list(scopes)},
                            auth=(r.admin, r.admin_password), timeout=10)
    return {"Authorization": "Bearer " + response.json()["token"]}


def _push_blob(r, repository: str, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    response = requests.post(f"{r.app.url}/v2/{repository}/blobs/uploads/", params={"digest": digest}, data=data,
                             headers=_token(r, f"repository:{repository}:pull,push"), timeout=10)
    assert response.status_code == 201, response.text
    return digest


def test_docker_manifest_by_tag_and_digest(admin_registry):
    r = admin_registry
    config, layer = b'{"architecture":"amd64","os":"linux"}', b"layer-bytes" * 100
    manifest = {"schemaVersion": 2, "mediaType": DOCKER,
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                           "size": len(config), "digest": _push_blob(r, "acme/app", config)},
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                            "size": len(layer), "digest": _push_blob(r, "acme/app", layer)}]}
    raw = json.dumps(manifest, indent=3).encode()  # odd formatting: the digest is of these exact bytes
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    headers = _token(r, "repository:acme/app:pull,push")
    pushed = requests.put(f"{r.app.url}/v2/acme/app/manifests/1.0", data=raw,
                          headers={**headers, "Content-Type": DOCKER}, timeout=10)
    assert pushed.status_code == 201 and pushed.headers["Docker-Content-Digest"] == digest
    for reference in ("1.0", digest):
        head = requests.head(f"{r.app.url}/v2/acme/app/manifests/{reference}", headers=headers, timeout=10)
        assert (head.status_code, head.headers["Docker-Content-Digest"], head.headers["Content-Type"]) == (
            200, digest, DOCKER)
        got = requests.get(f"{r.app.url}/v2/acme/app/manifests/{reference}", headers=headers, timeout=10)
        assert got.content == raw
    wrong = requests.put(f"{r.app.url}/v2/acme/app/manifests/sha256:{'1' * 64}", data=raw,
                         headers={**headers, "Content-Type": DOCKER}, timeout=10)
    assert wrong.json()["errors"][0]["code"] == "DIGEST_INVALID"
    assert requests.get(f"{r.app.url}/v2/acme/app/manifests/2.0", headers=headers,
                        timeout=10).json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"


def test_blob_mounted_from_another_repository_is_not_uploaded_again(admin_registry):
    r = admin_registry
    digest = _push_blob(r, "acme/app", b"shared layer")
    headers = _token(r, "repository:acme/other:pull,push", "repository:acme/app:pull")
    mounted = requests.post(f"{r.app.url}/v2/acme/other/blobs/uploads/", params={"mount": digest, "from": "acme/app"},
                            headers=headers, timeout=10)
    assert mounted.status_code == 201 and mounted.headers["Docker-Content-Digest"] == digest
    fetched = requests.get(f"{r.app.url}/v2/acme/other/blobs/{digest}", headers=headers, timeout=10)
    assert fetched.content == b"shared layer"
    assert r.rows("SELECT count(*) FROM imagestorage") == [(1,)]
    assert len([k for k in r.object_keys() if k.endswith(digest.removeprefix("sha256:"))]) == 1
