"""The OCI distribution API (/v2) with Quay's token flow: blobs (monolithic, chunked, mount), manifests by tag
and digest, tag lists. Errors are the registry's codes with Quay's messages (endpoints/v2/errors.py).

Content is verified against its digest before anything is stored; a push to a missing repository creates it
in the pusher's namespace, as Quay does by default.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tempfile
from typing import IO, Any

from aiohttp import web

from simulator.dataplane.quay import credentials, model
from simulator.dataplane.quay.context import QuayContext, Reply, context, external_base
from simulator.dataplane.quay.model import Identity
from simulator.dataplane.quay.storage import DIGEST

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
IMAGE_MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
MANIFEST_LISTS = (OCI_INDEX, DOCKER_LIST)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
SPOOL_IN_MEMORY = 64 * 1024 * 1024
VALID_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
SCOPE = re.compile(r"^repository:([^:]+):([a-z*,]+)$")
API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}

MESSAGES = {
    "BLOB_UNKNOWN": "blob unknown to registry",
    "BLOB_UPLOAD_INVALID": "blob upload invalid",
    "BLOB_UPLOAD_UNKNOWN": "blob upload unknown to registry",
    "DIGEST_INVALID": "provided digest did not match uploaded content",
    "MANIFEST_BLOB_UNKNOWN": "manifest blob unknown to registry",
    "MANIFEST_INVALID": "manifest invalid",
    "MANIFEST_UNKNOWN": "manifest unknown",
    "NAME_INVALID": "invalid repository name",
    "NAME_UNKNOWN": "repository name not known to registry",
    "RANGE_INVALID": "invalid content range",
    "TAG_INVALID": "manifest tag did not match URI",
    "UNAUTHORIZED": "access to the requested resource is not authorized",
    "DENIED": "requested access to the resource is denied",
}


def registry_error(code: str, status: int, *, detail: Any = None, headers: dict[str, str] | None = None
                   ) -> web.Response:
    body = {"errors": [{"code": code, "message": MESSAGES[code], "detail": detail or {}}]}
    return web.json_response(body, status=status, headers={**API_VERSION, **(headers or {})})


def _challenge(request: web.Request, scope: str | None = None) -> dict[str, str]:
    """`WWW-Authenticate: Bearer realm="<scheme>://<host>/v2/auth",service="<host>"[,scope=…]`."""
    value = f'Bearer realm="{external_base(request)}/v2/auth",service="{request.host}"'
    if scope:
        value += f',scope="{scope}"'
    return {"WWW-Authenticate": value}


def _unauthorized(request: web.Request, repository: str | None = None, actions: str = "pull") -> Reply:
    scope = f"repository:{repository}:{actions}" if repository else None
    return Reply(registry_error("UNAUTHORIZED", 401, headers=_challenge(request, scope)))


async def _grant(request: web.Request) -> credentials.RegistryGrant | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    ctx = context(request)
    return credentials.verify_registry_token(ctx.settings.secret_key, header[7:].strip(),
                                             audience=ctx.settings.server_hostname)


async def v2_support_enabled(request: web.Request) -> web.Response:
    """GET /v2/: 200 for a valid token, else 401 with the challenge clients follow."""
    if await _grant(request) is None:
        raise _unauthorized(request)
    return web.json_response({}, headers=API_VERSION)


async def generate_registry_jwt(request: web.Request) -> web.Response:
    """GET /v2/auth?service=…&scope=repository:ns/repo:pull,push: a token for what the caller may do."""
    ctx = context(request)
    identity = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            username, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except ValueError:
            username = password = ""
        async with ctx.db.transaction() as conn:
            identity = await model.authenticate_basic(conn, username, password, key=ctx.settings.secret_key)
        ctx.metrics.count_authentication("basic", identity is not None)
        if identity is None:
            return web.json_response({"errors": [{"code": "UNAUTHORIZED", "detail": {},
                                                  "message": "Invalid username or password"}]}, status=401)
    requested = [s for value in request.query.getall("scope", []) for s in value.split()]
    access = []
    async with ctx.db.transaction() as conn:
        for scope in requested:
            match = SCOPE.match(scope)
            if match is None:
                continue
            name, wanted = match.group(1), set(match.group(2).split(","))
            granted = await _granted_actions(conn, identity, name, wanted)
            access.append((name, tuple(sorted(granted if "*" in wanted else granted & wanted))))
    # audience SERVER_HOSTNAME, as Quay: a token works through the route and a port-forward alike
    grant = credentials.RegistryGrant(subject=identity.username if identity else "",
                                      audience=ctx.settings.server_hostname, access=tuple(access))
    token = credentials.issue_registry_token(ctx.settings.secret_key, grant)
    return web.json_response({"token": token})


async def _granted_actions(conn: Any, identity: Identity | None, name: str, wanted: set[str]) -> set[str]:
    namespace_name, _, repo_name = name.partition("/")
    repo = await model.get_repository(conn, namespace_name, repo_name) if repo_name else None
    if repo is not None:
        return await model.repository_actions(conn, identity, repo)
    if "push" in wanted and repo_name and model.VALID_REPOSITORY.match(repo_name):
        namespace = await model.get_user(conn, namespace_name)
        if await model.can_create_repository(conn, identity, namespace):
            return {"pull", "push"}
    return set()


async def _repository(request: web.Request, conn: Any, *, push: bool) -> dict[str, Any]:
    """The repository of the URL after checking the token; a push to a missing one creates it."""
    ns, name = request.match_info["namespace"], request.match_info["repo_name"]
    full = f"{ns}/{name}"
    needed = {"pull", "push"} if push else {"pull"}
    grant = await _grant(request)
    if grant is None or not needed <= grant.actions(full):
        raise _unauthorized(request, full, "pull,push" if push else "pull")
    repo = await model.get_repository(conn, ns, name)
    if repo is not None:
        return repo
    if not push:
        raise Reply(registry_error("NAME_UNKNOWN", 404, detail={"repository": full}))
    user = await model.get_user(conn, grant.subject)
    identity = Identity(user=user, kind="robot" if user and user["robot"] else "credentials") if user else None
    namespace = await model.get_user(conn, ns)
    if not model.VALID_REPOSITORY.match(name) or not await model.can_create_repository(conn, identity, namespace):
        raise Reply(registry_error("NAME_INVALID", 400, detail={"repository": full}))
    visibility = "private" if context(request).settings.create_private_repo_on_push else "public"
    return await model.create_repository(conn, namespace, name, visibility=visibility, exist_ok=True)


def _check_digest(digest: str | None) -> str:
    if not digest or not DIGEST.match(digest) or not digest.startswith("sha256:"):
        raise Reply(registry_error("DIGEST_INVALID", 400, detail={"digest": digest}))
    return digest.lower()


async def _read_body(request: web.Request) -> tuple[IO[bytes], int, str]:
    """The request body spooled (memory up to 64 MiB), its size and sha256 digest."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - caller closes
    sha, size = hashlib.sha256(), 0
    async for chunk in request.content.iter_chunked(1024 * 1024):
        sha.update(chunk)
        spool.write(chunk)
        size += len(chunk)
    return spool, size, "sha256:" + sha.hexdigest()


