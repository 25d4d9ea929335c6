"""The operator's Quay dashboard as pandas DataFrames: one function per panel, a summary table and a plot.

Each panel is a long frame `time` (UTC), `series` (the panel's legend label, e.g. the route), `value`,
with `attrs` naming the panel, unit and the exact query sent. No data gives an empty frame of the same shape.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING

from quayops.monitoring.client import PrometheusClient
from quayops.monitoring.queries import BY_KEY, fill

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

COLUMNS = ["time", "series", "value"]
SUMMARY_COLUMNS = ["panel", "title", "series", "last", "min", "mean", "max", "unit"]
DEFAULT_WINDOW = "1h"
TIME_DTYPE = "datetime64[ns, UTC]"
Window = str | timedelta


def _empty() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({"time": pd.Series(dtype=TIME_DTYPE), "series": pd.Series(dtype="str"),
                         "value": pd.Series(dtype="float64")})


def read_panel(client: PrometheusClient, key: str, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
                step: str | None = None) -> pd.DataFrame:
    """The dashboard panel `key` for registry `name` over `window` ending now."""
    import pandas as pd

    panel = BY_KEY[key]
    query = fill(panel.expr, namespace=namespace, name=name)
    label = panel.legend.strip("{}") or None
    rows = [(float(ts), r["metric"].get(label, "") if label else key, float(v))
            for r in client.query_range(query, window=window, step=step) for ts, v in r["values"]]
    frame = _empty() if not rows else pd.DataFrame(rows, columns=COLUMNS).assign(
        time=lambda f: pd.to_datetime(f["time"], unit="s", utc=True).astype(TIME_DTYPE))
    frame.attrs.update(panel=key, title=panel.title, unit=panel.unit, query=query)
    return frame


def organizations(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
                  step: str | None = None) -> pd.DataFrame:
    """Organizations in the registry's database (`quay_org_rows`)."""
    return read_panel(client, "organizations", name, namespace=namespace, window=window, step=step)


def repositories(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
                 step: str | None = None) -> pd.DataFrame:
    """Repositories (`quay_repository_rows`)."""
    return read_panel(client, "repositories", name, namespace=namespace, window=window, step=step)


def users(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
          step: str | None = None) -> pd.DataFrame:
    """Users (`quay_user_rows`)."""
    return read_panel(client, "users", name, namespace=namespace, window=window, step=step)


def robots(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
           step: str | None = None) -> pd.DataFrame:
    """Robot accounts (`quay_robot_rows`)."""
    return read_panel(client, "robots", name, namespace=namespace, window=window, step=step)


def cpu(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
        step: str | None = None) -> pd.DataFrame:
    """CPU usage in percent of one core, by Quay process name."""
    return read_panel(client, "cpu", name, namespace=namespace, window=window, step=step)


def max_memory(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
               step: str | None = None) -> pd.DataFrame:
    """Peak resident memory in bytes, by Quay process name."""
    return read_panel(client, "memory", name, namespace=namespace, window=window, step=step)


def image_pulls(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
                step: str | None = None) -> pd.DataFrame:
    """Image pulls per second (5 m rate)."""
    return read_panel(client, "image_pulls", name, namespace=namespace, window=window, step=step)


def image_pushes(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
                 step: str | None = None) -> pd.DataFrame:
    """Image pushes per second (5 m rate)."""
    return read_panel(client, "image_pushes", name, namespace=namespace, window=window, step=step)


def authentications(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
                    step: str | None = None) -> pd.DataFrame:
    """Authentication attempts per second, registry and API together (5 m rate)."""
    return read_panel(client, "authentications", name, namespace=namespace, window=window, step=step)


def api_request_rate(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
                     step: str | None = None) -> pd.DataFrame:
    """API requests per second by route (5 m rate)."""
    return read_panel(client, "api_requests", name, namespace=namespace, window=window, step=step)


def api_latency_p95(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
                    step: str | None = None) -> pd.DataFrame:
    """95th percentile request latency in seconds by route (5 m rate)."""
    return read_panel(client, "api_latency_p95", name, namespace=namespace, window=window, step=step)


def read_dashboard(client: PrometheusClient, name: str, *, namespace: str, window: Window = DEFAULT_WINDOW,
              step: str | None = None) -> dict[str, pd.DataFrame]:
    """Every panel, by key, in the dashboard's order."""
    return {key: read_panel(client, key, name, namespace=namespace, window=window, step=step) for key in BY_KEY}


def summarize(panels: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per panel and series: last, min, mean and max over the window; NaN where a panel had no data."""
    import pandas as pd

    rows = []
    for key, frame in panels.items():
        base = {"panel": key, "title": frame.attrs.get("title", key), "unit": frame.attrs.get("unit", "")}
        if frame.empty:
            rows.append({**base, "series": "", "last": math.nan, "min": math.nan, "mean": math.nan,
                         "max": math.nan})
            continue
        for series, group in frame.sort_values("time").groupby("series", sort=True):
            values = group["value"]
            rows.append({**base, "series": series, "last": values.iloc[-1], "min": values.min(),
                         "mean": values.mean(), "max": values.max()})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def plot(panels: dict[str, pd.DataFrame], *, columns: int = 2) -> Figure:
    """The panels as a grid of line charts, one line per series; empty panels say "no data"."""
    import matplotlib.pyplot as plt

    rows = max(1, math.ceil(len(panels) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(6 * columns, 2.8 * rows), squeeze=False)
    for ax, (key, frame) in zip(axes.flat, panels.items(), strict=False):
        title, unit = frame.attrs.get("title", key), frame.attrs.get("unit", "")
        ax.set_title(title if unit in ("", "none") or unit in title else f"{title} ({unit})", fontsize=10)
        if frame.empty:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="grey")
            continue
        for series, group in frame.groupby("series", sort=True):
            ax.plot(group["time"], group["value"], label=str(series) or key)
        if frame["series"].nunique() > 1:
            ax.legend(fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    return fig
