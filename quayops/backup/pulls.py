"""Pull every image of a backup from the restored registry through its API (OCI distribution: token, manifest by
digest, each blob), each checked against its digest: the proof that a restored registry serves what was taken."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
                  "application/vnd.docker.distribution.manifest.v2+json, "
                  "application/vnd.docker.distribution.manifest.list.v2+json")
DENIED = "denied"  # the credentials may not pull this repository
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class PullReport:
    """Which images pulled with their digests; `failures` says why others did not; `denied` lists the repositories
    the credentials may not pull (not checked, not failed)."""

    manifests: int = 0
    blobs: int = 0
    bytes: int = 0
    failures: list[str] = field(default_factory=list)
    denied: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.failures


class RegistryClient:
    """The OCI distribution API of one registry endpoint, with Quay's token flow (basic credentials optional)."""

    def __init__(self, session: requests.Session, endpoint: str, *, credentials: tuple[str, str] | None = None,
                 timeout: float = 60) -> None:
        self.session, self.endpoint, self.credentials, self.timeout = session, endpoint.rstrip("/"), credentials, timeout
        self._tokens: dict[str, str] = {}

    def _token(self, repository: str, challenge: str) -> str:
        if repository not in self._tokens:
            params = dict(_CHALLENGE.findall(challenge))
            response = self.session.get(params["realm"], params={"service": params.get("service", ""),
                                                                 "scope": f"repository:{repository}:pull"},
                                        auth=self.credentials, timeout=self.timeout)
            response.raise_for_status()
            self._tokens[repository] = response.json().get("token") or response.json().get("access_token", "")
        return self._tokens[repository]

    def get(self, repository: str, path: str, *, headers: Mapping[str, str] | None = None) -> requests.Response:
        """GET /v2/<repository>/<path>, answering the Bearer challenge once; streamed."""
        url = f"{self.endpoint}/v2/{repository}/{path}"
        sent = dict(headers or {})
        if repository in self._tokens:
            sent["Authorization"] = f"Bearer {self._tokens[repository]}"
        response = self.session.get(url, headers=sent, stream=True, timeout=self.timeout)
        challenge = response.headers.get("WWW-Authenticate", "")
        if response.status_code == 401 and challenge.lower().startswith("bearer") and "Authorization" not in sent:
            response.close()
            sent["Authorization"] = f"Bearer {self._token(repository, challenge)}"
            response = self.session.get(url, headers=sent, stream=True, timeout=self.timeout)
        return response


def _digest_of(response: requests.Response) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    for chunk in response.iter_content(1024 * 1024):
        sha.update(chunk)
        size += len(chunk)
    return size, "sha256:" + sha.hexdigest()


def verify_pulls(client: RegistryClient, images: Sequence[Mapping[str, Any]], *, workers: int = 8) -> PullReport:
    """Pull each image (`{"repository", "digest"}`): its manifest by digest, then every blob it names, each hashed
    and compared with its digest (a blob shared by several images is fetched once per repository)."""
    report = PullReport()

    def pull_manifest(image: Mapping[str, Any]) -> tuple[str, list[str], str | None]:
        repo, digest = image["repository"], image["digest"]
        response = client.get(repo, f"manifests/{digest}", headers={"Accept": MANIFEST_TYPES})
        if response.status_code in (401, 403):
            return repo, [], DENIED
        if response.status_code != 200:
            return repo, [], f"{repo}@{digest}: manifest answered {response.status_code}"
        body = response.content
        if "sha256:" + hashlib.sha256(body).hexdigest() != digest:
            return repo, [], f"{repo}@{digest}: the manifest served does not match its digest"
        return repo, list(_referenced_blobs(response.json())), None

    def pull_blob(item: tuple[str, str]) -> tuple[int, str | None]:
        repo, digest = item
        with client.get(repo, f"blobs/{digest}") as response:
            if response.status_code != 200:
                return 0, f"{repo} blob {digest}: answered {response.status_code}"
            size, actual = _digest_of(response)
        return size, None if actual == digest else f"{repo} blob {digest}: content has digest {actual}"

    with ThreadPoolExecutor(workers) as pool:
        blobs: set[tuple[str, str]] = set()
        for repo, referenced, failure in pool.map(pull_manifest, images):
            if failure is DENIED:
                report.denied.add(repo)
            elif failure:
                report.failures.append(failure)
                continue
            report.manifests += 1
            blobs |= {(repo, d) for d in referenced}
        for size, failure in pool.map(pull_blob, sorted(blobs)):
            if failure:
                report.failures.append(failure)
            else:
                report.blobs += 1
                report.bytes += size
    return report


def _referenced_blobs(manifest: Mapping[str, Any]) -> Iterable[str]:
    """Config and layer digests of an image manifest (an index names manifests, pulled as images of their own)."""
    if "config" in manifest:
        yield manifest["config"]["digest"]
    for layer in manifest.get("layers") or []:
        if not layer.get("urls"):
            yield layer["digest"]