def _blob_created(request: web.Request, digest: str) -> web.Response:
    ns, name = request.match_info["namespace"], request.match_info["repo_name"]
    return web.Response(status=201, headers={
        **API_VERSION, "Location": f"{external_base(request)}/v2/{ns}/{name}/blobs/{digest}",
        "Docker-Content-Digest": digest, "Content-Length": "0"})


def _upload_accepted(request: web.Request, upload_uuid: str, byte_count: int, status: int = 202) -> web.Response:
    ns, name = request.match_info["namespace"], request.match_info["repo_name"]
    return web.Response(status=status, headers={
        **API_VERSION, "Location": f"{external_base(request)}/v2/{ns}/{name}/blobs/uploads/{upload_uuid}",
        "Range": f"0-{max(byte_count - 1, 0)}", "Docker-Upload-UUID": upload_uuid, "Content-Length": "0"})


async def _store_verified(ctx: QuayContext, repo: dict[str, Any], digest: str, body: IO[bytes], size: int,
                          actual: str) -> None:
    """Store content whose digest was checked; content already stored is only linked to the repository."""
    if actual != digest:
        raise Reply(registry_error("DIGEST_INVALID", 400, detail={"digest": digest}))
    async with ctx.db.transaction() as conn:
        existing = await model.get_blob(conn, digest)
    if existing is None or not await ctx.storage.exists(digest):
        await ctx.storage.put_blob(digest, body, size)
    async with ctx.db.transaction() as conn:
        await model.record_blob(conn, repo, digest, size, location=ctx.storage.settings.location)


