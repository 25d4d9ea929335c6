"""The first user: Quay's password rule before any request, initialize, and a rerun on a non-empty database."""

from __future__ import annotations

import pytest

from quayops.errors import StepFailedError
from quayops.install import InstallParametersInvalid
from quayops.install.firstuser import INVALID_PASSWORD, NON_EMPTY, check_first_user, initialize_first_user


class Response:
    def __init__(self, status: int, body: dict) -> None:
        self.status_code, self.body, self.text = status, body, str(body)

    def json(self) -> dict:
        return self.body


class Session:
    """A requests-like stub answering initialize and /v2/auth as given; it records the calls."""

    def __init__(self, initialize: Response, auth_status: int = 200) -> None:
        self.initialize, self.auth_status, self.calls = initialize, auth_status, []

    def post(self, url, **kw):
        self.calls.append(("POST", url, kw))
        return self.initialize

    def get(self, url, **kw):
        self.calls.append(("GET", url, kw))
        return Response(self.auth_status, {"token": "registry-jwt"} if self.auth_status == 200 else {})


def test_a_password_under_8_characters_is_refused_with_quays_words():
    with pytest.raises(InstallParametersInvalid) as e:
        check_first_user("quayadmin", "short1", "q@example.com")
    assert e.value.field == "password" and INVALID_PASSWORD in e.value.message


def test_whitespace_in_the_password_is_refused():
    with pytest.raises(InstallParametersInvalid):
        check_first_user("quayadmin", "has space inside", "q@example.com")


def test_initialize_posts_the_guides_body_and_keeps_the_token_out_of_the_table():
    session = Session(Response(200, {"username": "quayadmin", "email": "q@example.com", "access_token": "TOKEN123"}))
    user = initialize_first_user(session, "https://quay", username="quayadmin", password="quaypass123",
                                 email="q@example.com")
    assert session.calls[0][2]["json"] == {"username": "quayadmin", "password": "quaypass123",
                                           "email": "q@example.com", "access_token": True}
    assert user.token == "TOKEN123" and "TOKEN123" not in user.table().to_string()


def test_a_rerun_on_a_non_empty_database_passes_when_the_login_works():
    user = initialize_first_user(Session(Response(400, {"message": NON_EMPTY})), "https://quay", username="quayadmin",
                                 password="quaypass123", email="q@example.com")
    assert user.result == "already initialized; login works"


def test_a_non_empty_database_with_another_password_fails_saying_so():
    with pytest.raises(StepFailedError, match="Cannot initialize user in a non-empty database. No user was created."):
        initialize_first_user(Session(Response(400, {"message": NON_EMPTY}), auth_status=401), "https://quay",
                              username="quayadmin", password="quaypass123", email="q@example.com")
