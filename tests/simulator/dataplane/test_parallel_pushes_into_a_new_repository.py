"""Images pushed in parallel into a repository that does not exist yet all land: the repository, the shared
blobs, the manifests and the tags are created once, with no 500 on a duplicate key (real Quay answers 201)."""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import requests

DOCKER = "application/vnd.docker.distribution.manifest.v2+json"
IMAGES = 8


def _push_image(r, repository: str, token: str, start: threading.Barrier, i: int) -> list[int]:
    """Shared base layer, own config; tag v<i>, then `latest` and `same` as every other pusher does."""
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{r.app.url}/v2/{repository}"
    statuses = []
    blobs = [b'{"architecture":"amd64","os":"linux","image":%d}' % i, b"shared base layer" * 64]
    start.wait(10)
    descriptors = []
    for data in blobs:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        statuses.append(requests.post(f"{url}/blobs/uploads/", params={"digest": digest}, data=data,
                                      headers=headers, timeout=30).status_code)
        descriptors.append({"size": len(data), "digest": digest})
    manifest = json.dumps({"schemaVersion": 2, "mediaType": DOCKER,
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", **descriptors[0]},
                           "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                       **descriptors[1]}]}).encode()
    same = json.dumps({"schemaVersion": 2, "mediaType": DOCKER,
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", **descriptors[1]},
                       "layers": []}).encode()
    for tag, raw in ((f"v{i}", manifest), ("latest", manifest), ("same", same)):
        statuses.append(requests.put(f"{url}/manifests/{tag}", data=raw, timeout=30,
                                     headers={**headers, "Content-Type": DOCKER}).status_code)
    return statuses


def test_parallel_pushes_create_the_repository_blobs_manifests_and_tags_once(admin_registry):
    r = admin_registry
    for attempt in range(3):  # each round a new repository: the race is on its creation
        repository = f"{r.admin}/parallel{attempt}"
        token = requests.get(f"{r.app.url}/v2/auth", params={"scope": f"repository:{repository}:pull,push"},
                             auth=(r.admin, r.admin_password), timeout=10).json()["token"]
        start = threading.Barrier(IMAGES)
        with ThreadPoolExecutor(IMAGES) as pool:
            results = list(pool.map(partial(_push_image, r, repository, token, start), range(IMAGES)))
        assert results == [[201] * 5] * IMAGES
        tags = requests.get(f"{r.app.url}/v2/{repository}/tags/list", timeout=10,
                            headers={"Authorization": f"Bearer {token}"}).json()["tags"]
        assert tags == sorted(["latest", "same", *(f"v{i}" for i in range(IMAGES))])
        name = repository.split("/")[1]
        assert r.rows("SELECT count(*) FROM repository WHERE name = %s", name) == [(1,)]
        assert r.rows("SELECT t.name, count(*) FROM tag t JOIN repository p ON p.id = t.repository_id "
                      "WHERE p.name = %s AND t.lifetime_end_ms IS NULL GROUP BY t.name "
                      "HAVING count(*) > 1", name) == []
        assert r.rows("SELECT count(*) FROM manifest m JOIN repository p ON p.id = m.repository_id "
                      "WHERE p.name = %s", name) == [(IMAGES + 1,)]
