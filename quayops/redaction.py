"""The one place that knows which values are secret and how to mask them.

Used by error messages, CLI output, DataFrames, run records and notebooks: executed notebooks and logs
are shared artifacts, so passwords, keys, tokens and DB URI passwords never reach them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

MASK = "*****"

# Key names (any case) whose values are secret. Matched against the last path component.
_SECRET_KEY = re.compile(
    r"(pass(wd|word)?|secret|token|psk|private|credential|(^|_)(access|account|secret|api|sas)_?key"
    r"|^key$|_key$|^DB_URI$|connstring|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|DB_ROOT_PW|_PW$)",
    re.IGNORECASE,
)
# Keys that look secret by name but hold no secret.
_NOT_SECRET = re.compile(
    r"^(cloudfront_key_id|cloudfront_privatekey_filename|SECURITY_SCANNER_V4_PSK_FILE|"
    r"FEATURE_APP_SPECIFIC_TOKENS|APP_SPECIFIC_TOKEN_EXPIRATION|EXPIRED_APP_SPECIFIC_TOKEN_GC|"
    r"USER_RECOVERY_TOKEN_LIFETIME|PASSWORD_REQUIREMENTS|configEditorCredentialsSecret|"
    r"configBundleSecret|secretName|secretKeyRef)$"
)
_URI_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<tail>@)")
_CONNSTRING_PASSWORD = re.compile(r"(?P<head>\bpassword=)(?P<pw>\S+)")


def is_secret_key(name: str) -> bool:
    """Whether a config or Secret key holds a secret value (by Quay's and Kubernetes' key names)."""
    return bool(_SECRET_KEY.search(name)) and not _NOT_SECRET.match(name)


def mask_uri(text: str) -> str:
    """Mask the password of every URI (`scheme://user:pw@host`) and libpq `password=` in a text."""
    text = _URI_PASSWORD.sub(lambda m: m["head"] + MASK + m["tail"], text)
    return _CONNSTRING_PASSWORD.sub(lambda m: m["head"] + MASK, text)


def redact(value: Any, *, key: str = "") -> Any:
    """A copy of a config, manifest or record with every secret value masked.

    Mappings are walked by key name; strings anywhere get URI passwords masked. Non-empty secret
    values become `*****`, empty ones stay empty so "missing" remains visible.
    """
    if isinstance(value, Mapping):
        return {k: redact(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, key=key) for v in value]
    if key and is_secret_key(key) and value not in (None, "", b""):
        if key.upper() == "DB_URI" and isinstance(value, str):
            return mask_uri(value)
        return MASK
    if isinstance(value, str):
        return mask_uri(value)
    return value


def secret_values(value: Any, *, key: str = "") -> set[str]:
    """Every secret string inside a config or manifest: values of secret keys and URI passwords.

    The scrubber replaces these wherever they appear, even inside messages that quote them.
    """
    found: set[str] = set()
    if isinstance(value, Mapping):
        for k, v in value.items():
            found |= secret_values(v, key=str(k))
    elif isinstance(value, (list, tuple)):
        for v in value:
            found |= secret_values(v, key=key)
    elif isinstance(value, str):
        if key and is_secret_key(key) and key.upper() != "DB_URI":
            found.add(value)
        for m in _URI_PASSWORD.finditer(value):
            found.add(m["pw"])
        for m in _CONNSTRING_PASSWORD.finditer(value):
            found.add(m["pw"])
        if key.upper() == "DB_URI" and (pw := urlsplit(value).password):
            found.add(pw)
    return {s for s in found if len(s) >= 4}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value in a text with the mask, longest first."""
    for s in sorted(set(secrets), key=len, reverse=True):
        if s:
            text = text.replace(s, MASK)
    return mask_uri(text)
