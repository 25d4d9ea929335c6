"""The first user through the API (guide 3.1.1, 4.1.3.1): `POST /api/v1/user/initialize` on the registry
endpoint, then a login check as `podman login` does it (`/v2/auth` with basic credentials)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from quayops.errors import StepFailedError
from quayops.install import InstallParametersInvalid
from quayops.runbooks.secrets import mark_secret

# Quay's answers, verbatim (guide 4.1.3.1)
NON_EMPTY = "Cannot initialize user in a non-empty database"
INVALID_PASSWORD = ("Failed to initialize user: Invalid password, password must be at least 8 characters and "
                    "contain no whitespace.")
_USERNAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")


@dataclass
class FirstUser:
    """The outcome of initialize; `token` (the OAuth access token) is never shown, only whether one was issued."""

    username: str
    email: str
    result: str
    token: str | None = field(default=None, repr=False)

    def table(self):
        import pandas as pd

        return pd.DataFrame([{"username": self.username, "email": self.email, "result": self.result,
                              "access token": "issued" if self.token else "none"}])


def check_first_user(username: str, password: str, email: str) -> None:
    """Refuse what Quay would refuse, before any request: InstallParametersInvalid says what to change."""
    if not _USERNAME.match(username or "") or not 2 <= len(username) <= 255:
        raise InstallParametersInvalid(f"username {username!r} is not a valid Quay user name", field="username",
                                       hint="Use lowercase letters, digits and . _ - (e.g. quayadmin).")
    if len(password) < 8 or any(ch.isspace() for ch in password):
        raise InstallParametersInvalid(
            f"the first user's password would be refused: {INVALID_PASSWORD!r}", field="password",
            hint="Put a password of 8 or more characters without whitespace in the Secret or variable that "
                 "`password` references. Nothing was sent to the registry.")
    if "@" not in (email or ""):
        raise InstallParametersInvalid(f"email {email!r} is not an e-mail address", field="email",
                                       hint="Give an address such as quayadmin@example.com.")


def initialize_first_user(session, endpoint: str, *, username: str, password: str, email: str) -> FirstUser:
    """Create the first user with an OAuth token (`access_token: true`); the token is marked secret.

    If the database already has users and this user's login works, the step counts as done (a rerun);
    otherwise StepFailedError carries Quay's message and what to do.
    """
    check_first_user(username, password, email)
    mark_secret(password)
    response = session.post(f"{endpoint}/api/v1/user/initialize", timeout=30, json={
        "username": username, "password": password, "email": email, "access_token": True})
    body = _json(response)
    if response.status_code == 200:
        mark_secret(body.get("access_token") or "")
        mark_secret(body.get("encrypted_password") or "")
        return FirstUser(body.get("username", username), body.get("email", email), "created", body.get("access_token"))
    message = body.get("message") or response.text[:200]
    if message == NON_EMPTY and login_works(session, endpoint, username=username, password=password):
        return FirstUser(username, email, "already initialized; login works")
    hint = {NON_EMPTY: "The database already has users: log in with an existing superuser, or deploy a fresh "
                       "registry.",
            INVALID_PASSWORD: "Use a password of 8 or more characters without whitespace."}.get(
        message, "Check that FEATURE_USER_INITIALIZE is true in the config bundle (guide 3.1.1).")
    raise StepFailedError(f"user initialize refused (HTTP {response.status_code}): {message}. No user was created.",
                          step="initialize", hint=hint)


def login_works(session, endpoint: str, *, username: str, password: str) -> bool:
    """Whether the registry accepts the credentials (`/v2/auth`, as `podman login` checks them)."""
    host = urlsplit(endpoint).hostname
    response = session.get(f"{endpoint}/v2/auth", params={"service": host, "account": username},
                           auth=(username, password), timeout=30)
    if response.status_code == 200:
        mark_secret(_json(response).get("token") or "")
    return response.status_code == 200


def verify_first_user(session, endpoint: str, *, username: str, password: str, token: str | None = None):
    """The checks after initialize as a DataFrame (check, ok, detail): registry login and, with the token,
    the API's view of the user (superuser or not)."""
    import pandas as pd

    rows = [{"check": "registry login (/v2/auth)", "ok": login_works(session, endpoint, username=username,
                                                                     password=password),
             "detail": f"{username} with the referenced password"}]
    if token:
        response = session.get(f"{endpoint}/api/v1/user/", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        user = _json(response)
        rows.append({"check": "API as the user (/api/v1/user/)", "ok": user.get("username") == username,
                     "detail": f"username {user.get('username')}, super_user {user.get('super_user')}"})
    table = pd.DataFrame(rows, columns=["check", "ok", "detail"])
    if not table["ok"].all():
        failed = ", ".join(table.loc[~table["ok"], "check"])
        raise StepFailedError(f"first user {username} exists but {failed} failed.", step="verify",
                              hint="Check the password the reference names, and the registry's authentication.")
    return table


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
