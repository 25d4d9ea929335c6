"""The managed `route` component's 3 Routes, edge or (tls unmanaged) passthrough. Mirrors quay-operator
kustomize/components/route and pkg/middleware/middleware.go (operator-facts §5.2)."""

from __future__ import annotations

from quayops.operator.rendering.base import Context, obj


def _route(ctx: Context, suffix: str, label: str, host: str, port: str, termination: str) -> dict:
    spec: dict = {"to": {"kind": "Service", "name": ctx.n("quay-app")}, "port": {"targetPort": port},
                  "tls": {"termination": termination, "insecureEdgeTerminationPolicy": "Redirect"}}
    if host:
        spec = {"host": host, **spec}
    return obj("route.openshift.io/v1", "Route", ctx.n(suffix), component="route", label=label, spec=spec)


def render(ctx: Context) -> list[dict]:
    passthrough = not ctx.managed("tls")
    termination = "passthrough" if passthrough else "edge"
    quay = _route(ctx, "quay", "quay-app-route", ctx.server_hostname, "https" if passthrough else "http",
                  termination)
    quay["metadata"]["annotations"]["haproxy.router.openshift.io/timeout"] = "60s"
    editor = _route(ctx, "quay-config-editor", "quay-config-route", "", "http", "edge")
    editor["spec"]["to"]["name"] = ctx.n("quay-config-editor")
    builder = _route(ctx, "quay-builder", "quay-builder-route", ctx.buildman_hostname.split(":")[0], "grpc",
                     termination)
    return [quay, editor, builder]
