"""API failures → quayops' ClusterError subclasses by Status reason, keeping the server's text verbatim.

Only `kind: Status` payloads are kept; anything else is cut to 256 characters (it may be a proxy page).
"""

from __future__ import annotations

import json

from quayops.errors import ClusterError


class NotFoundError(ClusterError):
    """The object does not exist (404)."""


class AlreadyExistsError(ClusterError):
    """The object already exists (409 AlreadyExists)."""


class ConflictError(ClusterError):
    """The object changed since it was read (409 Conflict): read again and retry."""


class InvalidError(ClusterError):
    """The server refused the object's content (422 Invalid)."""


class GoneError(ClusterError):
    """A watch resourceVersion expired (410): relist."""


class ForbiddenError(ClusterError):
    """The account may not do this (401/403)."""


BY_REASON = {
    "NotFound": NotFoundError,
    "AlreadyExists": AlreadyExistsError,
    "Conflict": ConflictError,
    "Invalid": InvalidError,
    "Gone": GoneError,
    "Expired": GoneError,
    "Forbidden": ForbiddenError,
    "Unauthorized": ForbiddenError,
}


def status_error(code: int, body: bytes | str, *, action: str) -> ClusterError:
    """The ClusterError for an HTTP error answer to `action` (e.g. "create Secret quay-enterprise/x")."""
    try:
        status = json.loads(body)
    except (TypeError, ValueError):
        status = None
    if isinstance(status, dict) and status.get("kind") == "Status":
        reason, message = status.get("reason") or "", status.get("message") or ""
    else:
        reason = {404: "NotFound", 409: "Conflict", 410: "Gone", 401: "Unauthorized", 403: "Forbidden"}.get(code, "")
        text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
        message = text.strip()[:256]
    cls = BY_REASON.get(reason, ClusterError)
    err = cls(f"{action}: {message} ({reason or 'HTTP'} {code})", step=action)
    err.reason, err.code = reason, code
    return err
