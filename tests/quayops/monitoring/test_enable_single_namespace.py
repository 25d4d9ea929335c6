"""Guide 8.2 by `enable_single_namespace_monitoring`: ConfigMaps kept and patched, the guide's objects, a verified
scrape, a re-run that changes nothing, and a clear failure when nothing can be scraped."""

from __future__ import annotations

import contextlib

import pytest

from quayops.errors import StepFailedError
from quayops.kube.errors import NotFoundError
from quayops.monitoring.enable import enable_single_namespace_monitoring

CMC = ("cluster-monitoring-config", "openshift-monitoring")
UWMC = ("user-workload-monitoring-config", "openshift-user-workload-monitoring")


@pytest.fixture
def fresh_configmaps(cluster):
    """cluster-monitoring-config with unrelated content, user-workload-monitoring-config absent."""
    for name, ns in (CMC, UWMC):
        with contextlib.suppress(NotFoundError):
            cluster.delete("v1", "ConfigMap", name, namespace=ns)
    cluster.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CMC[0], "namespace": CMC[1]},
                    "data": {"config.yaml": "# tuned by ops\nprometheusK8s:\n  retention: 24h\n"}})


def test_enablement_keeps_content_creates_guide_objects_and_verifies(cluster, namespace, prom, fresh_configmaps,
                                                                    deploy_quay_app):
    deploy_quay_app(cluster, "example-registry", namespace)
    steps = enable_single_namespace_monitoring(cluster, "example-registry", namespace=namespace, prometheus=prom,
                                               timeout=30)
    assert steps["action"].tolist() == [
        "enableUserWorkload: true added", "created", "created", "created",
        f"scraped by {prom.url} (target up, quay_org_rows present)"]
    config = cluster.get("v1", "ConfigMap", CMC[0], namespace=CMC[1])["data"]["config.yaml"]
    assert config == "# tuned by ops\nprometheusK8s:\n  retention: 24h\nenableUserWorkload: true\n"
    assert cluster.get("v1", "ConfigMap", UWMC[0], namespace=UWMC[1])["data"] == {"config.yaml": ""}
    service = cluster.get("v1", "Service", "example-registry-quay-metrics", namespace=namespace)
    assert service["metadata"]["labels"] == {"quay-component": "monitoring",
                                             "quay-operator/quayregistry": "example-registry"}
    assert service["spec"]["selector"] == {"quay-component": "quay-app",
                                           "quay-operator/quayregistry": "example-registry"}
    assert [(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [("quay-metrics", 9091, 9091)]
    monitor = cluster.get("monitoring.coreos.com/v1", "ServiceMonitor", "example-registry-quay-metrics-monitor",
                          namespace=namespace)
    assert monitor["spec"] == {"endpoints": [{"port": "quay-metrics"}], "namespaceSelector": {"any": True},
                               "selector": {"matchLabels": {"quay-component": "monitoring"}}}

    again = enable_single_namespace_monitoring(cluster, "example-registry", namespace=namespace, prometheus=prom,
                                               timeout=30)
    assert again["action"].tolist()[:2] == ["unchanged (enableUserWorkload already true)", "unchanged (exists)"]


def test_nothing_to_scrape_fails_naming_what_is_missing(cluster, namespace, prom):
    with pytest.raises(StepFailedError) as caught:
        enable_single_namespace_monitoring(cluster, "no-pods", namespace=namespace, prometheus=prom, timeout=2)
    assert caught.value.step == "verify scraping"
    assert str(caught.value).startswith(
        f"monitoring enabled but not scraping after 2 s: Prometheus at {prom.url} has no target for Service "
        f"{namespace}/no-pods-quay-metrics")
    assert "The ConfigMaps, Service and ServiceMonitor are in place" in str(caught.value)
