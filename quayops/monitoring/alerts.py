"""Alerts firing and pending (Prometheus `/api/v1/alerts`), the runbook for Quay's alert, and a health summary
joining them with the QuayRegistry's component conditions (`quayops.reconcile.describe_objects`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from quayops.kube.client import Cluster
from quayops.monitoring.client import PrometheusClient
from quayops.monitoring.dashboard import COLUMNS, TIME_DTYPE, Window
from quayops.monitoring.queries import POD_RESTARTS_ALERT

if TYPE_CHECKING:
    import pandas as pd

RULE_COLUMNS = ["alert", "state", "for", "query", "group", "file", "health", "active"]
ALERT_COLUMNS = ["alertname", "state", "severity", "namespace", "pod", "active_since", "value", "description",
                 "runbook"]
RUNBOOKS = {
    POD_RESTARTS_ALERT: (
        "A Quay pod restarted more than 5 times in the last hour. Run `quayops status NAME -n NS` for the "
        "component conditions, then `oc logs --previous` on the pod and `oc get events` in the namespace: "
        "an invalid config bundle, an unreachable database, Redis or object storage, or an OOM kill are the "
        "usual causes (guide 7.1.3)."),
}
# component → the rendered Deployment suffix whose pods it owns (operator-facts §5)
COMPONENT_PODS = {"quay": "quay-app", "clair": "clair-app", "postgres": "quay-database", "redis": "quay-redis",
                  "mirror": "quay-mirror", "clairpostgres": "clair-postgres"}


def _description(alert: dict) -> str:
    annotations = alert.get("annotations") or {}
    return annotations.get("description") or annotations.get("message") or annotations.get("summary") or ""


def frame_alerts(raw: list[dict], *, namespace: str | None = None,
                 states: tuple[str, ...] = ("firing", "pending")) -> pd.DataFrame:
    """Prometheus' alert objects as rows, firing first, then by start time; `namespace` filters on the label."""
    import pandas as pd

    rows = []
    for a in raw:
        labels = a.get("labels") or {}
        if a.get("state") not in states or (namespace and labels.get("namespace") != namespace):
            continue
        rows.append({"alertname": labels.get("alertname", ""), "state": a["state"],
                     "severity": labels.get("severity", ""), "namespace": labels.get("namespace", ""),
                     "pod": labels.get("pod", ""), "active_since": pd.Timestamp(a.get("activeAt")).tz_convert("UTC"),
                     "value": float(a.get("value") or "nan"), "description": _description(a),
                     "runbook": RUNBOOKS.get(labels.get("alertname", ""), "")})
    frame = pd.DataFrame(rows, columns=ALERT_COLUMNS).astype({"active_since": TIME_DTYPE, "value": "float64"})
    if frame.empty:
        return frame
    order = frame["state"].map({"firing": 0, "pending": 1}).fillna(2)
    return (frame.assign(_order=order).sort_values(["_order", "active_since", "alertname", "pod"])
            .drop(columns="_order").reset_index(drop=True))


def active_alerts(client: PrometheusClient, *, namespace: str | None = None,
           states: tuple[str, ...] = ("firing", "pending")) -> pd.DataFrame:
    """Alerts in `states` now, optionally in one namespace, with the runbook to follow."""
    return frame_alerts(client.get("/api/v1/alerts").get("alerts") or [], namespace=namespace, states=states)


def read_alert_rules(client: PrometheusClient, *, namespace: str | None = None) -> pd.DataFrame:
    """The alerting rules Prometheus evaluates, as loaded (durations as Prometheus reports them, in seconds):
    name, state, `for`, query, group, rule file, health and how many alerts are active. `namespace` keeps the
    rules of that namespace's PrometheusRules (files named `<namespace>-<name>`)."""
    import pandas as pd

    rows = []
    for group in client.get("/api/v1/rules", {"type": "alert"}).get("groups") or []:
        file = str(group.get("file", "")).rsplit("/", 1)[-1]
        if namespace and not file.startswith(f"{namespace}-"):
            continue
        rows += [{"alert": r.get("name", ""), "state": r.get("state", ""), "for": float(r.get("duration") or 0),
                  "query": r.get("query", ""), "group": group.get("name", ""), "file": file,
                  "health": r.get("health", ""), "active": len(r.get("alerts") or [])}
                 for r in group.get("rules") or [] if r.get("type") == "alerting"]
    return pd.DataFrame(rows, columns=RULE_COLUMNS)


def read_restarts(client: PrometheusClient, name: str, *, namespace: str, window: Window = "1h",
                  step: str | None = None) -> pd.DataFrame:
    """Container restarts of the registry's quay-app pods over `window` (kube-state-metrics), by pod: the
    series `QuayPodFrequentlyRestarting` watches."""
    import pandas as pd

    query = f'kube_pod_container_status_restarts_total{{namespace="{namespace}", pod=~"{name}-quay-app-.*"}}'
    rows = [(float(ts), r["metric"].get("pod", ""), float(v))
            for r in client.query_range(query, window=window, step=step) for ts, v in r["values"]]
    frame = pd.DataFrame(rows, columns=COLUMNS).assign(
        time=lambda f: pd.to_datetime(f["time"], unit="s", utc=True)).astype(
        {"time": TIME_DTYPE, "series": "str", "value": "float64"})
    frame.attrs.update(panel="restarts", title="quay-app container restarts", unit="restarts", query=query)
    return frame


@dataclass
class RegistryHealth:
    """A registry's verdict: its components with the alerts on their pods, and alerts not tied to a component."""

    verdict: str  # healthy | alerting | unavailable
    available: bool
    components: pd.DataFrame
    other_alerts: pd.DataFrame


def join_health(name: str, components: pd.DataFrame, alerts_frame: pd.DataFrame, *,
                available: bool) -> RegistryHealth:
    """Attach each alert to the component owning its pod (`<name>-<suffix>-…`); pure."""
    def owner(pod: str) -> str | None:
        return next((c for c, suffix in COMPONENT_PODS.items() if pod.startswith(f"{name}-{suffix}-")), None)

    owners = alerts_frame["pod"].map(owner) if not alerts_frame.empty else alerts_frame["pod"]
    labels = (alerts_frame["alertname"] + " (" + alerts_frame["state"] + ")") if not alerts_frame.empty else None
    joined = components.assign(alerts=[
        ", ".join(labels[owners == c]) if labels is not None else "" for c in components["component"]])
    other = alerts_frame[owners.isna()].reset_index(drop=True) if not alerts_frame.empty else alerts_frame
    verdict = "unavailable" if not available else "alerting" if not alerts_frame.empty else "healthy"
    return RegistryHealth(verdict, available, joined, other)


def registry_health(client: PrometheusClient, cluster: Cluster, name: str, *, namespace: str) -> RegistryHealth:
    """The QuayRegistry's component conditions joined with the alerts firing or pending in its namespace."""
    from quayops.model.quayregistry import API_VERSION, KIND
    from quayops.reconcile import describe_objects, is_available, read_registry_objects

    registry = cluster.get(API_VERSION, KIND, name, namespace=namespace)
    description = describe_objects(registry, read_registry_objects(cluster, namespace))
    return join_health(name, description.components, active_alerts(client, namespace=namespace),
                       available=is_available(registry))
