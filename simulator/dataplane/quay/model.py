"""Quay's data rules over its tables: users, organizations, robots, tokens, permissions, repositories, blobs,
manifests and tags. Mirrors Quay's data/model; messages are Quay's where Quay has one.

Functions take an open connection (one transaction) and raise DataModelError for the API to report.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from simulator.dataplane.quay import credentials

Row = dict[str, Any]
Conn = psycopg.AsyncConnection[Any]

INVALID_PASSWORD_MESSAGE = ("Invalid password, password must be at least 8 characters and contain no "
                            "whitespace.")
VALID_NAMESPACE = re.compile(r"^([a-z0-9]+(?:[._-][a-z0-9]+)*)$")
VALID_REPOSITORY = re.compile(r"^[a-z0-9][._a-z0-9-]*$")
VALID_ROBOT_SHORTNAME = re.compile(r"^[a-z][a-z0-9_]{1,254}$")
INITIALIZE_SCOPE = "org:admin repo:admin repo:create repo:read repo:write super:user user:admin user:read"
ROLE_ACTIONS = {"read": {"pull"}, "write": {"pull", "push"}, "admin": {"pull", "push", "*"}}
TOKEN_LIFETIME_S = 10 * 365 * 24 * 3600
UPLOADED_BLOB_LIFETIME_S = 24 * 3600
TAG_ATTEMPTS = 5  # set_tag: rounds against parallel pushes of the same tag


class DataModelError(Exception):
    """A rule of Quay's data model was broken; str() is the message Quay returns."""


@dataclass(frozen=True)
class Identity:
    """Who is calling: a user or robot row, how they proved it, and the OAuth scopes (API only)."""

    user: Row
    kind: str
    scopes: frozenset[str] = frozenset()

    @property
    def username(self) -> str:
        return str(self.user["username"])


def validate_password(password: str) -> bool:
    """Quay's util/validation.validate_password: at least 8 characters, no whitespace."""
    return len(password) >= 8 and not re.search(r"\s", password)


def _validate_namespace(name: str) -> None:
    if not VALID_NAMESPACE.match(name):
        raise DataModelError(f"Invalid namespace {name}: Namespace must match expression "
                             f"{VALID_NAMESPACE.pattern}")
    if not 2 <= len(name) <= 255:
        raise DataModelError(f"Invalid namespace {name}: Namespace must be between 2 and 255 characters in length")


# users, organizations, robots

async def has_users(conn: Conn) -> bool:
    return await (await conn.execute('SELECT 1 FROM "user" LIMIT 1')).fetchone() is not None


async def get_user(conn: Conn, username: str) -> Row | None:
    return await (await conn.execute('SELECT * FROM "user" WHERE username = %s', (username,))).fetchone()


async def _insert_user(conn: Conn, username: str, *, email: str | None, password_hash: str | None,
                       organization: bool = False, robot: bool = False) -> Row:
    if await get_user(conn, username) is not None:
        raise DataModelError("A user or organization with this name already exists")
    email = email or uuid.uuid4().hex  # Quay's default: a random unique string when mail is off
    if await (await conn.execute('SELECT 1 FROM "user" WHERE email = %s', (email,))).fetchone():
        raise DataModelError("E-mail address already used")
    cur = await conn.execute(
        'INSERT INTO "user" (uuid, username, password_hash, email, verified, organization, robot) '
        "VALUES (%s, %s, %s, %s, true, %s, %s) RETURNING *",
        (str(uuid.uuid4()), username, password_hash, email, organization, robot))
    return await cur.fetchone()


async def create_user(conn: Conn, username: str, password: str, email: str | None) -> Row:
    """Quay's create_user: the password is checked first, then the name."""
    if not validate_password(password):
        raise DataModelError(INVALID_PASSWORD_MESSAGE)
    _validate_namespace(username)
    return await _insert_user(conn, username, email=email, password_hash=credentials.hash_password(password))


async def create_organization(conn: Conn, name: str, email: str | None, creator: Row) -> Row:
    """An organization row with an `owners` team (role admin) holding its creator."""
    _validate_namespace(name)
    org = await _insert_user(conn, name, email=email, password_hash=None, organization=True)
    cur = await conn.execute(
        "INSERT INTO team (name, organization_id, role_id) "
        "SELECT 'owners', %s, id FROM teamrole WHERE name = 'admin' RETURNING id", (org["id"],))
    team = await cur.fetchone()
    await conn.execute("INSERT INTO teammember (user_id, team_id) VALUES (%s, %s)", (creator["id"], team["id"]))
    return org


