"""watch-close ends open watch streams early; expire-versions makes old resourceVersions answer 410 Expired."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from tests.simulator.controllers.conftest import Cluster


def _watching(list_call: Callable, ns: str) -> threading.Thread:
    """A watch stream (60 s server timeout) read in a thread; the thread ends when the stream does."""
    def read() -> None:
        for _ in watch.Watch().stream(list_call, ns, timeout_seconds=60):
            pass

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _wait_for_watch(cluster: Cluster, count: int) -> None:
    """Wait (real time, without stepping controllers: their watches would count too) for `count` open watches."""
    deadline = time.monotonic() + 5
    while cluster.sim.store.watch_count() < count:
        assert time.monotonic() < deadline, "the watch streams did not open"
        time.sleep(0.01)


def test_watch_close_ends_the_streams_of_one_resource_then_all(cluster: Cluster):
    ns = cluster.namespace("watch")
    cluster.settle()
    base = cluster.sim.store.watch_count()
    on_configmaps = _watching(cluster.core.list_namespaced_config_map, ns)
    on_secrets = _watching(cluster.core.list_namespaced_secret, ns)
    _wait_for_watch(cluster, base + 2)

    fault = cluster.sim.faults.add("watch-close", "configmaps")
    assert fault.until is None and cluster.sim.faults.list() == []  # acts once, kept by nobody
    on_configmaps.join(5)
    assert not on_configmaps.is_alive() and on_secrets.is_alive()

    cluster.sim.faults.add("watch-close", "*")
    on_secrets.join(5)
    assert not on_secrets.is_alive()


def test_watch_close_for_a_while_keeps_closing_new_streams(cluster: Cluster):
    ns = cluster.namespace("watch-timed")
    cluster.sim.faults.add("watch-close", "configmaps", for_seconds=10, every="2s")
    cluster.settle()
    base = cluster.sim.store.watch_count()
    stream = _watching(cluster.core.list_namespaced_config_map, ns)
    _wait_for_watch(cluster, base + 1)
    cluster.settle(2)
    stream.join(5)
    assert not stream.is_alive()
    cluster.settle(8)
    assert cluster.sim.faults.list() == []


def _expired_watch(cluster: Cluster, ns: str, resource_version: str) -> ApiException:
    with pytest.raises(ApiException) as caught:
        for _ in watch.Watch().stream(cluster.core.list_namespaced_config_map, ns,
                                      resource_version=resource_version, timeout_seconds=1):
            pass
    return caught.value


def test_expire_versions_answers_410_to_an_old_resource_version(cluster: Cluster):
    ns = cluster.namespace("expire")
    listed = cluster.core.list_namespaced_config_map(ns).metadata.resource_version
    cluster.core.create_namespaced_config_map(ns, {"metadata": {"name": "a"}})
    cluster.sim.faults.add("expire-versions", "*")
    err = _expired_watch(cluster, ns, listed)
    assert err.status == 410 and "too old resource version" in err.reason


def test_expire_versions_while_it_lasts_then_resuming_works(cluster: Cluster):
    ns = cluster.namespace("expire-timed")
    cluster.sim.faults.add("expire-versions", "configmaps", for_seconds=30)
    listed = cluster.core.list_namespaced_config_map(ns).metadata.resource_version
    cluster.core.create_namespaced_config_map(ns, {"metadata": {"name": "a"}})
    assert _expired_watch(cluster, ns, listed).status == 410

    cluster.settle(30)
    assert cluster.sim.faults.list() == []
    listed = cluster.core.list_namespaced_config_map(ns).metadata.resource_version
    cluster.core.create_namespaced_config_map(ns, {"metadata": {"name": "b"}})
    seen = [e["object"].metadata.name for e in watch.Watch().stream(
        cluster.core.list_namespaced_config_map, ns, resource_version=listed, timeout_seconds=1)]
    assert seen == ["b"]
