"""A Prometheus query client over prometheus-api-client, found by URL or through OpenShift's `thanos-querier` Route.

Pitfalls of the underlying client handled here: windows are computed when a call runs (never at import),
range queries always carry an explicit step, retries are bounded, and failures become PrometheusError
naming the URL. Route hosts the machine cannot resolve (the simulator's) go through `quayops.kube.resolve`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from urllib3.util.retry import Retry

from quayops.errors import ClusterError
from quayops.kube.client import Cluster
from quayops.kube.resolve import RESOLVE_ENV, Resolve, ResolvingAdapter, resolve_map

MONITORING_NAMESPACE = "openshift-monitoring"
QUERIER_ROUTE = "thanos-querier"
POINTS = 240  # points per range query when no step is given: Grafana's default resolution for a panel
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class PrometheusError(ClusterError):
    """Prometheus could not be found, reached or queried; the message names the URL."""


def parse_window(window: str | timedelta) -> timedelta:
    """`30s`, `15m`, `1h`, `2d`, `1w` (or a timedelta) → timedelta."""
    if isinstance(window, timedelta):
        return window
    text = window.strip()
    if len(text) < 2 or text[-1] not in _UNITS or not text[:-1].isdigit() or int(text[:-1]) == 0:
        raise ValueError(f"window {window!r}: expected a positive number and one of s, m, h, d, w, like 1h")
    return timedelta(seconds=int(text[:-1]) * _UNITS[text[-1]])


def default_step(window: timedelta) -> str:
    """A step giving about POINTS points over `window`, at least one second."""
    return f"{max(1, int(window.total_seconds() // POINTS))}s"


class PrometheusClient:
    """Queries one Prometheus-compatible API (Prometheus, or Thanos Querier with a bearer token)."""

    def __init__(self, url: str, *, token: str | None = None, verify: bool | str = True,
                 resolve: Resolve | None = None, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        session = requests.Session()
        session.verify = verify
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.prom = PrometheusConnect(self.url, headers=self._headers, session=session, timeout=timeout)
        # after PrometheusConnect, which mounts its own adapter (3 retries, 1 s backoff) on the URL
        adapter = ResolvingAdapter(resolve or {}, max_retries=Retry(total=2, connect=1, backoff_factor=0.2,
                                                                   status_forcelist=(502, 503, 504),
                                                                   allowed_methods=None))
        session.mount(self.url, adapter)
        self.session = session

    def __repr__(self) -> str:
        return f"PrometheusClient({self.url!r})"

    def _fail(self, what: str, e: Exception) -> PrometheusError:
        if isinstance(e, requests.RequestException):
            return PrometheusError(f"{what}: cannot reach Prometheus at {self.url}: {type(e).__name__}",
                                   step=what, hint="Check the URL (--prometheus) or the thanos-querier Route, "
                                                   f"and {RESOLVE_ENV} when its host does not resolve here.")
        return PrometheusError(f"{what}: Prometheus at {self.url} refused it: {str(e)[:256]}", step=what)

    def query(self, expr: str) -> list[dict]:
        """Instant vector at the current time: [{"metric": {...}, "value": [ts, "v"]}, ...]."""
        try:
            return self.prom.custom_query(expr)
        except (requests.RequestException, PrometheusApiClientException) as e:
            raise self._fail(f"query {expr!r}", e) from e

    def query_range(self, expr: str, *, window: str | timedelta, step: str | None = None,
                    end: datetime | None = None) -> list[dict]:
        """Matrix over the `window` ending now (computed at this call) or at `end`, with an explicit step."""
        span = parse_window(window)
        end = end or datetime.now(UTC)
        try:
            return self.prom.custom_query_range(expr, start_time=end - span, end_time=end,
                                                step=step or default_step(span))
        except (requests.RequestException, PrometheusApiClientException) as e:
            raise self._fail(f"query_range {expr!r}", e) from e

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """`data` of a GET on the HTTP API (`/api/v1/alerts`, `/api/v1/targets`, ...)."""
        try:
            resp = self.session.get(f"{self.url}{path}", params=params, headers=self._headers, timeout=self.timeout)
            if resp.status_code != 200:
                raise PrometheusApiClientException(f"HTTP {resp.status_code}: {resp.text[:200]}")
            return resp.json()["data"]
        except (requests.RequestException, PrometheusApiClientException, ValueError, KeyError) as e:
            raise self._fail(f"GET {path}", e) from e


def querier_url(cluster: Cluster) -> str:
    """The URL of OpenShift's Thanos Querier from its Route (https when the Route has TLS)."""
    from quayops.kube.errors import NotFoundError

    try:
        route = cluster.get("route.openshift.io/v1", "Route", QUERIER_ROUTE, namespace=MONITORING_NAMESPACE)
    except NotFoundError as e:
        raise PrometheusError(f"no Prometheus to query: Route {MONITORING_NAMESPACE}/{QUERIER_ROUTE} not found",
                              step="find Prometheus", hint="Pass the URL with --prometheus.") from e
    spec = route.get("spec") or {}
    host = spec.get("host") or next((i.get("host") for i in (route.get("status") or {}).get("ingress") or []
                                     if i.get("host")), None)
    if not host:
        raise PrometheusError(f"Route {MONITORING_NAMESPACE}/{QUERIER_ROUTE} has no host yet",
                              step="find Prometheus", hint="Wait for the router to admit it, or pass --prometheus.")
    return f"{'https' if spec.get('tls') else 'http'}://{host}"


def cluster_token(cluster: Cluster) -> str | None:
    """The bearer token the cluster connection uses (Thanos Querier accepts the same one)."""
    headers: dict[str, str] = {}
    cluster.api.update_params_for_auth(headers, [], ["BearerToken"], "", "GET", None)
    value = headers.get("authorization") or headers.get("Authorization") or ""
    return value.removeprefix("Bearer ").strip() or None


def connect(url: str | None = None, *, cluster: Cluster | None = None, token: str | None = None,
            verify: bool | str = True, resolve: str | None = None, context: str | None = None) -> PrometheusClient:
    """A client for `url`, or for the cluster's `thanos-querier` Route with the cluster's token.

    Route hosts resolve through the kubeconfig `context`'s map (the current one by default), overridden by
    `resolve` or $QUAYOPS_RESOLVE; real clusters need none.
    """
    mapping = resolve_map(context=context, resolve=resolve)
    if url is None:
        if cluster is None:
            raise PrometheusError("no Prometheus to query: give its URL or a cluster to find the thanos-querier "
                                  "Route in", step="find Prometheus", hint="Pass --prometheus URL.")
        url = querier_url(cluster)
        token = token or cluster_token(cluster)
    return PrometheusClient(url, token=token, verify=verify, resolve=mapping)
