"""The `tls` component renders nothing of its own: it selects the unmanaged-tls overlay (HTTPS probes,
passthrough routes) and the TLS secret's keys (operator-facts §5.1, §5.2)."""

from __future__ import annotations

from quayops.operator.rendering.base import Context


def render(ctx: Context) -> list[dict]:
    return []
