"""`quayops upgrade`: plan supported paths, check preflight risks, run upgrades through OLM and migrate QuayEcosystems
(guide 12)."""

from __future__ import annotations

import sys

import click

from quayops.cli.output import as_json


@click.group()
def upgrade() -> None:
    """Plan, check and run Quay upgrades along the paths the guide supports; migrate QuayEcosystems."""


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


@upgrade.command()
@click.argument("name")
@click.option("-n", "--namespace", default="quay-enterprise", show_default=True)
@click.option("--to", "target", required=True, metavar="VERSION", help="Target Quay version: one hop or a whole path.")
@click.option("--approve", is_flag=True, help="Approve each InstallPlan that is the planned hop (an explicit decision).")
@click.option("--backup-command", default="", metavar="CMD", help="Command taking the backup first (guide 11); must exit 0.")
@click.option("--skip-backup", is_flag=True, help="Go without a backup; a failed migration cannot then be undone.")
@click.option("--timeout", default=900, show_default=True, type=float, help="Seconds per hop.")
@click.option("--context", default=None, help="kubeconfig context (default: the current one).")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def run(name, namespace, target, approve, backup_command, skip_backup, timeout, context, output):
    """Upgrade registry NAME to VERSION through OLM, one supported hop at a time (guide 12.2, 12.3).

    Exit 3 when refused (nothing changed), 4 when a hop failed (the message says how to recover).
    """
    from quayops.errors import QuayopsError
    from quayops.kube.client import Cluster
    from quayops.upgrade.execution import UpgradeFailed, command_backup, run_upgrade
    from quayops.upgrade.planning import UpgradeRefused

    try:
        result = run_upgrade(Cluster.connect(context), name, namespace=namespace, target=target, approve=approve,
                             backup=command_backup(backup_command) if backup_command else None,
                             skip_backup=skip_backup, timeout=timeout,
                             report=None if output == "json" else click.echo)
    except UpgradeRefused as e:
        click.echo(f"quayops: refused: {e}", err=True)
        sys.exit(3)
    except UpgradeFailed as e:
        if output == "json":
            click.echo(as_json({"outcome": "failed", "message": str(e), "hops": [h.row() for h in e.hops]}))
        click.echo(f"quayops: {e}", err=True)
        sys.exit(4)
    except QuayopsError as e:
        click.echo(f"quayops: {e}", err=True)
        sys.exit(2)
    if output == "json":
        click.echo(as_json({"outcome": result.outcome, "message": result.message, "path": result.path,
                            "hops": [h.row() for h in result.hops]}))
    elif result.hops:
        click.echo(result.to_frame().to_string(index=False))


@upgrade.command("migrate-ecosystem")
@click.argument("name")
@click.option("-n", "--namespace", default="quay-enterprise", show_default=True)
@click.option("--dry-run", is_flag=True, help="Only predict what migrates and what blocks it; exit 1 if blocked.")
@click.option("--revert", is_flag=True, help="Go back to the QuayEcosystem (guide 12.6.1).")
@click.option("--timeout", default=600, show_default=True, type=float, help="Seconds to wait for the migration.")
@click.option("--context", default=None, help="kubeconfig context (default: the current one).")
def migrate_ecosystem_command(name, namespace, dry_run, revert, timeout, context):
    """Migrate QuayEcosystem NAME to a QuayRegistry (guide 12.6), or revert it; exit 3 when refused."""
    from quayops.errors import QuayopsError, StepFailedError
    from quayops.kube.client import Cluster
    from quayops.kube.resolve import route_session
    from quayops.upgrade.ecosystem import migrate_ecosystem, revert_ecosystem_migration
    from quayops.upgrade.planning import UpgradeRefused

    cluster = Cluster.connect(context)
    try:
        if revert:
            for row in revert_ecosystem_migration(cluster, name, namespace=namespace, timeout=timeout, report=None):
                click.echo(f"{row['step']}: {row['result']}")
            return
        result = migrate_ecosystem(cluster, name, namespace=namespace, dry_run=dry_run, timeout=timeout,
                                   session=route_session(context=context), report=click.echo)
    except UpgradeRefused as e:
        click.echo(f"quayops: refused: {e}", err=True)
        sys.exit(3)
    except StepFailedError as e:
        click.echo(f"quayops: {e}", err=True)
        sys.exit(4)
    except QuayopsError as e:
        click.echo(f"quayops: {e}", err=True)
        sys.exit(2)
    click.echo(result.prediction.components_frame().to_string(index=False))
    for f in result.prediction.findings:
        click.echo(f"{f.severity.upper():<6} {f.what}: {f.message} (guide {f.section})")
    if dry_run:
        sys.exit(1 if result.prediction.blocked else 0)
    click.echo(f"QuayRegistry {namespace}/{name}: {result.endpoint} answered {result.access}")
    sys.exit(0 if result.access == 200 else 1)