async def start_blob_upload(request: web.Request) -> web.Response:
    """POST /v2/<repo>/blobs/uploads/: monolithic with ?digest=, a mount with ?mount=&from=, else a session."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        repo = await _repository(request, conn, push=True)
        mount, source = request.query.get("mount"), request.query.get("from")
        if mount and source and await _mount(request, conn, repo, mount, source):
            return _blob_created(request, mount)
    if "digest" in request.query:
        digest = _check_digest(request.query["digest"])
        body, size, actual = await _read_body(request)
        with body:
            await _store_verified(ctx, repo, digest, body, size, actual)
        return _blob_created(request, digest)
    async with ctx.db.transaction() as conn:
        upload = await model.create_upload(conn, repo, location=ctx.storage.settings.location)
    ctx.new_upload_hash(upload["uuid"])
    return _upload_accepted(request, upload["uuid"], 0)


async def _mount(request: web.Request, conn: Any, repo: dict[str, Any], digest: str, source: str) -> bool:
    """Cross-repository mount: link a blob the caller may pull from `source` into `repo`."""
    ns, _, name = source.partition("/")
    source_repo = await model.get_repository(conn, ns, name)
    grant = await _grant(request)
    user = await model.get_user(conn, grant.subject) if grant and grant.subject else None
    identity = Identity(user=user, kind="robot" if user["robot"] else "credentials") if user else None
    if source_repo is None or "pull" not in await model.repository_actions(conn, identity, source_repo):
        return False
    blob = await model.get_repository_blob(conn, source_repo, digest)
    if blob is None:
        return False
    await model.link_blob(conn, repo, blob)
    return True


async def _locked_upload(request: web.Request, conn: Any, repo: dict[str, Any]) -> dict[str, Any]:
    upload = await model.get_upload(conn, repo, request.match_info["upload_uuid"])
    if upload is None:
        raise Reply(registry_error("BLOB_UPLOAD_UNKNOWN", 404))
    return upload


async def _append_chunk(request: web.Request, ctx: QuayContext, repo: dict[str, Any]) -> tuple[dict, list, int]:
    """Write the body as the upload's next chunk; checks Content-Range against the bytes received so far."""
    data = await request.read()
    async with ctx.db.transaction() as conn:
        upload = await _locked_upload(request, conn, repo)
        chunks, byte_count = model.upload_chunks(upload), int(upload["byte_count"])
        content_range = request.headers.get("Content-Range")
        if content_range and data:
            start = int(content_range.removeprefix("bytes=").split("-")[0] or 0)
            if start != byte_count:
                raise Reply(web.Response(status=416, headers={**API_VERSION, "Range": f"0-{byte_count - 1}"}))
        if data:
            sha = ctx.upload_hashes.get(upload["uuid"])
            if sha is not None:
                sha.update(data)
            key = await ctx.storage.put_chunk(upload["uuid"], len(chunks), data)
            chunks.append({"key": key, "size": len(data)})
            byte_count += len(data)
            await model.update_upload(conn, upload, byte_count=byte_count, chunks=chunks)
    return upload, chunks, byte_count