async def is_org_admin(conn: Conn, user: Row, org: Row) -> bool:
    cur = await conn.execute(
        "SELECT 1 FROM teammember m JOIN team t ON t.id = m.team_id JOIN teamrole r ON r.id = t.role_id "
        "WHERE m.user_id = %s AND t.organization_id = %s AND r.name = 'admin'", (user["id"], org["id"]))
    return await cur.fetchone() is not None


async def create_robot(conn: Conn, namespace: Row, shortname: str, *, description: str,
                       metadata: dict[str, Any], key: bytes) -> tuple[Row, str]:
    """Robot `namespace+shortname` with a fresh token (stored encrypted); returns (row, token)."""
    if not VALID_ROBOT_SHORTNAME.match(shortname):
        raise DataModelError(f"Invalid robot account name {shortname}; must match {VALID_ROBOT_SHORTNAME.pattern}")
    name = f"{namespace['username']}+{shortname}"
    if await get_user(conn, name) is not None:
        raise DataModelError(f"Existing robot with name: {name}")
    robot = await _insert_user(conn, name, email=None, password_hash=None, robot=True)
    token = credentials.new_robot_token()
    await conn.execute("INSERT INTO robotaccounttoken (robot_account_id, token) VALUES (%s, %s)",
                       (robot["id"], credentials.encrypt_field(key, token)))
    await conn.execute(
        "INSERT INTO robotaccountmetadata (robot_account_id, description, unstructured_json) VALUES (%s, %s, %s)",
        (robot["id"], description, json.dumps(metadata)))
    return robot, token


async def list_robots(conn: Conn, namespace: Row, *, key: bytes) -> list[dict[str, Any]]:
    cur = await conn.execute(
        'SELECT u.username, u.creation_date, u.last_accessed, t.token, m.description, m.unstructured_json '
        'FROM "user" u JOIN robotaccounttoken t ON t.robot_account_id = u.id '
        "LEFT JOIN robotaccountmetadata m ON m.robot_account_id = u.id "
        "WHERE u.robot AND u.username LIKE %s ORDER BY u.username",
        (namespace["username"].replace("_", r"\_") + "+%",))
    return [robot_view(r, credentials.decrypt_field(key, r["token"]) or "") for r in await cur.fetchall()]


def robot_view(row: Row, token: str) -> dict[str, Any]:
    return {"name": row["username"], "created": _http_date(row["creation_date"]),
            "last_accessed": _http_date(row["last_accessed"]) if row.get("last_accessed") else None,
            "description": row.get("description") or "", "token": token,
            "unstructured_metadata": json.loads(row.get("unstructured_json") or "{}")}


def _http_date(value: Any) -> str:
    return value.strftime("%a, %d %b %Y %H:%M:%S -0000")


async def list_users(conn: Conn) -> list[Row]:
    cur = await conn.execute('SELECT * FROM "user" WHERE NOT organization AND NOT robot ORDER BY username')
    return await cur.fetchall()


# OAuth access tokens and registry credentials

