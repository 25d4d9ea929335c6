"""quayops' error types. Every error names the field, component or step it is about and, where one is
obvious, what to do (`hint`); `str()` is for people, the attributes for programs."""

from __future__ import annotations


class QuayopsError(Exception):
    """Root of quayops' errors."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        component: str | None = None,
        step: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.component = component
        self.step = step
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class BundleUnreadable(QuayopsError):
    """A config bundle could not be read at all (missing path, bad Secret manifest, bad base64)."""


class BundleInvalid(QuayopsError):
    """A config bundle failed validation."""


class RegistryInvalid(QuayopsError):
    """A QuayRegistry manifest is malformed or the operator would refuse it."""


class PreconditionFailed(QuayopsError):
    """A procedure's precondition does not hold; nothing was changed."""


class StepFailedError(QuayopsError):
    """A runbook or procedure step failed; `step` names it and the message says what state it left."""


class ClusterError(QuayopsError):
    """The cluster's API refused or failed a request; the Status reason is kept verbatim."""
