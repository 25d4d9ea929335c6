"""Keys kept between reconciles and the credentials generated once.

Mirrors quay-operator controllers/quay/features.go checkManagedKeys and pkg/kustomize/kustomize.go
Inflate/KustomizationFor (operator-facts §7).
"""

from __future__ import annotations

import base64
import random as random_module
from dataclasses import dataclass, replace

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-"
SECRET_KEY_LENGTH = 80
DB_ROOT_PW_LENGTH = 32
CONFIG_EDITOR_PW_LENGTH = 16
PSK_SOURCE_LENGTH = 32
MANAGED_KEYS_SUFFIX = "quay-registry-managed-secret-keys"


@dataclass(frozen=True)
class ManagedKeys:
    """The data of `<name>-quay-registry-managed-secret-keys` (empty strings when unknown)."""

    DATABASE_SECRET_KEY: str = ""
    SECRET_KEY: str = ""
    DB_URI: str = ""
    DB_ROOT_PW: str = ""
    CONFIG_EDITOR_PW: str = ""
    SECURITY_SCANNER_V4_PSK: str = ""

    @classmethod
    def from_secret_data(cls, data: dict[str, bytes]) -> ManagedKeys:
        """From a stored Secret's (decoded) data; missing keys are empty."""
        return cls(**{k: data.get(k, b"").decode() for k in cls.__dataclass_fields__})

    def as_data(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def random_string(rng: random_module.Random, length: int) -> str:
    """generateRandomString: `length` characters of 0-9A-Za-z and '-'."""
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def resolve_keys(
    config: dict,
    stored: ManagedKeys | None,
    *,
    name: str,
    postgres_managed: bool,
    clair_managed: bool,
    rng: random_module.Random,
) -> tuple[ManagedKeys, bool]:
    """The keys for this render and whether the database config changed (which renders the upgrade Job).

    User values win for DATABASE_SECRET_KEY, SECRET_KEY and DB_URI; otherwise stored values; otherwise
    generated. DB_ROOT_PW and CONFIG_EDITOR_PW are generated once; the PSK when clair needs one.
    """
    keys = stored or ManagedKeys()
    for field_name in ("DATABASE_SECRET_KEY", "SECRET_KEY"):
        user = config.get(field_name)
        if isinstance(user, str) and user:
            keys = replace(keys, **{field_name: user})
        elif not getattr(keys, field_name):
            keys = replace(keys, **{field_name: random_string(rng, SECRET_KEY_LENGTH)})
    user_uri = config.get("DB_URI")
    db_changed = False
    if isinstance(user_uri, str) and user_uri:
        db_changed = user_uri != keys.DB_URI
        keys = replace(keys, DB_URI=user_uri)
    elif postgres_managed and not keys.DB_URI:
        db = f"{name}-quay-database"
        password = random_string(rng, SECRET_KEY_LENGTH)
        keys = replace(keys, DB_URI=f"postgresql://{db}:{password}@{db}:5432/{db}")
        db_changed = True
    if not keys.DB_ROOT_PW:
        keys = replace(keys, DB_ROOT_PW=random_string(rng, DB_ROOT_PW_LENGTH))
    if not keys.CONFIG_EDITOR_PW:
        keys = replace(keys, CONFIG_EDITOR_PW=random_string(rng, CONFIG_EDITOR_PW_LENGTH))
    if clair_managed and not keys.SECURITY_SCANNER_V4_PSK:
        psk = base64.b64encode(random_string(rng, PSK_SOURCE_LENGTH).encode()).decode()
        keys = replace(keys, SECURITY_SCANNER_V4_PSK=psk)
    return keys, db_changed