async def create_access_token(conn: Conn, user: Row, *, client_id: str, scope: str) -> str:
    """An application named `automation` owned by the user and a token for it (user/initialize)."""
    cur = await conn.execute(
        "INSERT INTO oauthapplication (client_id, organization_id, name, description) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (client_id) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        (client_id, user["id"], "automation", "Application token generated via /api/v1/user/initialize"))
    app = await cur.fetchone()
    token = credentials.new_access_token()
    name, code = credentials.split_access_token(token)
    await conn.execute(
        "INSERT INTO oauthaccesstoken (uuid, application_id, authorized_user_id, scope, expires_at, token_name, "
        "token_code) VALUES (%s, %s, %s, %s, now() + make_interval(secs => %s), %s, %s)",
        (str(uuid.uuid4()), app["id"], user["id"], scope, TOKEN_LIFETIME_S, name, code))
    return token


async def validate_access_token(conn: Conn, token: str) -> Identity | None:
    if len(token) != credentials.ACCESS_TOKEN_LENGTH:
        return None
    name, code = credentials.split_access_token(token)
    cur = await conn.execute(
        'SELECT t.token_code, t.scope, u.* FROM oauthaccesstoken t JOIN "user" u ON u.id = t.authorized_user_id '
        "WHERE t.token_name = %s AND t.expires_at > now()", (name,))
    row = await cur.fetchone()
    if row is None or row["token_code"] != code or not row["enabled"]:
        return None
    return Identity(user=row, kind="oauth", scopes=frozenset(row["scope"].split()))


async def authenticate_basic(conn: Conn, username: str, password: str, *, key: bytes) -> Identity | None:
    """Docker login credentials as Quay accepts them: `$oauthtoken` + access token, robot + token,
    user + password, or user + the encrypted password user/initialize returned."""
    if username == "$oauthtoken":
        return await validate_access_token(conn, password)
    user = await get_user(conn, username)
    if user is None or not user["enabled"] or user["organization"]:
        return None
    if user["robot"]:
        cur = await conn.execute("SELECT token FROM robotaccounttoken WHERE robot_account_id = %s", (user["id"],))
        row = await cur.fetchone()
        ok = row is not None and credentials.decrypt_field(key, row["token"]) == password
        return Identity(user=user, kind="robot") if ok else None
    if credentials.verify_password(password, user["password_hash"]):
        return Identity(user=user, kind="credentials")
    decrypted = credentials.decrypt_field(key, password)
    if decrypted is not None and credentials.verify_password(decrypted, user["password_hash"]):
        return Identity(user=user, kind="credentials")
    token_identity = await validate_access_token(conn, password)
    if token_identity is not None and token_identity.username == username:
        return token_identity
    return None


# repositories and permissions

async def get_repository(conn: Conn, namespace: str, name: str) -> Row | None:
    cur = await conn.execute(
        'SELECT r.*, u.username AS namespace, v.name AS visibility, k.name AS kind FROM repository r '
        'JOIN "user" u ON u.id = r.namespace_user_id JOIN visibility v ON v.id = r.visibility_id '
        "JOIN repositorykind k ON k.id = r.kind_id WHERE u.username = %s AND r.name = %s", (namespace, name))
    return await cur.fetchone()


async def create_repository(conn: Conn, namespace: Row, name: str, *, visibility: str, description: str = "",
                            kind: str = "image", exist_ok: bool = False) -> Row:
    """A new repository; one that exists (created meanwhile by a parallel push too) is returned with
    `exist_ok`, else refused with Quay's message."""
    if not VALID_REPOSITORY.match(name) or len(name) > 255:
        raise DataModelError("Invalid repository name")
    if visibility not in ("public", "private"):
        raise DataModelError(f"Invalid visibility {visibility!r}")
    cur = await conn.execute(
        "INSERT INTO repository (namespace_user_id, name, visibility_id, description, kind_id) "
        "SELECT %s, %s, v.id, %s, k.id FROM visibility v, repositorykind k WHERE v.name = %s AND k.name = %s "
        "ON CONFLICT (namespace_user_id, name) DO NOTHING RETURNING id",
        (namespace["id"], name, description, visibility, kind))
    if await cur.fetchone() is None and not exist_ok:
        raise DataModelError("Repository already exists")
    return await get_repository(conn, namespace["username"], name)


async def can_create_repository(conn: Conn, identity: Identity | None, namespace: Row | None) -> bool:
    """Own namespace, or an organization the user administers; robots never create."""
    if identity is None or namespace is None or identity.kind == "robot":
        return False
    if namespace["id"] == identity.user["id"]:
        return True
    return bool(namespace["organization"]) and await is_org_admin(conn, identity.user, namespace)


async def repository_actions(conn: Conn, identity: Identity | None, repo: Row) -> set[str]:
    """pull/push/* the identity holds on a repository: owner, org admin, explicit permission, or public."""
    actions: set[str] = {"pull"} if repo["visibility"] == "public" else set()
    if identity is None:
        return actions
    user = identity.user
    if repo["namespace_user_id"] == user["id"]:
        return actions | ROLE_ACTIONS["admin"]
    namespace = await (await conn.execute('SELECT * FROM "user" WHERE id = %s', (repo["namespace_user_id"],))
                       ).fetchone()
    if namespace["organization"] and identity.kind != "robot" and await is_org_admin(conn, user, namespace):
        return actions | ROLE_ACTIONS["admin"]
    cur = await conn.execute(
        "SELECT r.name FROM repositorypermission p JOIN role r ON r.id = p.role_id "
        "WHERE p.repository_id = %s AND p.user_id = %s", (repo["id"], user["id"]))
    for row in await cur.fetchall():
        actions |= ROLE_ACTIONS[row["name"]]
    return actions


async def set_repository_permission(conn: Conn, repo: Row, user: Row, role: str) -> None:
    if role not in ROLE_ACTIONS:
        raise DataModelError(f"Invalid role {role!r}")
    await conn.execute(
        "INSERT INTO repositorypermission (user_id, repository_id, role_id) SELECT %s, %s, id FROM role "
        "WHERE name = %s ON CONFLICT (user_id, repository_id) DO UPDATE SET role_id = EXCLUDED.role_id",
        (user["id"], repo["id"], role))


async def list_repositories(conn: Conn, identity: Identity | None, *, namespace: str | None,
                            public: bool) -> list[Row]:
    """Repositories in `namespace` the caller can read, plus every public one when `public`."""
    cur = await conn.execute(
        'SELECT r.*, u.username AS namespace, v.name AS visibility, k.name AS kind FROM repository r '
        'JOIN "user" u ON u.id = r.namespace_user_id JOIN visibility v ON v.id = r.visibility_id '
        "JOIN repositorykind k ON k.id = r.kind_id "
        "WHERE (%(ns)s::text IS NULL OR u.username = %(ns)s) OR (%(public)s AND v.name = 'public') "
        "ORDER BY u.username, r.name", {"ns": namespace, "public": public})
    visible = []
    for repo in await cur.fetchall():
        in_scope = (namespace is not None and repo["namespace"] == namespace) or (
            public and repo["visibility"] == "public")
        if in_scope and "pull" in await repository_actions(conn, identity, repo):
            visible.append(repo)
    return visible


# blobs

async def get_repository_blob(conn: Conn, repo: Row, digest: str) -> Row | None:
    """The stored blob with `digest` if this repository may serve it (uploaded here or in a manifest here)."""
    cur = await conn.execute(
        "SELECT s.* FROM imagestorage s WHERE s.content_checksum = %(d)s AND NOT s.uploading AND ("
        "EXISTS (SELECT 1 FROM uploadedblob b WHERE b.blob_id = s.id AND b.repository_id = %(r)s) OR "
        "EXISTS (SELECT 1 FROM manifestblob m WHERE m.blob_id = s.id AND m.repository_id = %(r)s))",
        {"d": digest, "r": repo["id"]})
    return await cur.fetchone()


async def get_blob(conn: Conn, digest: str) -> Row | None:
    cur = await conn.execute("SELECT * FROM imagestorage WHERE content_checksum = %s AND NOT uploading", (digest,))
    return await cur.fetchone()


async def record_blob(conn: Conn, repo: Row, digest: str, size: int, *, location: str) -> Row:
    """imagestorage + placement for a stored blob, linked to the repository through uploadedblob."""
    cur = await conn.execute(
        "INSERT INTO imagestorage (uuid, image_size, uploading, cas_path, content_checksum) "
        "VALUES (%s, %s, false, true, %s) ON CONFLICT (content_checksum) DO UPDATE SET uploading = false "
        "RETURNING *", (str(uuid.uuid4()), size, digest))
    blob = await cur.fetchone()
    await conn.execute(
        "INSERT INTO imagestorageplacement (storage_id, location_id) SELECT %s, id FROM imagestoragelocation "
        "WHERE name = %s ON CONFLICT DO NOTHING", (blob["id"], location))
    await link_blob(conn, repo, blob)
    return blob


async def link_blob(conn: Conn, repo: Row, blob: Row) -> None:
    await conn.execute(
        "INSERT INTO uploadedblob (repository_id, blob_id, expires_at) "
        "VALUES (%s, %s, now() + make_interval(secs => %s)) ON CONFLICT (repository_id, blob_id) "
        "DO UPDATE SET expires_at = EXCLUDED.expires_at", (repo["id"], blob["id"], UPLOADED_BLOB_LIFETIME_S))


async def create_upload(conn: Conn, repo: Row, *, location: str) -> Row:
    cur = await conn.execute(
        "INSERT INTO blobupload (repository_id, uuid, location_id, storage_metadata) "
        "SELECT %s, %s, id, %s FROM imagestoragelocation WHERE name = %s RETURNING *",
        (repo["id"], str(uuid.uuid4()), json.dumps({"chunks": []}), location))
    return await cur.fetchone()


async def get_upload(conn: Conn, repo: Row, upload_uuid: str) -> Row | None:
    cur = await conn.execute("SELECT * FROM blobupload WHERE repository_id = %s AND uuid = %s FOR UPDATE",
                             (repo["id"], upload_uuid))
    return await cur.fetchone()


async def update_upload(conn: Conn, upload: Row, *, byte_count: int, chunks: list[dict[str, Any]]) -> None:
    await conn.execute(
        "UPDATE blobupload SET byte_count = %s, chunk_count = %s, storage_metadata = %s WHERE id = %s",
        (byte_count, len(chunks), json.dumps({"chunks": chunks}), upload["id"]))


async def delete_upload(conn: Conn, upload: Row) -> None:
    await conn.execute("DELETE FROM blobupload WHERE id = %s", (upload["id"],))


def upload_chunks(upload: Row) -> list[dict[str, Any]]:
    return list(json.loads(upload["storage_metadata"] or "{}").get("chunks", []))


# manifests and tags

async def get_manifest(conn: Conn, repo: Row, digest: str) -> Row | None:
    cur = await conn.execute(
        "SELECT m.*, t.name AS media_type FROM manifest m JOIN mediatype t ON t.id = m.media_type_id "
        "WHERE m.repository_id = %s AND m.digest = %s", (repo["id"], digest))
    return await cur.fetchone()


async def get_tagged_manifest(conn: Conn, repo: Row, tag: str) -> Row | None:
    cur = await conn.execute(
        "SELECT m.*, mt.name AS media_type FROM tag t JOIN manifest m ON m.id = t.manifest_id "
        "JOIN mediatype mt ON mt.id = m.media_type_id "
        "WHERE t.repository_id = %s AND t.name = %s AND t.lifetime_end_ms IS NULL AND NOT t.hidden",
        (repo["id"], tag))
    return await cur.fetchone()


async def store_manifest(conn: Conn, repo: Row, *, digest: str, media_type: str, raw: bytes,
                         blobs: list[Row], children: list[Row], config_media_type: str | None) -> Row:
    """A manifest row with its manifestblob/manifestchild links; re-pushing the same digest reuses it."""
    existing = await get_manifest(conn, repo, digest)
    if existing is not None:
        return existing
    cur = await conn.execute(
        "INSERT INTO manifest (repository_id, digest, media_type_id, manifest_bytes, config_media_type, "
        "layers_compressed_size) SELECT %s, %s, id, %s, %s, %s FROM mediatype WHERE name = %s "
        "ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id",
        (repo["id"], digest, raw.decode("utf-8"), config_media_type,
         sum(int(b["image_size"] or 0) for b in blobs), media_type))
    inserted = await cur.fetchone()
    if inserted is None:  # a parallel push stored the same digest first
        return await get_manifest(conn, repo, digest)
    manifest_id = inserted["id"]
    for blob in blobs:
        await conn.execute("INSERT INTO manifestblob (repository_id, manifest_id, blob_id) VALUES (%s, %s, %s) "
                           "ON CONFLICT DO NOTHING", (repo["id"], manifest_id, blob["id"]))
    for child in children:
        await conn.execute("INSERT INTO manifestchild (repository_id, manifest_id, child_manifest_id) "
                           "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (repo["id"], manifest_id, child["id"]))
    return await get_manifest(conn, repo, digest)


async def set_tag(conn: Conn, repo: Row, name: str, manifest: Row) -> None:
    """Point tag `name` at the manifest: end the live tag row and start a new one, as Quay's oci.tag does.

    A parallel push of the same tag may add its live row in between: then that one is ended too (last wins).
    """
    for _ in range(TAG_ATTEMPTS):
        now_ms = int(time.time() * 1000)
        await conn.execute("UPDATE tag SET lifetime_end_ms = %s WHERE repository_id = %s AND name = %s "
                           "AND lifetime_end_ms IS NULL", (now_ms, repo["id"], name))
        cur = await conn.execute(
            "INSERT INTO tag (name, repository_id, manifest_id, lifetime_start_ms, tag_kind_id) "
            "SELECT %s, %s, %s, %s, id FROM tagkind WHERE name = 'tag' "
            "ON CONFLICT (repository_id, name) WHERE lifetime_end_ms IS NULL DO NOTHING RETURNING id",
            (name, repo["id"], manifest["id"], now_ms))
        if await cur.fetchone() is not None:
            return
    raise DataModelError(f"Tag {name} kept changing under parallel pushes; push it again")


async def list_tags(conn: Conn, repo: Row) -> list[str]:
    cur = await conn.execute("SELECT name FROM tag WHERE repository_id = %s AND lifetime_end_ms IS NULL "
                             "AND NOT hidden ORDER BY name", (repo["id"],))
    return [r["name"] for r in await cur.fetchall()]


ROW_COUNT_SQL = """
SELECT
  (SELECT count(*) FROM "user" WHERE NOT organization AND NOT robot) AS users,
  (SELECT count(*) FROM "user" WHERE organization) AS orgs,
  (SELECT count(*) FROM "user" WHERE robot) AS robots,
  (SELECT count(*) FROM repository) AS repositories
"""


def count_rows(conninfo: dict[str, Any]) -> dict[str, int]:
    """Row counts for quay_{user,org,robot,repository}_rows, as Quay's globalpromstats worker reports them."""
    with psycopg.connect(**conninfo, connect_timeout=5) as conn:
        users, orgs, robots, repositories = conn.execute(ROW_COUNT_SQL).fetchone()
    return {"users": users, "orgs": orgs, "robots": robots, "repositories": repositories}
