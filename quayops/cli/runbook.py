"""`quayops runbook`: list, run and schedule the runbook notebooks (issue 7); one library call each."""

from __future__ import annotations

import sys

import click

from quayops.cli.output import as_json

notebooks_option = click.option(
    "--notebooks", type=click.Path(file_okay=False), envvar="QUAYOPS_NOTEBOOKS", default=None,
    help="Notebooks root holding <group>/<name>.ipynb [default: the repository's notebooks/].",
)
parameter_option = click.option(
    "-p", "--parameter", "parameters", nargs=2, multiple=True, metavar="KEY VALUE",
    help="A runbook parameter; for a secret one, a reference: env:VAR or secret:NAMESPACE/NAME/KEY.",
)


@click.group()
def runbook() -> None:
    """Run the parameterized runbooks headless, as a person would in JupyterLab."""


@runbook.command("list")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@notebooks_option
def list_(output, notebooks):
    """List the runbooks and their parameters (from papermill's inspection)."""
    from quayops.runbooks import list_runbooks

    runbooks = list_runbooks(root=notebooks)
    if output == "json":
        click.echo(as_json(runbooks))
        return
    if not runbooks:
        click.echo("no runbooks found")
    for rb in runbooks:
        click.echo(rb["name"])
        for p in rb["parameters"]:
            kind = f"{p['type']}, secret" if p["secret"] else p["type"]
            click.echo(f"  {p['name']:<24} {kind:<14} {p['default']:<28} {p['help']}".rstrip())


@runbook.command()
@click.argument("name")
@parameter_option
@click.option("--target", default="sim", show_default=True,
              help="sim (the simulator's kubeconfig context), a kubeconfig context, or in-cluster.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="out", show_default=True,
              help="Where the executed notebook, its HTML and the run record go.")
@click.option("--timeout", type=click.IntRange(min=1), default=None, help="Seconds any one cell may run (exit 3 past it).")
@click.option("--kernel", "kernel_name", default=None, help="Kernel name [default: the notebook's].")
@click.option("--progress/--no-progress", default=True, show_default=True, help="papermill's progress bar.")
@notebooks_option
def run(name, parameters, target, out_dir, timeout, kernel_name, progress, notebooks):
    """Run a runbook; exit 0 ok, 1 failed step, 2 bad parameters, 3 timeout, 4 kernel died."""
    from quayops.runbooks import RunbookNotFound, run_runbook

    try:
        record = run_runbook(name, parameters=dict(parameters), target=target, out_dir=out_dir,
                             kernel_name=kernel_name, timeout=timeout, root=notebooks, progress=progress)
    except RunbookNotFound as e:
        click.echo(f"quayops: {e}", err=True)
        sys.exit(2)
    click.echo(record.summary())
    for kind in ("notebook", "html", "record"):
        if getattr(record, kind):
            click.echo(f"  {kind + ':':<10}{getattr(record, kind)}")
    sys.exit(record.exit_status)


@runbook.command()
@click.argument("name")
@click.option("--schedule", required=True, help='Cron schedule, e.g. "0 2 * * *".')
@parameter_option
@click.option("--image", default=None, help="Image with quayops and its notebooks [default: quayops:<version>].")
@click.option("-n", "--namespace", default="quay-enterprise", show_default=True)
@click.option("--service-account", default="quayops-runbook", show_default=True)
@click.option("--target", default="in-cluster", show_default=True)
@notebooks_option
def cronjob(name, schedule, parameters, image, namespace, service_account, target, notebooks):
    """Print a CronJob that runs the runbook in-cluster (secret parameters as secretKeyRef env)."""
    from ruamel.yaml import YAML

    from quayops.runbooks import ParametersInvalid, RunbookNotFound, cronjob_manifest

    try:
        manifest = cronjob_manifest(name, schedule=schedule, parameters=dict(parameters), namespace=namespace,
                                    service_account=service_account, target=target, root=notebooks,
                                    **({"image": image} if image else {}))
    except (RunbookNotFound, ParametersInvalid) as e:
        click.echo(f"quayops: {e}", err=True)
        sys.exit(2)
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump(manifest, sys.stdout)
