"""The operator's dashboard PromQL by name, and its `$namespace`/`$service` filters filled in.

The expressions are the Quay Operator's own (kustomize/components/monitoring), kept once in
`quayops.operator.rendering.monitoring`, which also renders them into the Grafana ConfigMap.
"""

from __future__ import annotations

from quayops.operator.rendering.monitoring import PANELS, RESTARTS_ALERT, RESTARTS_EXPR, DashboardPanel

BY_KEY: dict[str, DashboardPanel] = {p.key: p for p in PANELS}

ORGANIZATIONS = BY_KEY["organizations"].expr
REPOSITORIES = BY_KEY["repositories"].expr
USERS = BY_KEY["users"].expr
ROBOTS = BY_KEY["robots"].expr
CPU = BY_KEY["cpu"].expr
MAX_MEMORY = BY_KEY["memory"].expr
IMAGE_PULLS = BY_KEY["image_pulls"].expr
IMAGE_PUSHES = BY_KEY["image_pushes"].expr
AUTHENTICATIONS = BY_KEY["authentications"].expr
API_REQUEST_RATE = BY_KEY["api_requests"].expr
API_LATENCY_P95 = BY_KEY["api_latency_p95"].expr
POD_RESTARTS_ALERT = RESTARTS_ALERT
POD_RESTARTS = RESTARTS_EXPR


def metrics_service(name: str) -> str:
    """The metrics Service of registry `name` (the `$service` of the dashboard)."""
    return f"{name}-quay-metrics"


def fill(expr: str, *, namespace: str, name: str) -> str:
    """The dashboard expression for registry `name` in `namespace`, as Grafana would send it."""
    return expr.replace("$namespace", namespace).replace("$service", metrics_service(name))
