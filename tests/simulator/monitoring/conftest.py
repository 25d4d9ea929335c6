"""A real Prometheus per test, a prometheus_client exporter on loopback, and polling with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from prometheus_client import CollectorRegistry, Gauge, start_http_server

from simulator.dataplane.prometheus import PrometheusServer


@pytest.fixture
def prometheus() -> Iterator[PrometheusServer]:
    if not PrometheusServer.available():
        pytest.skip("Debian package prometheus is not installed")
    with PrometheusServer(scrape_interval="1s", evaluation_interval="1s") as server:
        yield server


@pytest.fixture
def exporter() -> Iterator[str]:
    """`127.0.0.1:port` serving `exporter_answer 42`."""
    registry = CollectorRegistry()
    Gauge("exporter_answer", "a known value", registry=registry).set(42)
    server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _poll(check: Callable[[], Any], *, timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout:.0f} s")
        time.sleep(0.2)
    return result


def _api(server: PrometheusServer, path: str, **params: str) -> Any:
    resp = requests.get(f"{server.url}{path}", params=params, timeout=10)
    resp.raise_for_status()
    return resp.json()["data"]


@pytest.fixture
def poll() -> Callable[..., Any]:
    """`poll(check, timeout=, what=)`: the first truthy `check()` within the timeout, else AssertionError."""
    return _poll


@pytest.fixture
def prom_api() -> Callable[..., Any]:
    """`prom_api(server, path, **params)`: the `data` of a GET on Prometheus' HTTP API."""
    return _api
