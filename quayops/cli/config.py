"""`quayops config`: validate a config bundle before anything is applied, or start a new one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from quayops.cli.output import as_json, emit, findings_table

PLATFORMS = ("openshift", "kubernetes")


@click.group()
def config() -> None:
    """Create and validate Quay config bundles (config.yaml plus certificates)."""


def _platform(platform: str, no_routes: bool, no_obc: bool, no_monitoring: bool):
    from quayops.operator.platform import Platform

    openshift = platform == "openshift"
    return Platform(
        routes=openshift and not no_routes,
        object_bucket_claims=openshift and not no_obc,
        monitoring=openshift and not no_monitoring,
    )


def _fail_usage(message: str) -> None:
    click.echo(f"quayops: {message}", err=True)
    sys.exit(2)


@config.command()
@click.argument("bundle")
@click.option("--registry", "registry_path", type=click.Path(dir_okay=False),
              help="QuayRegistry manifest to check the bundle against (default: the guide's minimal one).")
@click.option("--online", is_flag=True, help="Also connect to the database, Redis and storage the config names.")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--platform", type=click.Choice(PLATFORMS), default="openshift", show_default=True,
              help="The cluster the registry runs on (kubernetes: no Route, ObjectBucketClaim or monitoring APIs).")
@click.option("--no-routes", is_flag=True, help="The cluster has no Route API.")
@click.option("--no-obc", is_flag=True, help="The cluster has no ObjectBucketClaim API (no ODF/NooBaa).")
@click.option("--no-monitoring", is_flag=True, help="Monitoring unsupported (single-namespace install).")
@click.option("-n", "--namespace", default=None, help="Namespace of a live Secret (BUNDLE given as secret/NAME).")
@click.option("--context", default=None, help="kubeconfig context for a live Secret.")
def validate(bundle, registry_path, online, output, platform, no_routes, no_obc, no_monitoring, namespace, context):
    """Validate BUNDLE: a directory, a Secret manifest (YAML/JSON), or secret/NAME in a cluster.

    Exit 0 when valid (warnings allowed), 1 when invalid, 2 when the input cannot be read.
    """
    from quayops.errors import QuayopsError
    from quayops.redaction import secret_values
    from quayops.validation import validate_bundle

    try:
        loaded = _load_bundle(bundle, namespace=namespace, context=context)
        registry = None
        if registry_path:
            from quayops.model.quayregistry import load_registry_path

            registry = load_registry_path(registry_path)
    except QuayopsError as e:
        _fail_usage(str(e))
    report = validate_bundle(
        loaded, registry=registry, platform=_platform(platform, no_routes, no_obc, no_monitoring), online=online
    )
    secrets = _bundle_secrets(loaded, secret_values)
    data = report.to_dict()
    emit(as_json(data) if output == "json" else findings_table(f"Config bundle {loaded.source}", data), secrets)
    sys.exit(0 if report.valid else 1)


def _load_bundle(source: str, *, namespace: str | None, context: str | None):
    from quayops.config.bundle import bundle_from_secret, load_bundle_path

    if source.startswith(("secret/", "secrets/")) and not Path(source).exists():
        from quayops.kube.connect import connect, read_secret

        name = source.split("/", 1)[1]
        ns = namespace or "quay-enterprise"
        return bundle_from_secret(read_secret(connect(context), ns, name), source=f"Secret {ns}/{name}")
    return load_bundle_path(source)


def _bundle_secrets(bundle, secret_values) -> set[str]:
    """Every secret value the bundle holds: from its parsed config and from key-like files."""
    from quayops.config.loading import parse_config_yaml
    from quayops.errors import QuayopsError

    found: set[str] = set()
    text = bundle.config_text
    if text:
        try:
            found |= secret_values(parse_config_yaml(text))
        except QuayopsError:
            found |= _secret_lines(text)
    for key, raw in bundle.files.items():
        if key.endswith(".key"):
            found |= {line for line in raw.decode(errors="replace").splitlines() if len(line) > 16}
    return found


def _secret_lines(text: str) -> set[str]:
    """Values of `secret_key: value` lines in a config that does not parse, so they can still be masked."""
    from quayops.redaction import is_secret_key

    found = set()
    for line in text.splitlines():
        key, sep, value = line.strip().lstrip("- ").partition(":")
        if sep and is_secret_key(key.strip()) and len(value.strip().strip("'\"")) >= 4:
            found.add(value.strip().strip("'\""))
    return found


@config.command("new")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--hostname", help="SERVER_HOSTNAME (default: the operator's route host).")
@click.option("--automation/--no-automation", default=True, show_default=True,
              help="The automation preset of guide 3.1.6 (first user by API, superuser quayadmin).")
@click.option("--features", is_flag=True, help="Turn on the Quay 3.7 features of guide 3.1.5.")
@click.option("--storage", type=click.Choice(["managed", "s3", "gcs", "azure", "radosgw", "swift", "noobaa", "local"]),
              default="managed", show_default=True, help="Managed (ODF) or an unmanaged driver (guide 3.2.1).")
@click.option("--storage-param", "storage_params", multiple=True, metavar="KEY=VALUE",
              help="Set a storage driver parameter (repeatable).")
@click.option("--external-db", "db_uri", default=None, metavar="DB_URI", is_flag=False, flag_value="",
              help="Unmanaged postgres with this DB_URI (guide 3.3.1; without a value, the guide's example).")
@click.option("--external-redis", "redis_host", default=None, metavar="HOST[:PORT]", is_flag=False, flag_value="",
              help="Unmanaged Redis (guide 3.5.1; without a value, the guide's example host).")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="Custom TLS certificate (guide 3.4.1).")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="Its private key.")
@click.option("--name", default="example-registry", show_default=True, help="QuayRegistry name for quayregistry.yaml.")
@click.option("-n", "--namespace", default="quay-enterprise", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite files in an existing directory.")
def new(directory, hostname, automation, features, storage, storage_params, db_uri, redis_host, tls_cert, tls_key,
        name, namespace, force):
    """Write a starting bundle in DIRECTORY: config.yaml, certificates, and a matching quayregistry.yaml.

    The result is validated as `config validate` would; what the guide's own examples get wrong is fixed
    and said as a warning.
    """
    from quayops.bundles import write_new_bundle
    from quayops.config.presets import new_bundle
    from quayops.errors import QuayopsError

    if bool(tls_cert) != bool(tls_key):
        _fail_usage("--tls-cert and --tls-key go together")
    params = {}
    for item in storage_params:
        key, sep, value = item.partition("=")
        if not sep:
            _fail_usage(f"--storage-param {item!r}: expected KEY=VALUE")
        params[key] = value
    redis = None
    if redis_host is not None:
        host, _, port = redis_host.partition(":")
        redis = {k: v for k, v in (("host", host), ("port", int(port) if port.isdigit() else None)) if v}
    try:
        spec = new_bundle(
            hostname=hostname, automation=automation, features=features, storage=storage,
            storage_params=params, db_uri=db_uri, redis=redis,
            tls_pair=(Path(tls_cert).read_bytes(), Path(tls_key).read_bytes()) if tls_cert else None,
        )
        written, report = write_new_bundle(spec, directory, name=name, namespace=namespace, force=force)
    except (QuayopsError, ValueError) as e:
        _fail_usage(str(e))
    click.echo(f"wrote {', '.join(written)}")
    for note in spec.notes:
        click.echo(f"note: {note}")
    data = report.to_dict()
    click.echo(findings_table(f"Config bundle {directory}", data))
    sys.exit(0 if report.valid else 1)
