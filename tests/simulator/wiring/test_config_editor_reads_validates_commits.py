"""The config editor through its route (guide 5.3, 6.1): GET /api/v1/config with quayconfig and the password from
the credentials Secret (a wrong one gets 401), validation rows, and a commit that goes through the operator's
reconfigure: a new bundle Secret, re-derived components, and Quay restarted with the new config."""

from __future__ import annotations

import base64

import pytest

from quayops.config.fieldgroups.timemachine import DEFAULT_NOT_IN_OPTIONS
from quayops.operator.rendering.base import CONFIG_EDITOR_USER


@pytest.fixture
def editor(deploy):
    r = deploy()
    status = r.registry()["status"]
    password = r.secret(status["configEditorCredentialsSecret"])["password"]
    return r, status["configEditorEndpoint"], password


def test_get_config_with_the_right_password_and_not_the_wrong_one(editor):
    r, endpoint, password = editor
    response = r.session.get(f"{endpoint}/api/v1/config", auth=(CONFIG_EDITOR_USER, password), timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["config.yaml"]["SERVER_HOSTNAME"] == r.host
    assert body["config.yaml"]["SUPER_USERS"] == ["quayadmin"]
    assert body["config.yaml"]["DB_URI"].startswith(f"postgresql://{r.name}-quay-database:")
    assert base64.b64decode(body["certs"]["ocp-cluster-wildcard.cert"]).startswith(b"-----BEGIN CERTIFICATE-----")
    wrong = r.session.get(f"{endpoint}/api/v1/config", auth=(CONFIG_EDITOR_USER, password + "x"), timeout=30)
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert r.session.get(f"{endpoint}/api/v1/config", timeout=30).status_code == 401


def test_validate_then_commit_reconfigures_the_registry(editor, wait_until):
    r, endpoint, password = editor
    auth = (CONFIG_EDITOR_USER, password)
    current = r.session.get(f"{endpoint}/api/v1/config", auth=auth, timeout=30).json()
    broken = {**current, "config.yaml": {**current["config.yaml"], "TAG_EXPIRATION_OPTIONS": ["4w"],
                                         "DEFAULT_TAG_EXPIRATION": "2w"}}
    rows = r.session.post(f"{endpoint}/api/v1/config/validate", params={"mode": "online"}, json=broken, auth=auth,
                          timeout=30).json()
    assert [(x["FieldGroup"], x["Message"]) for x in rows] == [("TimeMachine", DEFAULT_NOT_IN_OPTIONS)]

    # guide 6.1.3: add an expiration period, validate, reconfigure; the UI sends the read-only field groups
    edited = {**current, "config.yaml": {**current["config.yaml"], "TAG_EXPIRATION_OPTIONS": ["2w", "4w"],
                                         "DEFAULT_TAG_EXPIRATION": "2w"}}
    assert r.session.post(f"{endpoint}/api/v1/config/validate", json=edited, auth=auth, timeout=30).json() == []
    pod = r.cluster.get("apps/v1", "Deployment", f"{r.name}-quay-config-editor", namespace=r.namespace)
    managed = pod["spec"]["template"]["metadata"]["annotations"]["quay-managed-fieldgroups"].split(",")
    before = {c["kind"]: c["managed"] for c in r.registry()["spec"]["components"]}
    committed = r.session.post(f"{endpoint}/api/v1/config/operator", json={**edited, "managedFieldGroups": managed},
                               auth=auth, timeout=30)
    assert committed.status_code == 200, committed.text
    assert "DB_URI" not in committed.json()["config.yaml"]
    spec = r.registry()["spec"]
    assert spec["configBundleSecret"].startswith(f"{r.name}-quay-config-bundle-")
    assert {c["kind"]: c["managed"] for c in spec["components"]} == before  # managed fields left to the operator
    wait_until(lambda: r.session.get(f"{endpoint}/api/v1/config", auth=auth, timeout=30).json()["config.yaml"]
               .get("TAG_EXPIRATION_OPTIONS") == ["2w", "4w"], timeout=90, what="the rolled config")
    wait_until(lambda: r.session.get(f"{r.endpoint}/health/instance", timeout=10).status_code == 200, timeout=90,
               what="Quay serving the new config")
