"""One call per `quayops metrics` / `quayops alerts`: find Prometheus (URL, or the cluster's Route), then read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quayops.monitoring.alerts import active_alerts
from quayops.monitoring.client import PrometheusClient, connect
from quayops.monitoring.dashboard import DEFAULT_WINDOW, Window, read_dashboard, summarize

if TYPE_CHECKING:
    import pandas as pd


def open_prometheus(prometheus: str | None = None, *, context: str | None = None) -> PrometheusClient:
    """A client for the URL, or for the thanos-querier Route of the kubeconfig `context`."""
    if prometheus:
        return connect(prometheus, context=context)
    from quayops.kube.client import Cluster

    return connect(cluster=Cluster.connect(context), context=context)


def read_metrics(name: str, *, namespace: str, window: Window = DEFAULT_WINDOW, prometheus: str | None = None,
                 context: str | None = None) -> pd.DataFrame:
    """The dashboard figures of registry `name` over `window`: last, min, mean, max per panel and series."""
    return summarize(read_dashboard(open_prometheus(prometheus, context=context), name, namespace=namespace,
                               window=window))


def read_alerts(*, namespace: str | None = None, prometheus: str | None = None,
                context: str | None = None) -> pd.DataFrame:
    """Alerts firing and pending now (in `namespace`, or everywhere), with their runbooks."""
    return active_alerts(open_prometheus(prometheus, context=context), namespace=namespace)
