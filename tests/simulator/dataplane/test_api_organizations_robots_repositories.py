"""The Quay API runbooks use: organizations, superuser user list and create, robots, repositories."""

from __future__ import annotations

import requests

ADMIN = "quayadmin"  # the first user admin_registry initializes


def test_api_requires_a_bearer_token(registry):
    registry.initialize()
    response = requests.get(registry.app.url + "/api/v1/repository", params={"namespace": ADMIN}, timeout=10)
    assert response.status_code == 401


def test_org_robot_repository_created_and_listed(admin_registry):
    r = admin_registry
    robot = r.api("PUT", "/api/v1/organization/acme/robots/builder", json={"description": "CI"})
    assert robot.status_code == 201
    assert robot.json()["name"] == "acme+builder" and len(robot.json()["token"]) == 64
    robots = r.api("GET", "/api/v1/organization/acme/robots").json()["robots"]
    assert [(x["name"], x["description"], x["token"]) for x in robots] == [
        ("acme+builder", "CI", robot.json()["token"])]
    assert r.api("PUT", "/api/v1/organization/acme/robots/builder").json() == {
        "message": "Existing robot with name: acme+builder"}

    repos = r.api("GET", "/api/v1/repository", params={"namespace": "acme"}).json()["repositories"]
    assert [(x["namespace"], x["name"], x["is_public"], x["kind"]) for x in repos] == [
        ("acme", "app", False, "image")]
    assert r.api("GET", "/api/v1/repository").json() == {
        "message": "namespace, starred or public are required for this API call"}
    assert r.api("POST", "/api/v1/repository", json={"namespace": "acme", "repository": "app",
                                                    "visibility": "private"}).json() == {
        "message": "Repository already exists"}

    assert r.rows('SELECT username, organization, robot FROM "user" ORDER BY id') == [
        (ADMIN, False, False), ("acme", True, False), ("acme+builder", False, True)]
    assert r.rows("SELECT r.name, v.name FROM repository r JOIN visibility v ON v.id = r.visibility_id") == [
        ("app", "private")]
    # the robot token is stored encrypted, never in clear
    assert all(robot.json()["token"] not in t for (t,) in r.rows("SELECT token FROM robotaccounttoken"))


def test_superuser_creates_and_lists_users(admin_registry):
    r = admin_registry
    created = r.api("POST", "/api/v1/superuser/users/", json={"username": "alice", "email": "alice@example.com"})
    assert created.status_code == 200 and len(created.json()["password"]) >= 8
    users = r.api("GET", "/api/v1/superuser/users/").json()["users"]
    assert [(u["username"], u["super_user"]) for u in users] == [("alice", False), (ADMIN, True)]
    taken = r.api("POST", "/api/v1/organization/", json={"name": "alice"})
    assert taken.json() == {"message": "A user or organization with this name already exists"}
