"""`quayops metrics` and `quayops alerts`: the operator's dashboard figures and the alerts, from Prometheus."""

from __future__ import annotations

import sys

import click

from quayops.cli.output import as_json

_PROMETHEUS = click.option("--prometheus", default=None, metavar="URL",
                           help="Prometheus or Thanos Querier URL (default: the cluster's thanos-querier Route; "
                                "QUAYOPS_RESOLVE=host:port:address[:port] maps its host).")
_CONTEXT = click.option("--context", default=None, help="kubeconfig context (default: the current one).")
_OUTPUT = click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True)


def _fail(e: Exception) -> None:
    click.echo(f"quayops: {e}", err=True)
    sys.exit(2)


@click.command()
@click.argument("name")
@click.option("-n", "--namespace", default="quay-enterprise", show_default=True)
@click.option("--window", default="1h", show_default=True, help="How far back: 30m, 1h, 1d, ...")
@_PROMETHEUS
@_CONTEXT
@_OUTPUT
def metrics(name, namespace, window, prometheus, context, output):
    """The Quay dashboard's figures for registry NAME: last, min, mean and max over the window.

    Exit 0 with figures, 2 when Prometheus cannot be found or queried.
    """
    from quayops.errors import QuayopsError
    from quayops.monitoring.reports import read_metrics

    try:
        frame = read_metrics(name, namespace=namespace, window=window, prometheus=prometheus, context=context)
    except (QuayopsError, ValueError) as e:
        _fail(e)
    if output == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        click.echo(as_json({"name": name, "namespace": namespace, "window": window, "figures": records}))
        return
    click.echo(f"Quay dashboard for {namespace}/{name}, last {window}:\n")
    click.echo(frame.drop(columns="panel").to_string(index=False, na_rep="no data", float_format="{:.4g}".format))


@click.command()
@click.option("-n", "--namespace", default=None, help="Only alerts labelled with this namespace.")
@_PROMETHEUS
@_CONTEXT
@_OUTPUT
def alerts(namespace, prometheus, context, output):
    """Alerts firing and pending now, since when, and the runbook to follow.

    Exit 0 when nothing fires, 1 when an alert fires, 2 when Prometheus cannot be found or queried.
    """
    from quayops.errors import QuayopsError
    from quayops.monitoring.reports import read_alerts

    try:
        frame = read_alerts(namespace=namespace, prometheus=prometheus, context=context)
    except QuayopsError as e:
        _fail(e)
    firing = bool((frame["state"] == "firing").any())
    if output == "json":
        click.echo(as_json({"namespace": namespace, "alerts": frame.to_dict("records")}))
    elif frame.empty:
        click.echo(f"no alerts firing or pending{f' in {namespace}' if namespace else ''}")
    else:
        click.echo(frame.drop(columns=["description", "runbook"]).to_string(index=False))
        for alertname, runbook in frame.drop_duplicates("alertname")[["alertname", "runbook"]].itertuples(
                index=False):
            if runbook:
                click.echo(f"\n{alertname}: {runbook}")
    sys.exit(1 if firing else 0)
