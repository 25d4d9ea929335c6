"""Smoke load for a Quay registry through its public interfaces only: logins, API calls, image pushes and pulls.

The Quay API (`/api/v1`, an OAuth token) and the OCI distribution API (`/v2`, the registry's token flow) on the
registry endpoint, bounded in count and time; on a real cluster as on the simulator, so the dashboard has shape.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import requests

from quayops.errors import PreconditionFailed

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("push", "pull", "api", "login")
RESULT_COLUMNS = ["at", "operation", "target", "status", "seconds", "ok", "skipped"]
SETUP_COLUMNS = ["object", "action"]
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG = "application/vnd.docker.container.image.v1+json"
LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
TAG_PREFIX = "load-"


@dataclass(frozen=True)
class TrafficPlan:
    """How much to send, to which `org/repo` repositories, spread over `duration` seconds (ramping up, then down)."""

    repositories: tuple[str, ...]
    pushes: int = 4
    pulls: int = 8
    api_calls: int = 12
    logins: int = 4
    duration: float = 20.0
    layer_bytes: int = 2048
    seed: int = 0


@dataclass(frozen=True)
class Operation:
    at: float  # seconds after the start
    kind: str  # one of KINDS
    repository: str


def plan_traffic(plan: TrafficPlan) -> list[Operation]:
    """The operations in start order; pure and seeded. The first is a push, so that pulls have an image.

    Start times follow a triangular distribution peaking at a third of the duration: rates rise, then fall.
    """
    if not plan.repositories:
        raise PreconditionFailed("traffic plan has no repository to push to or pull from", field="repositories",
                                 hint="Name at least one org/repo; nothing was sent.")
    bad = [r for r in plan.repositories if r.count("/") != 1 or not all(r.split("/"))]
    if bad:
        raise PreconditionFailed(f"traffic plan repositories {bad} are not org/repo names", field="repositories",
                                 hint="Write each as namespace/repository; nothing was sent.")
    if min(plan.pushes, plan.pulls, plan.api_calls, plan.logins) < 0 or plan.duration <= 0:
        raise PreconditionFailed("traffic plan counts must be >= 0 and its duration > 0", field="plan",
                                 hint="Fix the counts or the duration; nothing was sent.")
    rng = random.Random(plan.seed)
    counts = dict(zip(KINDS, (plan.pushes, plan.pulls, plan.api_calls, plan.logins), strict=True))
    ops = [Operation(round(rng.triangular(0, plan.duration, plan.duration / 3), 3), kind,
                     rng.choice(plan.repositories))
           for kind, count in counts.items() for _ in range(count)]
    ops.sort(key=lambda o: (o.at, KINDS.index(o.kind)))
    first_push = next((i for i, o in enumerate(ops) if o.kind == "push"), None)
    if first_push is not None:
        ops.insert(0, Operation(0.0, "push", ops.pop(first_push).repository))
    return ops


def _layer(rng: random.Random, size: int, name: str) -> tuple[bytes, str]:
    """A gzip'd tar holding one file of `size` random bytes, and the digest of the tar (its diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(f"load/{name}.bin")
        info.size, info.mtime = size, 0
        tar.addfile(info, io.BytesIO(rng.randbytes(size)))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class RegistryTraffic:
    """One user's view of a registry endpoint: the registry token flow with `username`/`password`, the API with
    the OAuth `token`. `session` carries the route map and CA (`quayops.kube.resolve.route_session`)."""

    def __init__(self, session: requests.Session, endpoint: str, *, username: str, password: str,
                 token: str | None = None, timeout: float = 30.0) -> None:
        self.session, self.endpoint, self.timeout = session, endpoint.rstrip("/"), timeout
        self.username, self._password, self._token = username, password, token
        self.service = urlsplit(self.endpoint).netloc

    def __repr__(self) -> str:
        return f"RegistryTraffic({self.endpoint!r}, username={self.username!r})"

    # ---- the Quay API ----------------------------------------------------------------------------
    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        if not self._token:
            raise PreconditionFailed("the Quay API needs an OAuth token", field="token",
                                     hint="Pass the first user's access token (or an application token).")
        headers = {"Authorization": f"Bearer {self._token}"}
        return self.session.request(method, self.endpoint + path, headers=headers, timeout=self.timeout, **kwargs)

    def api_call(self, repository: str, index: int) -> int:
        """One of the reads a UI session makes, in rotation; returns the HTTP status."""
        org, repo = repository.split("/")
        paths = ("/api/v1/user/", f"/api/v1/repository?namespace={org}", f"/api/v1/repository/{org}/{repo}",
                 "/api/v1/user/" if org == self.username else f"/api/v1/organization/{org}")
        return self.api("GET", paths[index % len(paths)]).status_code

    def apply_organization(self, name: str) -> str:
        """Create organization `name` unless it exists; returns the action taken."""
        if self.api("GET", f"/api/v1/organization/{name}").status_code == 200:
            return "exists"
        response = self.api("POST", "/api/v1/organization/", json={"name": name})
        if response.status_code != 201:
            raise PreconditionFailed(f"creating organization {name} at {self.endpoint} failed: HTTP "
                                     f"{response.status_code} {response.text[:200]}", field="repositories")
        return "created"

    def apply_repository(self, repository: str) -> str:
        """Create private repository `org/repo` unless it exists; returns the action taken."""
        org, repo = repository.split("/")
        if self.api("GET", f"/api/v1/repository/{org}/{repo}").status_code == 200:
            return "exists"
        response = self.api("POST", "/api/v1/repository", json={
            "namespace": org, "repository": repo, "visibility": "private", "description": "quayops smoke load"})
        if response.status_code != 201:
            raise PreconditionFailed(f"creating repository {repository} at {self.endpoint} failed: HTTP "
                                     f"{response.status_code} {response.text[:200]}", field="repositories")
        return "created"

    # ---- the registry ----------------------------------------------------------------------------
    def registry_token(self, scope: str | None = None) -> tuple[int, str | None]:
        """(status, token) from `/v2/auth` with basic credentials, as `podman login` and pulls do."""
        params = {"service": self.service, "account": self.username}
        if scope:
            params["scope"] = scope
        response = self.session.get(f"{self.endpoint}/v2/auth", params=params, auth=(self.username, self._password),
                                    timeout=self.timeout)
        token = response.json().get("token") if response.status_code == 200 else None
        return response.status_code, token

    def login(self) -> int:
        """`podman login`: the /v2/ challenge, then credentials for a token; returns the token request's status."""
        self.session.get(f"{self.endpoint}/v2/", timeout=self.timeout)
        return self.registry_token()[0]

    def _v2(self, method: str, path: str, token: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        url = path if path.startswith("http") else f"{self.endpoint}{path}"
        return self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)

    def _upload(self, repository: str, token: str, data: bytes) -> int:
        started = self._v2("POST", f"/v2/{repository}/blobs/uploads/", token)
        if started.status_code != 202:
            return started.status_code
        location = urljoin(self.endpoint + "/", started.headers["Location"])
        return self._v2("PUT", location, token, params={"digest": _digest(data)}, data=data,
                        headers={"Content-Type": "application/octet-stream"}).status_code

    def push(self, repository: str, tag: str, *, rng: random.Random, layer_bytes: int = 2048) -> int:
        """Push a one-layer image as `repository:tag`; returns the manifest PUT's status (201 when pushed)."""
        status, token = self.registry_token(f"repository:{repository}:push,pull")
        if token is None:
            return status
        layer, diff_id = _layer(rng, layer_bytes, tag)
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                             "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                             "history": [{"created_by": "quayops smoke load"}]}, sort_keys=True).encode()
        for blob in (layer, config):
            status = self._upload(repository, token, blob)
            if status != 201:
                return status
        manifest = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST,
                               "config": {"mediaType": CONFIG, "size": len(config), "digest": _digest(config)},
                               "layers": [{"mediaType": LAYER, "size": len(layer), "digest": _digest(layer)}]}).encode()
        return self._v2("PUT", f"/v2/{repository}/manifests/{tag}", token, data=manifest,
                        headers={"Content-Type": MANIFEST}).status_code

    def pull(self, repository: str, tag: str) -> int:
        """Pull `repository:tag` (manifest, then config and layers); returns the first failing status, else 200."""
        status, token = self.registry_token(f"repository:{repository}:pull")
        if token is None:
            return status
        response = self._v2("GET", f"/v2/{repository}/manifests/{tag}", token, headers={"Accept": MANIFEST})
        if response.status_code != 200:
            return response.status_code
        manifest = response.json()
        for blob in [manifest["config"], *manifest.get("layers", [])]:
            got = self._v2("GET", f"/v2/{repository}/blobs/{blob['digest']}", token)
            if got.status_code != 200:
                return got.status_code
        return 200


