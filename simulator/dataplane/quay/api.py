"""Quay's REST API (/api/v1), the part runbooks use: user/initialize, users, organizations, robots,
repositories and permissions. Route names are Quay's endpoint names (they label the request metrics).

OAuth bearer tokens authenticate; scopes are checked as Quay's `require_scope` does.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from simulator.dataplane.quay import credentials, model
from simulator.dataplane.quay.context import Reply, context
from simulator.dataplane.quay.model import DataModelError, Identity


def _message(message: str, status: int = 400) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _api_error(status: int, error_type: str, detail: str) -> web.Response:
    return web.json_response({"status": status, "error_message": detail, "title": error_type,
                              "error_type": error_type, "detail": detail}, status=status)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Reply(_message("Invalid JSON body"))
    return body


async def _authenticate(request: web.Request, *scopes: str) -> Identity:
    """The OAuth identity of `Authorization: Bearer`, holding every scope in `scopes`; else a 401/403 reply."""
    ctx = context(request)
    header = request.headers.get("Authorization", "")
    identity = None
    if header.lower().startswith("bearer "):
        async with ctx.db.transaction() as conn:
            identity = await model.validate_access_token(conn, header[7:].strip())
        ctx.metrics.count_authentication("oauth", identity is not None)
    if identity is None:
        raise Reply(_api_error(401, "invalid_token", "Requires authentication"))
    missing = [s for s in scopes if s not in identity.scopes]
    if missing:
        raise Reply(_api_error(403, "insufficient_scope", f"Missing scopes: {' '.join(missing)}"))
    return identity


async def user_initialize(request: web.Request) -> web.Response:
    """POST /api/v1/user/initialize: the first user of an empty database, and optionally its access token."""
    ctx = context(request)
    if not ctx.settings.user_initialize:
        return _message("Cannot initialize user, FEATURE_USER_INITIALIZE is False")
    if ctx.settings.authentication_type != "Database":
        return _message("Cannot initialize user in a non-database auth system")
    data = await _json(request)
    async with ctx.db.transaction() as conn:
        await conn.execute('LOCK TABLE "user" IN EXCLUSIVE MODE')  # two concurrent initializes: one wins
        if await model.has_users(conn):
            return _message("Cannot initialize user in a non-empty database")
        try:
            user = await model.create_user(conn, str(data.get("username", "")), str(data.get("password", "")),
                                           data.get("email"))
        except DataModelError as e:
            return _message(f"Failed to initialize user: {e}")
        result: dict[str, Any] = {
            "username": user["username"], "email": data.get("email"),
            "encrypted_password": credentials.encrypt_field(ctx.settings.secret_key, str(data["password"]))}
        if data.get("access_token"):
            result["access_token"] = await model.create_access_token(
                conn, user, client_id=user["username"], scope=model.INITIALIZE_SCOPE)
    return web.json_response(result)


def _user_view(user: dict[str, Any], super_users: frozenset[str]) -> dict[str, Any]:
    return {"kind": "user", "name": user["username"], "username": user["username"], "email": user["email"],
            "verified": user["verified"], "avatar": {}, "super_user": user["username"] in super_users,
            "enabled": user["enabled"]}


async def get_logged_in_user(request: web.Request) -> web.Response:
    identity = await _authenticate(request, "user:read")
    return web.json_response(_user_view(identity.user, context(request).settings.super_users))


async def list_all_users(request: web.Request) -> web.Response:
    """GET /api/v1/superuser/users/: every user (not organizations or robots); superusers only."""
    ctx = context(request)
    identity = await _authenticate(request, "super:user")
    if identity.username not in ctx.settings.super_users:
        return _api_error(403, "insufficient_scope", "Unauthorized")
    async with ctx.db.transaction() as conn:
        users = await model.list_users(conn)
    return web.json_response({"users": [_user_view(u, ctx.settings.super_users) for u in users]})


async def create_install_user(request: web.Request) -> web.Response:
    """POST /api/v1/superuser/users/: a user with a generated password, returned once."""
    ctx = context(request)
    identity = await _authenticate(request, "super:user")
    if identity.username not in ctx.settings.super_users:
        return _api_error(403, "insufficient_scope", "Unauthorized")
    data = await _json(request)
    password = credentials.new_password()
    async with ctx.db.transaction() as conn:
        try:
            user = await model.create_user(conn, str(data.get("username", "")), password, data.get("email"))
        except DataModelError as e:
            return _message(str(e))
    return web.json_response({"username": user["username"], "email": data.get("email"), "password": password,
                              "encrypted_password": credentials.encrypt_field(ctx.settings.secret_key, password)})


async def create_organization(request: web.Request) -> web.Response:
    ctx = context(request)
    identity = await _authenticate(request, "user:admin")
    data = await _json(request)
    async with ctx.db.transaction() as conn:
        try:
            await model.create_organization(conn, str(data.get("name", "")), data.get("email"), identity.user)
        except DataModelError as e:
            return _message(str(e))
    return web.json_response("Created", status=201)


async def _organization(conn: Any, identity: Identity, orgname: str) -> dict[str, Any]:
    org = await model.get_user(conn, orgname)
    if org is None or not org["organization"]:
        raise Reply(_api_error(404, "not_found", "Not Found"))
    if not await model.is_org_admin(conn, identity.user, org):
        raise Reply(_api_error(403, "insufficient_scope", "Unauthorized"))
    return org


async def get_organization(request: web.Request) -> web.Response:
    ctx = context(request)
    identity = await _authenticate(request, "org:admin")
    async with ctx.db.transaction() as conn:
        org = await _organization(conn, identity, request.match_info["orgname"])
    return web.json_response({"name": org["username"], "email": org["email"], "is_admin": True, "avatar": {}})


async def create_org_robot(request: web.Request) -> web.Response:
    """PUT /api/v1/organization/<org>/robots/<shortname>: a robot and its token."""
    ctx = context(request)
    identity = await _authenticate(request, "org:admin")
    data = await _json(request) if request.can_read_body else {}
    async with ctx.db.transaction() as conn:
        org = await _organization(conn, identity, request.match_info["orgname"])
        try:
            robot, token = await model.create_robot(
                conn, org, request.match_info["robot_shortname"], description=str(data.get("description") or ""),
                metadata=dict(data.get("unstructured_metadata") or {}), key=ctx.settings.secret_key)
        except DataModelError as e:
            return _message(str(e))
    metadata = {"description": data.get("description") or "",
                "unstructured_json": json.dumps(data.get("unstructured_metadata") or {})}
    return web.json_response(model.robot_view({**robot, **metadata}, token), status=201)


async def list_org_robots(request: web.Request) -> web.Response:
    ctx = context(request)
    identity = await _authenticate(request, "org:admin")
    async with ctx.db.transaction() as conn:
        org = await _organization(conn, identity, request.match_info["orgname"])
        robots = await model.list_robots(conn, org, key=ctx.settings.secret_key)
    if request.query.get("token", "true").lower() == "false":
        for robot in robots:
            robot.pop("token")
    return web.json_response({"robots": robots})


def _repo_view(repo: dict[str, Any]) -> dict[str, Any]:
    return {"namespace": repo["namespace"], "name": repo["name"], "description": repo["description"] or None,
            "is_public": repo["visibility"] == "public", "kind": repo["kind"], "state": "NORMAL",
            "is_starred": False}


async def list_repos(request: web.Request) -> web.Response:
    """GET /api/v1/repository?namespace=…&public=…: what the caller may read."""
    ctx = context(request)
    identity = await _authenticate(request, "repo:read")
    namespace = request.query.get("namespace") or None
    public = request.query.get("public", "false").lower() == "true"
    starred = request.query.get("starred", "false").lower() == "true"
    if namespace is None and not public and not starred:
        return _message("namespace, starred or public are required for this API call")
    async with ctx.db.transaction() as conn:
        repos = await model.list_repositories(conn, identity, namespace=namespace, public=public)
    return web.json_response({"repositories": [_repo_view(r) for r in repos]})


async def create_repo(request: web.Request) -> web.Response:
    """POST /api/v1/repository: {repository, namespace, visibility, description, repo_kind}."""
    ctx = context(request)
    identity = await _authenticate(request, "repo:create")
    data = await _json(request)
    async with ctx.db.transaction() as conn:
        namespace = await model.get_user(conn, str(data.get("namespace") or identity.username))
        if not await model.can_create_repository(conn, identity, namespace):
            return _api_error(403, "insufficient_scope", "Unauthorized")
        try:
            repo = await model.create_repository(
                conn, namespace, str(data.get("repository", "")), visibility=str(data.get("visibility", "private")),
                description=str(data.get("description") or ""), kind=str(data.get("repo_kind") or "image"))
        except DataModelError as e:
            return _message(str(e))
    return web.json_response({"namespace": repo["namespace"], "name": repo["name"], "kind": repo["kind"]},
                             status=201)


async def get_repo(request: web.Request) -> web.Response:
    ctx = context(request)
    identity = await _authenticate(request, "repo:read")
    async with ctx.db.transaction() as conn:
        repo = await model.get_repository(conn, request.match_info["namespace"], request.match_info["repository"])
        if repo is None or "pull" not in await model.repository_actions(conn, identity, repo):
            return _api_error(404, "not_found", "Not Found")
        tags = await model.list_tags(conn, repo)
    return web.json_response({**_repo_view(repo), "tags": {t: {"name": t} for t in tags},
                              "can_write": True, "can_admin": True})


async def change_user_permissions(request: web.Request) -> web.Response:
    """PUT /api/v1/repository/<ns>/<repo>/permissions/user/<username>: {role: read|write|admin}."""
    ctx = context(request)
    identity = await _authenticate(request, "repo:admin")
    data = await _json(request)
    async with ctx.db.transaction() as conn:
        repo = await model.get_repository(conn, request.match_info["namespace"], request.match_info["repository"])
        if repo is None or "*" not in await model.repository_actions(conn, identity, repo):
            return _api_error(403, "insufficient_scope", "Unauthorized")
        user = await model.get_user(conn, request.match_info["username"])
        if user is None or user["organization"]:
            return _message("User does not exist")
        try:
            await model.set_repository_permission(conn, repo, user, str(data.get("role", "")))
        except DataModelError as e:
            return _message(str(e))
    return web.json_response({"role": data["role"], "name": user["username"], "is_robot": user["robot"],
                              "avatar": {}})


ROUTES = [
    ("POST", "/api/v1/user/initialize", user_initialize, "api.user_initialize"),
    ("GET", "/api/v1/user/", get_logged_in_user, "api.user"),
    ("GET", "/api/v1/superuser/users/", list_all_users, "api.superuserlist"),
    ("POST", "/api/v1/superuser/users/", create_install_user, "api.superusercreateuser"),
    ("POST", "/api/v1/organization/", create_organization, "api.organizationlist"),
    ("GET", "/api/v1/organization/{orgname}", get_organization, "api.organization"),
    ("GET", "/api/v1/organization/{orgname}/robots", list_org_robots, "api.orgrobotlist"),
    ("PUT", "/api/v1/organization/{orgname}/robots/{robot_shortname}", create_org_robot, "api.orgrobot"),
    ("GET", "/api/v1/repository", list_repos, "api.repositorylist"),
    ("POST", "/api/v1/repository", create_repo, "api.repositorylist"),
    ("GET", "/api/v1/repository/{namespace}/{repository}", get_repo, "api.repository"),
    ("PUT", "/api/v1/repository/{namespace}/{repository}/permissions/user/{username}", change_user_permissions,
     "api.repositoryuserpermission"),
]
