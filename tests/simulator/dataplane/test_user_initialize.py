"""POST /api/v1/user/initialize with the guide's semantics (4.1.3.1) and exact messages."""

from __future__ import annotations

SHORT = ("Failed to initialize user: Invalid password, password must be at least 8 characters and contain "
         "no whitespace.")


def test_first_user_gets_an_access_token_and_encrypted_password(registry):
    body = registry.initialize()
    ADMIN, ADMIN_EMAIL, ADMIN_PASSWORD = registry.admin, registry.admin_email, registry.admin_password
    assert set(body) == {"access_token", "email", "encrypted_password", "username"}
    assert (body["username"], body["email"]) == (ADMIN, ADMIN_EMAIL)
    assert len(body["access_token"]) == 40 and body["encrypted_password"] != ADMIN_PASSWORD
    me = registry.api("GET", "/api/v1/user/")
    assert me.status_code == 200 and me.json()["username"] == ADMIN and me.json()["super_user"] is True
    rows = registry.rows('SELECT username, organization, robot, password_hash FROM "user"')
    assert [r[:3] for r in rows] == [(ADMIN, False, False)] and ADMIN_PASSWORD not in rows[0][3]


def test_second_initialize_is_refused(registry):
    registry.initialize()
    again = registry.api("POST", "/api/v1/user/initialize",
                         json={"username": "other", "password": "otherpass123", "access_token": True})
    assert (again.status_code, again.json()) == (400, {"message": "Cannot initialize user in a non-empty database"})


def test_short_or_whitespace_password_gets_the_guides_message(registry):
    for password in ("short", "has a space1"):
        response = registry.api("POST", "/api/v1/user/initialize",
                                json={"username": registry.admin, "password": password, "access_token": True})
        assert (response.status_code, response.json()) == (400, {"message": SHORT})
    assert registry.rows('SELECT count(*) FROM "user"') == [(0,)]


def test_initialize_needs_the_feature_flag(make_registry):
    registry = make_registry(FEATURE_USER_INITIALIZE=False)
    response = registry.api("POST", "/api/v1/user/initialize",
                            json={"username": registry.admin, "password": registry.admin_password,
                                  "access_token": True})
    assert (response.status_code, response.json()) == (
        400, {"message": "Cannot initialize user, FEATURE_USER_INITIALIZE is False"})
