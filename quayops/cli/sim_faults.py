"""`quayops sim fault add|list|clear`: drive a running simulator's faults over its admin endpoints.

Talks HTTPS to `/_simulator/faults` with the kubeconfig's server, CA and token; the simulator decides the rest.
"""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import quote

import click

from quayops.cli.output import as_json
from quayops.errors import ClusterError

PATH = "/_simulator/faults"


def request_faults(api_client: Any, method: str, path: str = PATH, body: dict[str, Any] | None = None) -> dict:
    """One call to the simulator's fault endpoints; ClusterError (by Status reason) when it answers an error."""
    from urllib3.exceptions import HTTPError

    from quayops.kube.errors import status_error

    action = f"{method} {path}"
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    api_client.update_params_for_auth(headers, [], ["BearerToken"], path, method, body)
    url = api_client.configuration.host + path
    try:
        resp = api_client.call_api(method, url, header_params=headers, body=body, _request_timeout=60)
    except (HTTPError, OSError) as e:
        raise ClusterError(f"{action}: cannot reach the simulator at {api_client.configuration.host}: {e}",
                           step=action, hint="Is `quayops sim serve` running with this kubeconfig?") from e
    if resp.status >= 400:
        raise status_error(resp.status, resp.read(), action=action)
    return json.loads(resp.read() or b"{}")


def _connect(context: str | None, kubeconfig: str | None) -> Any:
    from quayops.kube.connect import connect

    return connect(context, kubeconfig=kubeconfig)


def _fail(e: ClusterError) -> None:
    click.echo(f"error: {e}", err=True)
    sys.exit(2 if getattr(e, "code", None) == 400 else 1)


def _table(items: list[dict[str, Any]]) -> str:
    rows = [("ID", "KIND", "TARGET", "PARAMS", "EXPIRES IN", "REMAINING")]
    for f in items:
        params = ",".join(f"{k}={v}" for k, v in (f.get("params") or {}).items()) or "-"
        left = f.get("expiresInSeconds")
        rows.append((f["id"], f["kind"], f["target"], params, "-" if left is None else f"{left:.0f}s",
                     "-" if f.get("remaining") is None else str(f["remaining"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


_connection = [
    click.option("--context", default=None, help="kubeconfig context (default: the current one, `simulator`)."),
    click.option("--kubeconfig", type=click.Path(dir_okay=False), default=None,
                 help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)."),
    click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True),
]


def _with_connection(f: Any) -> Any:
    for option in reversed(_connection):
        f = option(f)
    return f


@click.group("fault")
def fault() -> None:
    """Inject, list and clear faults in a running simulator (`quayops sim serve`)."""


@fault.command("add")
@click.argument("kind")
@click.argument("target")
@click.option("--for", "for_", metavar="DURATION", default=None, help="Clear it after this long, e.g. 30s, 2m.")
@click.option("--count", type=int, default=None, help="Fail this many (requests, Job runs, sessions), then stop.")
@click.option("--code", type=int, default=None, help="HTTP code of api-errors (409/429/500/503) or s3-errors.")
@click.option("--verb", default=None, help="api-errors: only these verbs (comma-separated: get,patch,...).")
@click.option("--namespace", "-n", default=None, help="api-errors: only requests in this namespace.")
@click.option("--name", default=None, help="api-errors: only requests for this object name.")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="Any other parameter of the kind (exit_code, retry_after, every, finalizer, drop, rate, ...).")
@_with_connection
def add(kind: str, target: str, for_: str | None, count: int | None, code: int | None, verb: str | None,
        namespace: str | None, name: str | None, params: tuple[str, ...], context: str | None,
        kubeconfig: str | None, output: str) -> None:
    """Start fault KIND on TARGET; prints its id.

    \b
    KIND             TARGET
    crash-loop       namespace/deployment (or statefulset)
    job-failure      namespace/job (or cronjob)        --count runs, -p exit_code=N
    pvc-pending      namespace/claim
    node-not-ready   node
    route-stall      namespace/route
    api-errors       resource[/subresource] or *       --code --verb -n --name --count, -p retry_after=S
    watch-close      resource or *                     -p every=1s (with --for)
    expire-versions  resource or *
    hold-finalizer   resource/namespace/name or resource/name, -p finalizer=NAME
    s3-errors        bucket or *                       --code 503|500, -p drop=true, -p rate=0.5, -p method=GET
    db-disconnect    database or *                     -p application=pg_dump, -p after=1s, --count
    """
    extra: dict[str, Any] = {"count": count, "code": code, "verb": verb, "namespace": namespace, "name": name}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--param")
        extra[key] = value
    body = {"kind": kind, "target": target, "for": for_,
            "params": {k: v for k, v in extra.items() if v is not None}}
    try:
        created = request_faults(_connect(context, kubeconfig), "POST", body=body)
    except ClusterError as e:
        _fail(e)
    click.echo(as_json(created) if output == "json" else created["id"])


@fault.command("list")
@_with_connection
def list_(context: str | None, kubeconfig: str | None, output: str) -> None:
    """List the active faults."""
    try:
        items = request_faults(_connect(context, kubeconfig), "GET")["items"]
    except ClusterError as e:
        _fail(e)
    click.echo(as_json(items) if output == "json" else _table(items))


@fault.command("clear")
@click.argument("fault_id", metavar="[ID]", required=False)
@click.option("--all", "all_", is_flag=True, help="Clear every fault.")
@_with_connection
def clear(fault_id: str | None, all_: bool, context: str | None, kubeconfig: str | None, output: str) -> None:
    """Clear one fault by id, or all of them; undoes what each did."""
    if bool(fault_id) == all_:
        raise click.UsageError("give a fault ID or --all")
    path = PATH if all_ else f"{PATH}/{quote(fault_id or '', safe='')}"
    try:
        items = request_faults(_connect(context, kubeconfig), "DELETE", path)["items"]
    except ClusterError as e:
        _fail(e)
    click.echo(as_json(items) if output == "json" else "\n".join(f"cleared {f['id']}" for f in items))
