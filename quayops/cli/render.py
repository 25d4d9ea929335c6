"""`quayops render`: what one reconcile pass of the Quay Operator would do with a QuayRegistry."""

from __future__ import annotations

import sys

import click

from quayops.cli.output import as_json


@click.command()
@click.option("-f", "--filename", "registry_path", required=True, type=click.Path(dir_okay=False),
              help="QuayRegistry manifest.")
@click.option("--bundle", "bundle_path", default=None,
              help="Config bundle: a directory or a Secret manifest (default: an empty config.yaml).")
@click.option("--platform", type=click.Choice(["openshift", "kubernetes"]), default="openshift", show_default=True)
@click.option("--no-routes", is_flag=True, help="The cluster has no Route API.")
@click.option("--no-obc", is_flag=True, help="The cluster has no ObjectBucketClaim API.")
@click.option("--no-monitoring", is_flag=True, help="Monitoring unsupported (single-namespace install).")
@click.option("--cluster-hostname", default="apps.cluster.example.com", show_default=True,
              help="The cluster's apps domain (routes get <name>-quay-<ns>.<domain>).")
@click.option("--operator-version", default="3.7.14", show_default=True, help="QUAY_VERSION of the operator.")
@click.option("--current-version", default=None, help="status.currentVersion (default: a new registry).")
@click.option("-o", "--output", type=click.Choice(["table", "yaml", "json"]), default="table", show_default=True)
def render(registry_path, bundle_path, platform, no_routes, no_obc, no_monitoring, cluster_hostname,
           operator_version, current_version, output):
    """Print the defaulted components, the condition the operator would set, every object it would
    render, the final config.yaml (secrets masked) and the status fields."""
    from quayops.cli.config import _platform
    from quayops.config.bundle import Bundle, load_bundle_path
    from quayops.errors import QuayopsError
    from quayops.model.quayregistry import load_registry_path
    from quayops.model.versions import parse_version
    from quayops.operator.platform import OperatorEnv
    from quayops.reconcile import preview

    try:
        registry = load_registry_path(registry_path)
        bundle = load_bundle_path(bundle_path) if bundle_path else Bundle(files={"config.yaml": b""})
        version = f"v{parse_version(operator_version, field='--operator-version')}"
    except QuayopsError as e:
        click.echo(f"quayops: {e}", err=True)
        sys.exit(2)
    platform_ = _platform(platform, no_routes, no_obc, no_monitoring)
    from dataclasses import replace

    result = preview(registry, bundle, platform=replace(platform_, cluster_hostname=cluster_hostname),
                     operator=OperatorEnv(quay_version=version), current_version=current_version).to_dict()
    if output == "json":
        click.echo(as_json(result))
    elif output == "yaml":
        from quayops.bundles import dump_yaml

        click.echo(dump_yaml(result))
    else:
        click.echo(_table(result))
    blocked = any(c["type"] == "RolloutBlocked" and c["status"] == "True" for c in result["conditions"])
    sys.exit(1 if blocked or result["error"] else 0)


def _table(result: dict) -> str:
    lines = [f"reconcile pass ends at step: {result['step']}"]
    if result["error"]:
        lines.append(f"  error (no condition, retried with backoff): {result['error']}")
    for c in result["conditions"]:
        lines.append(f"  condition {c['type']}={c['status']} {c['reason']}: {c['message']}")
    lines += ["", "components:"]
    lines += [f"  {c['kind']:<24} {'managed' if c['managed'] else 'unmanaged'}" for c in result["components"]]
    if result["objects"]:
        lines += ["", f"objects ({len(result['objects'])}):"]
        lines += [f"  {o['kind']:<24} {o['metadata']['name']}" for o in result["objects"]]
    status = {k: v for k, v in result["status"].items() if k != "conditions"}
    if status:
        lines += ["", "status:"] + [f"  {k}: {v}" for k, v in status.items()]
    if result["config.yaml"]:
        lines += ["", "final config.yaml (secrets masked):"] + ["  " + x for x in result["config.yaml"].splitlines()]
    return "\n".join(lines)
