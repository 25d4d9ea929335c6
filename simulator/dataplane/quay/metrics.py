"""Quay's Prometheus metrics, by Quay's names and labels, in one CollectorRegistry per app.

Row-count gauges are read from the database at scrape time (Quay's globalpromstats worker reports the same).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

ROW_GAUGES = {
    "quay_user_rows": ("users", "number of users in the database"),
    "quay_org_rows": ("orgs", "number of organizations in the database"),
    "quay_robot_rows": ("robots", "number of robot accounts in the database"),
    "quay_repository_rows": ("repositories", "number of repositories in the database"),
}


class RowCounts(Collector):
    def __init__(self, count: Callable[[], dict[str, int]]) -> None:
        self._count = count

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self._count()
        for name, (key, documentation) in ROW_GAUGES.items():
            yield GaugeMetricFamily(name, documentation, value=counts[key])


class QuayMetrics:
    """The metric objects the handlers update, registered in `registry`."""

    def __init__(self, count_rows: Callable[[], dict[str, int]]) -> None:
        self.registry = CollectorRegistry()
        self.image_pulls = Counter("quay_registry_image_pulls_total",
                                   "number of images that have been downloaded via the registry",
                                   labelnames=["protocol", "ref", "status"], registry=self.registry)
        self.image_pushes = Counter("quay_registry_image_pushes_total",
                                    "number of images that have been uploaded via the registry",
                                    labelnames=["protocol", "status", "media_type"], registry=self.registry)
        self.image_pulled_bytes = Counter("quay_registry_image_pulled_estimated_bytes_total",
                                          "number of bytes that have been downloaded via the registry",
                                          labelnames=["protocol"], registry=self.registry)
        self.request_duration = Histogram("quay_request_duration_seconds",
                                          "seconds taken to process a request",
                                          labelnames=["method", "route", "status"], registry=self.registry)
        self.authentication = Counter("quay_authentication_attempts_total",
                                      "number of authentication attempts accross the registry and API",
                                      labelnames=["auth_kind", "success"], registry=self.registry)
        ProcessCollector(registry=self.registry)
        self.registry.register(RowCounts(count_rows))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_duration.labels(method=method, route=route, status=str(status)).observe(seconds)

    def count_authentication(self, kind: str, success: bool) -> None:
        self.authentication.labels(auth_kind=kind, success=str(success)).inc()
