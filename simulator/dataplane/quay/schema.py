"""Quay's tables, as far as the simulated Quay needs them; names and columns follow Quay's data/database.py.

Created on first start under an advisory lock, so several replicas may start against one database.
"""

from __future__ import annotations

import psycopg

SCHEMA_LOCK = 7_391_001  # pg_advisory_xact_lock key: one replica creates the schema at a time

DDL = """
CREATE TABLE IF NOT EXISTS "user" (
    id serial PRIMARY KEY,
    uuid varchar(36) NOT NULL,
    username varchar(255) NOT NULL UNIQUE,
    password_hash varchar(255),
    email varchar(255) NOT NULL UNIQUE,
    verified boolean NOT NULL DEFAULT false,
    organization boolean NOT NULL DEFAULT false,
    robot boolean NOT NULL DEFAULT false,
    enabled boolean NOT NULL DEFAULT true,
    invalid_login_attempts integer NOT NULL DEFAULT 0,
    creation_date timestamp NOT NULL DEFAULT now(),
    last_accessed timestamp
);
CREATE TABLE IF NOT EXISTS teamrole (id serial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS team (
    id serial PRIMARY KEY,
    name varchar(255) NOT NULL,
    organization_id integer NOT NULL REFERENCES "user"(id),
    role_id integer NOT NULL REFERENCES teamrole(id),
    description text NOT NULL DEFAULT '',
    UNIQUE (name, organization_id)
);
CREATE TABLE IF NOT EXISTS teammember (
    id serial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES "user"(id),
    team_id integer NOT NULL REFERENCES team(id),
    UNIQUE (user_id, team_id)
);
CREATE TABLE IF NOT EXISTS robotaccountmetadata (
    id serial PRIMARY KEY,
    robot_account_id integer NOT NULL UNIQUE REFERENCES "user"(id),
    description varchar(255) NOT NULL DEFAULT '',
    unstructured_json text NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS robotaccounttoken (
    id serial PRIMARY KEY,
    robot_account_id integer NOT NULL UNIQUE REFERENCES "user"(id),
    token varchar(255) NOT NULL,
    fully_migrated boolean NOT NULL DEFAULT true
);
CREATE TABLE IF NOT EXISTS oauthapplication (
    id serial PRIMARY KEY,
    client_id varchar(255) NOT NULL UNIQUE,
    secure_client_secret varchar(255),
    redirect_uri varchar(255) NOT NULL DEFAULT '',
    application_uri varchar(255) NOT NULL DEFAULT '',
    organization_id integer NOT NULL REFERENCES "user"(id),
    name varchar(255) NOT NULL,
    description text NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS oauthaccesstoken (
    id serial PRIMARY KEY,
    uuid varchar(36) NOT NULL,
    application_id integer NOT NULL REFERENCES oauthapplication(id),
    authorized_user_id integer NOT NULL REFERENCES "user"(id),
    scope varchar(255) NOT NULL,
    token_type varchar(255) NOT NULL DEFAULT 'Bearer',
    expires_at timestamp NOT NULL,
    data text NOT NULL DEFAULT '',
    token_name varchar(255) NOT NULL UNIQUE,
    token_code varchar(255) NOT NULL
);
CREATE TABLE IF NOT EXISTS visibility (id serial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS repositorykind (id serial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS role (id serial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS repository (
    id serial PRIMARY KEY,
    namespace_user_id integer NOT NULL REFERENCES "user"(id),
    name varchar(255) NOT NULL,
    visibility_id integer NOT NULL REFERENCES visibility(id),
    description text NOT NULL DEFAULT '',
    kind_id integer NOT NULL REFERENCES repositorykind(id),
    state integer NOT NULL DEFAULT 0,
    UNIQUE (namespace_user_id, name)
);
CREATE TABLE IF NOT EXISTS repositorypermission (
    id serial PRIMARY KEY,
    team_id integer REFERENCES team(id),
    user_id integer REFERENCES "user"(id),
    repository_id integer NOT NULL REFERENCES repository(id),
    role_id integer NOT NULL REFERENCES role(id),
    UNIQUE (user_id, repository_id)
);
CREATE TABLE IF NOT EXISTS mediatype (id serial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS tagkind (id serial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS imagestoragelocation (id serial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS imagestorage (
    id serial PRIMARY KEY,
    uuid varchar(36) NOT NULL UNIQUE,
    image_size bigint,
    uncompressed_size bigint,
    uploading boolean NOT NULL DEFAULT true,
    cas_path boolean NOT NULL DEFAULT true,
    content_checksum varchar(255) UNIQUE
);
CREATE TABLE IF NOT EXISTS imagestorageplacement (
    id serial PRIMARY KEY,
    storage_id integer NOT NULL REFERENCES imagestorage(id),
    location_id integer NOT NULL REFERENCES imagestoragelocation(id),
    UNIQUE (storage_id, location_id)
);
CREATE TABLE IF NOT EXISTS uploadedblob (
    id serial PRIMARY KEY,
    repository_id integer NOT NULL REFERENCES repository(id),
    blob_id integer NOT NULL REFERENCES imagestorage(id),
    uploaded_at timestamp NOT NULL DEFAULT now(),
    expires_at timestamp NOT NULL,
    UNIQUE (repository_id, blob_id)
);
CREATE TABLE IF NOT EXISTS blobupload (
    id serial PRIMARY KEY,
    repository_id integer NOT NULL REFERENCES repository(id),
    uuid varchar(36) NOT NULL UNIQUE,
    byte_count bigint NOT NULL DEFAULT 0,
    sha_state text,
    location_id integer NOT NULL REFERENCES imagestoragelocation(id),
    storage_metadata text NOT NULL DEFAULT '{}',
    chunk_count integer NOT NULL DEFAULT 0,
    uncompressed_byte_count bigint,
    created timestamp NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS manifest (
    id serial PRIMARY KEY,
    repository_id integer NOT NULL REFERENCES repository(id),
    digest varchar(255) NOT NULL,
    media_type_id integer NOT NULL REFERENCES mediatype(id),
    manifest_bytes text NOT NULL,
    config_media_type varchar(255),
    layers_compressed_size bigint,
    UNIQUE (repository_id, digest)
);
CREATE TABLE IF NOT EXISTS manifestblob (
    id serial PRIMARY KEY,
    repository_id integer NOT NULL REFERENCES repository(id),
    manifest_id integer NOT NULL REFERENCES manifest(id),
    blob_id integer NOT NULL REFERENCES imagestorage(id),
    UNIQUE (manifest_id, blob_id)
);
CREATE TABLE IF NOT EXISTS manifestchild (
    id serial PRIMARY KEY,
    repository_id integer NOT NULL REFERENCES repository(id),
    manifest_id integer NOT NULL REFERENCES manifest(id),
    child_manifest_id integer NOT NULL REFERENCES manifest(id),
    UNIQUE (manifest_id, child_manifest_id)
);
CREATE TABLE IF NOT EXISTS tag (
    id serial PRIMARY KEY,
    name varchar(255) NOT NULL,
    repository_id integer NOT NULL REFERENCES repository(id),
    manifest_id integer REFERENCES manifest(id),
    lifetime_start_ms bigint NOT NULL,
    lifetime_end_ms bigint,
    hidden boolean NOT NULL DEFAULT false,
    reversion boolean NOT NULL DEFAULT false,
    tag_kind_id integer NOT NULL REFERENCES tagkind(id),
    linked_tag_id integer REFERENCES tag(id)
);
CREATE UNIQUE INDEX IF NOT EXISTS tag_repository_id_name_alive ON tag (repository_id, name)
    WHERE lifetime_end_ms IS NULL;
"""

LOOKUPS = {
    "teamrole": ("admin", "creator", "member"),
    "visibility": ("public", "private"),
    "repositorykind": ("image", "application"),
    "role": ("admin", "write", "read"),
    "tagkind": ("tag",),
    "mediatype": (
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ),
}


def create_schema(conninfo: dict, *, location: str) -> None:
    """Create the tables and lookup rows if missing (idempotent), including the storage location."""
    with psycopg.connect(**conninfo) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        conn.execute(DDL)
        for table, names in {**LOOKUPS, "imagestoragelocation": (location,)}.items():
            for name in names:
                conn.execute(f"INSERT INTO {table} (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", (name,))
