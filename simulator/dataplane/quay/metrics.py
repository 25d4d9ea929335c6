"""Quay's Prometheus metrics, by Quay's names and labels, in one CollectorRegistry per app.

Row-count gauges are read from the database at scrape time (Quay's globalpromstats worker reports the same).
Every sample carries the grouping key its Quay process pushes with (quay util/metrics/prometheus.py).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

ROW_GAUGES = {
    "quay_user_rows": ("users", "number of users in the database"),
    "quay_org_rows": ("orgs", "number of organizations in the database"),
    "quay_robot_rows": ("robots", "number of robot accounts in the database"),
    "quay_repository_rows": ("repositories", "number of repositories in the database"),
}
# `process_name` is the basename of the pushing process's last argument: the simulated app plays
# gunicorn-registry (`gunicorn -c gunicorn_registry.py registry:application`, which also answers the API
# here), the row counts come from `python -m workers.globalpromstats.globalpromstats`.
APP_PROCESS = "registry:application"
STATS_PROCESS = "globalpromstats.py"


class RowCounts(Collector):
    def __init__(self, count: Callable[[], dict[str, int]]) -> None:
        self._count = count

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self._count()
        for name, (key, documentation) in ROW_GAUGES.items():
            yield GaugeMetricFamily(name, documentation, value=counts[key])


class Grouped(Collector):
    """`source`'s families with the grouping key `{host, process_name, pid}` added to every sample, as Quay's
    pushgateway on port 9091 exposes what each process pushed; `host` is read per scrape (the pod's name)."""

    def __init__(self, source: Collector, *, host: Callable[[], str], process_name: str) -> None:
        self._source, self._host, self._process_name = source, host, process_name

    def collect(self) -> Iterator[Metric]:
        key = {"host": self._host(), "process_name": self._process_name, "pid": str(os.getpid())}
        for family in self._source.collect():
            grouped = Metric(family.name, family.documentation, family.type, family.unit)
            grouped.samples = [s._replace(labels={**s.labels, **key}) for s in family.samples]
            yield grouped


class QuayMetrics:
    """The metric objects the handlers update; `registry` is what the pod's port 9091 serves.

    `host` names the pod the app runs as (Quay's `socket.gethostname()`); the data plane sets it.
    """

    def __init__(self, count_rows: Callable[[], dict[str, int]], *, host: Callable[[], str] = socket.gethostname
                 ) -> None:
        own = CollectorRegistry()
        self.image_pulls = Counter("quay_registry_image_pulls_total",
                                   "number of images that have been downloaded via the registry",
                                   labelnames=["protocol", "ref", "status"], registry=own)
        self.image_pushes = Counter("quay_registry_image_pushes_total",
                                    "number of images that have been uploaded via the registry",
                                    labelnames=["protocol", "status", "media_type"], registry=own)
        self.image_pulled_bytes = Counter("quay_registry_image_pulled_estimated_bytes_total",
                                          "number of bytes that have been downloaded via the registry",
                                          labelnames=["protocol"], registry=own)
        self.request_duration = Histogram("quay_request_duration_seconds",
                                          "seconds taken to process a request",
                                          labelnames=["method", "route", "status"], registry=own)
        self.authentication = Counter("quay_authentication_attempts_total",
                                      "number of authentication attempts accross the registry and API",
                                      labelnames=["auth_kind", "success"], registry=own)
        ProcessCollector(registry=own)
        self.registry = CollectorRegistry()
        self.registry.register(Grouped(own, host=host, process_name=APP_PROCESS))
        self.registry.register(Grouped(RowCounts(count_rows), host=host, process_name=STATS_PROCESS))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_duration.labels(method=method, route=route, status=str(status)).observe(seconds)

    def count_authentication(self, kind: str, success: bool) -> None:
        self.authentication.labels(auth_kind=kind, success=str(success)).inc()
