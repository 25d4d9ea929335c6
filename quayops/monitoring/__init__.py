"""Quay monitoring for users: Prometheus queries, the operator's dashboard as DataFrames, alerts and guide 8.2.

Talks to Prometheus (or Thanos Querier) over HTTP and to the cluster through `quayops.kube`; `traffic` loads a
registry through its public API and routes only; never imports the simulator. The PromQL is the operator's
(`quayops.operator.rendering.monitoring`), named in `queries`.
"""

from __future__ import annotations

from quayops.monitoring.alerts import RegistryHealth, active_alerts, registry_health
from quayops.monitoring.client import PrometheusClient, PrometheusError, connect
from quayops.monitoring.dashboard import plot, read_dashboard, summarize
from quayops.monitoring.enable import enable_single_namespace_monitoring, wait_for_scraping
from quayops.monitoring.reports import open_prometheus, read_alerts, read_metrics
from quayops.monitoring.traffic import (
    RegistryTraffic,
    TrafficPlan,
    apply_repositories,
    send_traffic,
    summarize_traffic,
)

__all__ = [
    "PrometheusClient", "PrometheusError", "RegistryHealth", "RegistryTraffic", "TrafficPlan", "active_alerts",
    "apply_repositories", "connect", "enable_single_namespace_monitoring", "open_prometheus", "plot", "read_alerts",
    "read_dashboard", "read_metrics", "registry_health", "send_traffic", "summarize", "summarize_traffic",
    "wait_for_scraping",
]
