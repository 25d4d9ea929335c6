"""`quayops status`: a QuayRegistry's health in words, from a cluster or offline from a dump."""

from __future__ import annotations

import sys

import click

from quayops.cli.output import as_json


@click.command()
@click.argument("name", required=False)
@click.option("-n", "--namespace", default="quay-enterprise", show_default=True)
@click.option("--context", default=None, help="kubeconfig context (default: the current one).")
@click.option("--from-file", "dump", type=click.Path(exists=True, dir_okay=False),
              help="Evaluate offline from a dump of cluster objects (`oc get ... -o yaml`).")
@click.option("--wait", is_flag=True, help="Follow the rollout until Available.")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait with --wait.")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def status(name, namespace, context, dump, wait, timeout, output):
    """Components (managed, ready, reason), what blocks Available, and the endpoints.

    Exit 0 when Available, 1 when not, 2 when the registry or the dump cannot be read.
    """
    from quayops.errors import QuayopsError
    from quayops.reconcile import describe_objects, is_available

    try:
        if dump:
            registry, objects = _from_dump(dump, name)
        else:
            if not name:
                raise click.UsageError("NAME is required unless --from-file is given")
            from quayops.kube.client import Cluster
            from quayops.model.quayregistry import API_VERSION, KIND
            from quayops.reconcile import read_registry_objects, wait_for_registry

            cluster = Cluster.connect(context)
            if wait:
                wait_for_registry(cluster, name, namespace=namespace, timeout=timeout,
                                  report=None if output == "json" else lambda line: click.echo(line, err=True))
            registry = cluster.get(API_VERSION, KIND, name, namespace=namespace)
            objects = read_registry_objects(cluster, namespace)
    except QuayopsError as e:
        click.echo(f"quayops: {e}", err=True)
        sys.exit(1 if e.step and e.step.startswith("wait") else 2)
    d = describe_objects(registry, objects)
    available = is_available(registry)
    if output == "json":
        click.echo(as_json({
            "name": registry["metadata"]["name"], "namespace": registry["metadata"].get("namespace"),
            "available": available, "components": d.components.to_dict("records"), "blockers": d.blockers,
            "endpoints": {r["what"]: r["value"] for r in d.endpoints.to_dict("records")},
        }))
    else:
        meta = registry["metadata"]
        click.echo(f"QuayRegistry {meta.get('namespace')}/{meta['name']}: {'Available' if available else 'NOT available'}")
        click.echo("")
        click.echo(d.components.to_string(index=False))
        if d.blockers:
            click.echo("\nwhat blocks it:")
            for b in d.blockers:
                click.echo(f"  - {b}")
        click.echo("")
        click.echo(d.endpoints.to_string(index=False, header=False))
    sys.exit(0 if available else 1)


def _from_dump(path: str, name: str | None):
    """The QuayRegistry (by name, or the only one) and every object of a List/multi-document dump."""
    from ruamel.yaml import YAML, YAMLError

    from quayops.errors import RegistryInvalid

    try:
        with open(path) as f:
            docs = [d for d in YAML(typ="safe").load_all(f) if d]
    except (OSError, YAMLError) as e:
        raise RegistryInvalid(f"dump {path}: not readable YAML ({e})") from e
    items = [i for d in docs for i in (d.get("items") or [] if d.get("kind", "").endswith("List") else [d])]
    registries = [i for i in items if i.get("kind") == "QuayRegistry" and (not name or i["metadata"]["name"] == name)]
    if len(registries) != 1:
        what = f"named {name}" if name else "(pass NAME to choose)" if registries else ""
        raise RegistryInvalid(f"dump {path}: expected one QuayRegistry {what}, found {len(registries)}", field="NAME")
    return registries[0], {(i["kind"], i["metadata"]["name"]): i for i in items if i.get("metadata")}
