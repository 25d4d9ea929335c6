"""The dashboard's panels as DataFrames, against a real Prometheus scraping an exporter with known values."""

from __future__ import annotations

import pytest

from quayops.monitoring import dashboard
from quayops.monitoring.enable import enable_single_namespace_monitoring

NAME = "registry"


@pytest.fixture(scope="module")
def scraped(cluster, prom, deploy_quay_app) -> str:
    """A namespace whose quay-app pod has been scraped for a few seconds; returns the namespace."""
    namespace = "mon-dashboard"
    cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    deploy_quay_app(cluster, NAME, namespace)
    enable_single_namespace_monitoring(cluster, NAME, namespace=namespace, prometheus=prom, timeout=30)
    return namespace


@pytest.mark.parametrize(("panel", "metric"), [
    (dashboard.organizations, "quay_org_rows"), (dashboard.repositories, "quay_repository_rows"),
    (dashboard.users, "quay_user_rows"), (dashboard.robots, "quay_robot_rows"),
])
def test_counts_are_the_exporters_values(prom, scraped, exporter, panel, metric):
    frame = panel(prom, NAME, namespace=scraped, window="2m", step="1s")
    assert list(frame.columns) == ["time", "series", "value"] and not frame.empty
    assert set(frame["value"]) == {exporter.rows[metric]}
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    assert "$" not in frame.attrs["query"] and f'namespace="{scraped}"' in frame.attrs["query"]


def test_rates_are_positive_and_split_by_route(prom, scraped, exporter, poll_until):
    pulls = poll_until(lambda: dashboard.image_pulls(prom, NAME, namespace=scraped, window="1m", step="1s"))
    assert (pulls["value"] > 0).all() and set(pulls["series"]) == {"image_pulls"}
    assert (dashboard.image_pushes(prom, NAME, namespace=scraped, window="1m", step="1s")["value"] > 0).any()
    assert (dashboard.authentications(prom, NAME, namespace=scraped, window="1m", step="1s")["value"] > 0).any()
    assert set(dashboard.api_request_rate(prom, NAME, namespace=scraped, window="1m", step="1s")["series"]) == \
        set(exporter.routes)
    latency = dashboard.api_latency_p95(prom, NAME, namespace=scraped, window="1m", step="1s").dropna()
    by_route = latency.groupby("series")["value"].last()
    assert set(by_route.index) == set(exporter.routes) and by_route["api.repository"] < by_route["v2.pull"] <= 0.1


def test_process_panels_use_quays_process_labels(prom, scraped, poll_until):
    memory = dashboard.max_memory(prom, NAME, namespace=scraped, window="1m", step="1s")
    assert set(memory["series"]) == {"gunicorn-web"} and set(memory["value"]) == {300e6}
    cpu = poll_until(lambda: dashboard.cpu(prom, NAME, namespace=scraped, window="1m", step="1s"))
    assert set(cpu["series"]) == {"gunicorn-web"} and (cpu["value"] > 0).all()


def test_unknown_registry_gives_empty_frames_of_the_same_shape(prom, scraped):
    frames = dashboard.read_dashboard(prom, "nobody", namespace=scraped, window="5m")
    assert len(frames) == 11
    for frame in frames.values():
        assert frame.empty and list(frame.columns) == ["time", "series", "value"]
        assert frame.dtypes.astype(str).tolist() == ["datetime64[ns, UTC]", "str", "float64"]
    summary = dashboard.summarize(frames)
    assert len(summary) == 11 and summary["last"].isna().all()


def test_summary_and_plot_cover_every_panel(prom, scraped, exporter):
    frames = dashboard.read_dashboard(prom, NAME, namespace=scraped, window="1m", step="1s")
    summary = dashboard.summarize(frames)
    orgs = summary[summary["panel"] == "organizations"].iloc[0]
    assert (orgs["last"], orgs["min"], orgs["max"], orgs["title"]) == (4, 4, 4, "Organizations")
    assert set(summary[summary["panel"] == "api_requests"]["series"]) == set(exporter.routes)
    figure = dashboard.plot(frames)
    assert len([ax for ax in figure.axes if ax.get_title()]) == 11