def apply_repositories(traffic: RegistryTraffic, repositories: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Create the organizations and repositories the plan needs (idempotent); one row per object."""
    import pandas as pd

    rows = []
    for org in dict.fromkeys(r.split("/")[0] for r in repositories):
        action = "the user's own namespace" if org == traffic.username else traffic.apply_organization(org)
        rows.append({"object": f"organization {org}", "action": action})
    for repository in repositories:
        rows.append({"object": f"repository {repository}", "action": traffic.apply_repository(repository)})
    return pd.DataFrame(rows, columns=SETUP_COLUMNS)


def send_traffic(traffic: RegistryTraffic, plan: TrafficPlan, *, timeout: float | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 report: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Send the planned operations at their times; one row each (at, operation, target, status, seconds, ok, …).

    Operations not started within `timeout` seconds (default: the duration plus a minute) are skipped and say
    so; a failure is recorded and the run goes on. Pulls take the repository's newest pushed tag.
    """
    import pandas as pd

    ops = plan_traffic(plan)
    limit = plan.duration + 60 if timeout is None else timeout
    rng = random.Random(plan.seed)
    pushed: dict[str, list[str]] = {}
    start, rows = clock(), []
    for i, op in enumerate(ops):
        wait = op.at - (clock() - start)
        if wait > 0:
            sleep(wait)
        at = pd.Timestamp.now(tz="UTC")
        if clock() - start > limit:
            rows.append({"at": at, "operation": op.kind, "target": op.repository, "status": 0, "seconds": 0.0,
                         "ok": False, "skipped": True})
            continue
        began = clock()
        target, status = op.repository, 0
        try:
            if op.kind == "push":
                tag = f"{TAG_PREFIX}{plan.seed}-{i}"
                target = f"{op.repository}:{tag}"
                status = traffic.push(op.repository, tag, rng=rng, layer_bytes=plan.layer_bytes)
                if status == 201:
                    pushed.setdefault(op.repository, []).append(tag)
            elif op.kind == "pull":
                repository = op.repository if op.repository in pushed else next(iter(pushed), None)
                if repository is not None:
                    target = f"{repository}:{pushed[repository][-1]}"
                    status = traffic.pull(repository, pushed[repository][-1])
            elif op.kind == "api":
                status = traffic.api_call(op.repository, i)
            else:
                target = traffic.service
                status = traffic.login()
        except requests.RequestException as e:
            if report:
                report(f"{op.kind} {target}: {type(e).__name__}")
        ok = status in (200, 201, 202)
        rows.append({"at": at, "operation": op.kind, "target": target, "status": status,
                     "seconds": round(clock() - began, 4), "ok": ok, "skipped": False})
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    if report:
        done = frame[~frame["skipped"]]
        report(f"{len(done)} operations in {clock() - start:.1f} s, {int(done['ok'].sum())} succeeded, "
               f"{int(frame['skipped'].sum())} skipped")
    return frame


def summarize_traffic(frame: pd.DataFrame) -> pd.DataFrame:
    """Per operation: how many were sent, succeeded, failed and skipped, and the median seconds."""
    done = frame[~frame["skipped"]]
    grouped = frame.groupby("operation", sort=True)
    return (grouped.size().to_frame("sent")
            .join(done.groupby("operation")["ok"].sum().astype(int).rename("succeeded"))
            .join(done.groupby("operation")["ok"].apply(lambda s: int((~s).sum())).rename("failed"))
            .join(grouped["skipped"].sum().astype(int).rename("skipped"))
            .join(done.groupby("operation")["seconds"].median().rename("median_seconds"))
            .fillna(0).astype({"succeeded": int, "failed": int}).reset_index())
