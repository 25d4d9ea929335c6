"""Store errors typed after the kube-apiserver Status reason they become on the wire."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Cause:
    """One `details.causes[]` entry: a field and what is wrong with it."""

    reason: str
    message: str
    field: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {"reason": self.reason, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


class StatusError(Exception):
    """A failure the API server reports as a `metav1.Status` with this code and reason."""

    code: ClassVar[int] = 500
    reason: ClassVar[str] = "InternalError"

    def __init__(self, message: str, *, name: str = "", group: str = "", kind: str = "",
                 causes: tuple[Cause, ...] = (), retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
        self.retry_after_seconds = retry_after_seconds

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        if self.group:
            out["group"] = self.group
        if self.kind:
            out["kind"] = self.kind
        if self.causes:
            out["causes"] = [c.to_dict() for c in self.causes]
        if self.retry_after_seconds is not None:
            out["retryAfterSeconds"] = self.retry_after_seconds
        return out


class BadRequest(StatusError):
    code = 400
    reason = "BadRequest"


class Unauthorized(StatusError):
    code = 401
    reason = "Unauthorized"


class Forbidden(StatusError):
    code = 403
    reason = "Forbidden"


class NotFound(StatusError):
    code = 404
    reason = "NotFound"


class MethodNotAllowed(StatusError):
    code = 405
    reason = "MethodNotAllowed"


class NotAcceptable(StatusError):
    code = 406
    reason = "NotAcceptable"


class AlreadyExists(StatusError):
    code = 409
    reason = "AlreadyExists"


class Conflict(StatusError):
    code = 409
    reason = "Conflict"


class Gone(StatusError):
    code = 410
    reason = "Gone"


class Expired(StatusError):
    """A resourceVersion or continue token older than the event window (410, reason Expired)."""

    code = 410
    reason = "Expired"


class RequestEntityTooLarge(StatusError):
    code = 413
    reason = "RequestEntityTooLarge"


class UnsupportedMediaType(StatusError):
    code = 415
    reason = "UnsupportedMediaType"


class Invalid(StatusError):
    code = 422
    reason = "Invalid"


class TooManyRequests(StatusError):
    code = 429
    reason = "TooManyRequests"


class InternalError(StatusError):
    code = 500
    reason = "InternalError"


class ServiceUnavailable(StatusError):
    code = 503
    reason = "ServiceUnavailable"


def not_found(resource: str, name: str, *, group: str = "", kind: str = "") -> NotFound:
    """`deployments.apps "x" not found`, as kube-apiserver words it."""
    return NotFound(f'{resource} "{name}" not found', name=name, group=group, kind=kind)


def already_exists(resource: str, name: str, *, group: str = "", kind: str = "") -> AlreadyExists:
    return AlreadyExists(f'{resource} "{name}" already exists', name=name, group=group, kind=kind)


def conflict(resource: str, name: str, *, group: str = "", kind: str = "") -> Conflict:
    return Conflict(
        f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        name=name, group=group, kind=kind,
    )


def invalid(kind: str, group: str, name: str, causes: list[Cause]) -> Invalid:
    """`Deployment.apps "x" is invalid: spec.selector: Invalid value: ...`, one or many causes."""
    qualified = f"{kind}.{group}" if group else kind
    texts = [f"{c.field}: {c.message}" if c.field else c.message for c in causes]
    body = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return Invalid(f'{qualified} "{name}" is invalid: {body}', name=name, group=group, kind=kind,
                   causes=tuple(causes))
