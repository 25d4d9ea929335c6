"""`quayops upgrade`: plan supported upgrade paths (guide 12.2)."""

from __future__ import annotations

import sys

import click

from quayops.cli.output import as_json


@click.group()
def upgrade() -> None:
    """Plan and check Quay upgrades along the paths the guide supports."""


@upgrade.command()
@click.option("--from", "source", required=True, metavar="VERSION", help="Current Quay version, e.g. 3.5.7.")
@click.option("--to", "target", required=True, metavar="VERSION", help="Target Quay version, e.g. 3.7.")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--all", "all_paths", is_flag=True, help="Also list the other shortest paths.")
def plan(source, target, output, all_paths):
    """Print the shortest supported path; exit 1 with the reason when there is none."""
    from quayops.model.versions import VersionInvalid
    from quayops.upgrade.planning import UpgradeRefused, plan_upgrade

    try:
        result = plan_upgrade(source, target)
    except VersionInvalid as e:
        click.echo(f"quayops: {e}", err=True)
        sys.exit(2)
    except UpgradeRefused as e:
        if output == "json":
            click.echo(as_json({"from": source, "to": target, "path": [], "hops": 0, "error": str(e)}))
        click.echo(f"quayops: {e}", err=True)
        sys.exit(1)
    if output == "json":
        click.echo(as_json(result.to_dict(all_paths=all_paths)))
        return
    if result.hops == 0:
        click.echo(f"{result.source}: already at {result.target}; nothing to do.")
        return
    click.echo(" → ".join(map(str, result.path)) + f"  ({result.hops} hop{'s' if result.hops > 1 else ''})")
    for alt in result.alternatives if all_paths else ():
        click.echo("also: " + " → ".join(map(str, alt)))


@upgrade.command()
@click.argument("name")
@click.option("-n", "--namespace", default="quay-enterprise", show_default=True)
@click.option("--to", "target", required=True, metavar="VERSION", help="Target Quay version.")
@click.option("--context", default=None, help="kubeconfig context (default: the current one).")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def check(name, namespace, target, context, output):
    """Preflight risks of upgrading registry NAME to VERSION; exit 1 when any blocks it."""
    from quayops.errors import QuayopsError
    from quayops.kube.client import Cluster
    from quayops.upgrade.preflight import BLOCK, check_upgrade, gather_preflight

    try:
        risks = check_upgrade(gather_preflight(Cluster.connect(context), name, namespace=namespace, target=target))
    except QuayopsError as e:
        click.echo(f"quayops: {e}", err=True)
        sys.exit(2)
    if output == "json":
        click.echo(as_json([r.to_dict() for r in risks]))
    else:
        if not risks:
            click.echo(f"no preflight risks for {namespace}/{name} → {target}")
        for r in risks:
            click.echo(f"{r.severity.upper():<5} {r.name:<28} {r.message} (guide {r.section})")
    sys.exit(1 if any(r.severity == BLOCK for r in risks) else 0)