async def upload_chunk(request: web.Request) -> web.Response:
    """PATCH /v2/<repo>/blobs/uploads/<uuid>: one more chunk."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        repo = await _repository(request, conn, push=True)
    upload, _, byte_count = await _append_chunk(request, ctx, repo)
    return _upload_accepted(request, upload["uuid"], byte_count)


async def monolithic_upload_or_last_chunk(request: web.Request) -> web.Response:
    """PUT /v2/<repo>/blobs/uploads/<uuid>?digest=: the last chunk (or the whole blob), verified, then stored."""
    ctx = context(request)
    digest = _check_digest(request.query.get("digest"))
    async with ctx.db.transaction() as conn:
        repo = await _repository(request, conn, push=True)
        upload = await _locked_upload(request, conn, repo)
    if not model.upload_chunks(upload):
        # POST then a PUT with the whole body: no chunk to assemble, store it directly
        body, size, actual = await _read_body(request)
        with body:
            try:
                await _store_verified(ctx, repo, digest, body, size, actual)
            finally:
                await _discard_upload(ctx, upload)
        return _blob_created(request, digest)
    upload, chunks, byte_count = await _append_chunk(request, ctx, repo)
    sha = ctx.upload_hashes.get(upload["uuid"])
    actual = "sha256:" + sha.hexdigest() if sha is not None else await ctx.storage.hash_chunks(
        [c["key"] for c in chunks])
    try:
        if actual != digest:
            raise Reply(registry_error("DIGEST_INVALID", 400, detail={"digest": digest}))
        async with ctx.db.transaction() as conn:
            existing = await model.get_blob(conn, digest)
        if existing is None or not await ctx.storage.exists(digest):
            await ctx.storage.assemble(digest, chunks)
        async with ctx.db.transaction() as conn:
            await model.record_blob(conn, repo, digest, byte_count, location=ctx.storage.settings.location)
    finally:
        await _discard_upload(ctx, upload, chunks)
    return _blob_created(request, digest)


async def _discard_upload(ctx: QuayContext, upload: dict[str, Any], chunks: list[dict] | None = None) -> None:
    ctx.upload_hashes.pop(upload["uuid"], None)
    await ctx.storage.delete_keys([c["key"] for c in chunks or []])
    async with ctx.db.transaction() as conn:
        await model.delete_upload(conn, upload)


async def fetch_existing_upload(request: web.Request) -> web.Response:
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        repo = await _repository(request, conn, push=True)
        upload = await _locked_upload(request, conn, repo)
    return _upload_accepted(request, upload["uuid"], int(upload["byte_count"]), status=204)


async def cancel_upload(request: web.Request) -> web.Response:
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        repo = await _repository(request, conn, push=True)
        upload = await _locked_upload(request, conn, repo)
    await _discard_upload(ctx, upload, model.upload_chunks(upload))
    return web.Response(status=204, headers=API_VERSION)


async def download_blob(request: web.Request) -> web.StreamResponse:
    """GET/HEAD /v2/<repo>/blobs/<digest>: streamed from the bucket through the app."""
    ctx = context(request)
    digest = request.match_info["digest"]
    async with ctx.db.transaction() as conn:
        repo = await _repository(request, conn, push=False)
        blob = await model.get_repository_blob(conn, repo, digest)
    if blob is None:
        return registry_error("BLOB_UNKNOWN", 404, detail={"digest": digest})
    size = int(blob["image_size"] or 0)
    headers = {**API_VERSION, "Docker-Content-Digest": digest, "Content-Length": str(size),
               "Content-Type": "application/octet-stream", "Cache-Control": "max-age=31536000"}
    if request.method == "HEAD":
        return web.Response(status=200, headers=headers)
    response = web.StreamResponse(status=200, headers=headers)
    await response.prepare(request)
    async for chunk in ctx.storage.iter_blob(digest):
        await response.write(chunk)
    await response.write_eof()
    ctx.metrics.image_pulled_bytes.labels(protocol="v2").inc(size)
    return response


def _manifest_references(raw: bytes, media_type: str) -> tuple[dict[str, Any], list[str], list[str], str | None]:
    """(parsed, blob digests, child manifest digests, config media type); raises MANIFEST_INVALID."""
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise Reply(registry_error("MANIFEST_INVALID", 400, detail={"message": "not JSON"})) from None
    if not isinstance(parsed, dict) or parsed.get("schemaVersion") != 2:
        raise Reply(registry_error("MANIFEST_INVALID", 400, detail={"message": "schemaVersion must be 2"}))
    try:
        if media_type in IMAGE_MANIFESTS:
            config = parsed["config"]
            blobs = [config["digest"]] + [layer["digest"] for layer in parsed.get("layers", [])
                                          if not layer.get("urls")]
            return parsed, blobs, [], config.get("mediaType")
        return parsed, [], [m["digest"] for m in parsed["manifests"]], None
    except (KeyError, TypeError):
        raise Reply(registry_error("MANIFEST_INVALID", 400, detail={"message": "missing config, layers "
                                                                               "or manifests"})) from None


async def write_manifest(request: web.Request) -> web.Response:
    """PUT /v2/<repo>/manifests/<tag or digest>: verified against its blobs, then stored and tagged."""
    ctx = context(request)
    reference = request.match_info["reference"]
    raw = await request.content.read(MAX_MANIFEST_BYTES + 1)
    if len(raw) > MAX_MANIFEST_BYTES:
        return registry_error("MANIFEST_INVALID", 400, detail={"message": "manifest too large"})
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    media_type = request.headers.get("Content-Type", "").split(";")[0].strip()
    try:
        declared = json.loads(raw).get("mediaType")
    except (ValueError, AttributeError):
        declared = None
    media_type = declared or media_type
    if media_type not in IMAGE_MANIFESTS + MANIFEST_LISTS:
        ctx.metrics.image_pushes.labels(protocol="v2", status="400", media_type=media_type or "unknown").inc()
        return registry_error("MANIFEST_INVALID", 400, detail={"message": f"unsupported media type {media_type}"})
    if DIGEST.match(reference):
        if reference != digest:
            return registry_error("DIGEST_INVALID", 400, detail={"digest": reference})
    elif not VALID_TAG.match(reference):
        return registry_error("TAG_INVALID", 400, detail={"tag": reference})
    _, blob_digests, child_digests, config_type = _manifest_references(raw, media_type)
    async with ctx.db.transaction() as conn:
        repo = await _repository(request, conn, push=True)
        blobs = []
        for blob_digest in dict.fromkeys(blob_digests):
            blob = await model.get_repository_blob(conn, repo, blob_digest)
            if blob is None:
                raise Reply(registry_error("MANIFEST_BLOB_UNKNOWN", 400, detail={"digest": blob_digest}))
            blobs.append(blob)
        children = []
        for child_digest in child_digests:
            child = await model.get_manifest(conn, repo, child_digest)
            if child is None:
                raise Reply(registry_error("MANIFEST_INVALID", 400, detail={"message": "manifest list "
                                                                           f"references unknown {child_digest}"}))
            children.append(child)
        manifest = await model.store_manifest(conn, repo, digest=digest, media_type=media_type, raw=raw,
                                              blobs=blobs, children=children, config_media_type=config_type)
        if not DIGEST.match(reference):
            await model.set_tag(conn, repo, reference, manifest)
    ctx.metrics.image_pushes.labels(protocol="v2", status="201", media_type=media_type).inc()
    ns, name = request.match_info["namespace"], request.match_info["repo_name"]
    return web.Response(status=201, headers={
        **API_VERSION, "Location": f"{external_base(request)}/v2/{ns}/{name}/manifests/{digest}",
        "Docker-Content-Digest": digest, "Content-Length": "0"})


async def fetch_manifest(request: web.Request) -> web.Response:
    """GET/HEAD /v2/<repo>/manifests/<tag or digest>: the exact bytes pushed, with their media type."""
    ctx = context(request)
    reference = request.match_info["reference"]
    by_digest = DIGEST.match(reference) is not None
    async with ctx.db.transaction() as conn:
        repo = await _repository(request, conn, push=False)
        manifest = await (model.get_manifest(conn, repo, reference) if by_digest
                          else model.get_tagged_manifest(conn, repo, reference))
    if manifest is None:
        return registry_error("MANIFEST_UNKNOWN", 404, detail={"reference": reference})
    raw = manifest["manifest_bytes"].encode("utf-8")
    headers = {**API_VERSION, "Docker-Content-Digest": manifest["digest"], "Content-Type": manifest["media_type"]}
    if request.method == "HEAD":
        return web.Response(status=200, headers={**headers, "Content-Length": str(len(raw))})
    ctx.metrics.image_pulls.labels(protocol="v2", ref="manifest" if by_digest else "tag", status="200").inc()
    return web.Response(status=200, body=raw, headers=headers)


async def list_all_tags(request: web.Request) -> web.Response:
    """GET /v2/<repo>/tags/list?n=&last=: live tags, paginated with a Link header."""
    ctx = context(request)
    async with ctx.db.transaction() as conn:
        repo = await _repository(request, conn, push=False)
        tags = await model.list_tags(conn, repo)
    last = request.query.get("last")
    if last:
        tags = [t for t in tags if t > last]
    headers = dict(API_VERSION)
    if "n" in request.query:
        n = max(int(request.query["n"]), 0)
        if len(tags) > n and n:
            ns, name = request.match_info["namespace"], request.match_info["repo_name"]
            headers["Link"] = f'</v2/{ns}/{name}/tags/list?n={n}&last={tags[n - 1]}>; rel="next"'
        tags = tags[:n]
    full = f"{request.match_info['namespace']}/{request.match_info['repo_name']}"
    return web.json_response({"name": full, "tags": tags}, headers=headers)


REPO = "/v2/{namespace}/{repo_name}"
ROUTES = [
    ("GET", "/v2/", v2_support_enabled, "v2.v2_support_enabled"),
    ("GET", "/v2/auth", generate_registry_jwt, "v2.generate_registry_jwt"),
    ("POST", REPO + "/blobs/uploads/", start_blob_upload, "v2.start_blob_upload"),
    ("GET", REPO + "/blobs/uploads/{upload_uuid}", fetch_existing_upload, "v2.fetch_existing_upload"),
    ("PATCH", REPO + "/blobs/uploads/{upload_uuid}", upload_chunk, "v2.upload_chunk"),
    ("PUT", REPO + "/blobs/uploads/{upload_uuid}", monolithic_upload_or_last_chunk,
     "v2.monolithic_upload_or_last_chunk"),
    ("DELETE", REPO + "/blobs/uploads/{upload_uuid}", cancel_upload, "v2.cancel_upload"),
    ("GET", REPO + "/blobs/{digest}", download_blob, "v2.download_blob"),
    ("GET", REPO + "/manifests/{reference}", fetch_manifest, "v2.fetch_manifest"),
    ("PUT", REPO + "/manifests/{reference}", write_manifest, "v2.write_manifest"),
    ("GET", REPO + "/tags/list", list_all_tags, "v2.list_all_tags"),
]
