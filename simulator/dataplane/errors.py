"""Why a data-plane server did not start, with the component, the missing binary or the busy port."""

from __future__ import annotations


class ServerStartError(RuntimeError):
    """A server could not start. `binary` or `port` says what was missing or busy; `hint` what to do."""

    def __init__(self, message: str, *, component: str, binary: str | None = None, port: int | None = None,
                 hint: str = "") -> None:
        self.component, self.binary, self.port, self.hint = component, binary, port, hint
        super().__init__(f"{component}: {message}" + (f". {hint}" if hint else ""))
