"""Secrets of the simulated Quay: password hashes, OAuth access tokens, encrypted fields, registry JWTs.

Token plaintext never reaches the database: access tokens are stored as a lookup name and a code hash, as Quay does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PBKDF2_ITERATIONS = 20_000
TOKEN_ALPHABET = string.ascii_uppercase + string.digits
ACCESS_TOKEN_LENGTH = 40  # Quay: 20 characters of lookup name + 20 of secret code
REGISTRY_TOKEN_TTL = 3600


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("pbkdf2_sha256$"):
        return False
    _, iterations, salt, digest = stored.split("$")
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), _unb64(salt), int(iterations))
    return hmac.compare_digest(candidate, _unb64(digest))


def new_access_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(ACCESS_TOKEN_LENGTH))


def split_access_token(token: str) -> tuple[str, str]:
    """(token_name, token_code) as stored in oauthaccesstoken: the lookup half and the hashed secret half."""
    half = ACCESS_TOKEN_LENGTH // 2
    return token[:half], hashlib.sha256(token[half:].encode()).hexdigest()


def new_robot_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(64))


def new_password() -> str:
    return secrets.token_urlsafe(18)


def encrypt_field(key: bytes, plaintext: str) -> str:
    """AES-GCM with the key derived from DATABASE_SECRET_KEY, base64; like Quay's encrypted fields."""
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), None)).decode("ascii")


def decrypt_field(key: bytes, ciphertext: str) -> str | None:
    try:
        raw = base64.b64decode(ciphertext)
        return AESGCM(key).decrypt(raw[:12], raw[12:], None).decode()
    except (ValueError, TypeError, InvalidTag):
        return None


@dataclass(frozen=True)
class RegistryGrant:
    """Who holds a registry token and which repository actions it grants."""

    subject: str
    audience: str
    access: tuple[tuple[str, tuple[str, ...]], ...]

    def actions(self, repository: str) -> set[str]:
        return {a for name, actions in self.access if name == repository for a in actions}


def issue_registry_token(key: bytes, grant: RegistryGrant, *, now: float | None = None) -> str:
    """A JWT (HS256) carrying Docker's `access` claim, as Quay's /v2/auth issues (Quay signs with RS256)."""
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": "quay", "sub": grant.subject, "aud": grant.audience, "iat": issued, "nbf": issued,
        "exp": issued + REGISTRY_TOKEN_TTL, "jti": secrets.token_hex(8),
        "access": [{"type": "repository", "name": name, "actions": list(actions)} for name, actions in grant.access],
    }
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def verify_registry_token(key: bytes, token: str, *, audience: str, now: float | None = None
                          ) -> RegistryGrant | None:
    """The grant of a valid, unexpired token for `audience`; None otherwise."""
    try:
        header, payload, signature = token.split(".")
        expected = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            return None
        claims: dict[str, Any] = json.loads(_unb64(payload))
    except ValueError:
        return None
    if claims.get("exp", 0) < (now if now is not None else time.time()) or claims.get("aud") != audience:
        return None
    access = tuple((str(a["name"]), tuple(a["actions"])) for a in claims.get("access", [])
                   if a.get("type") == "repository")
    return RegistryGrant(subject=str(claims.get("sub", "")), audience=str(claims["aud"]), access=access)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
