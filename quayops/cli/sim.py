"""`quayops sim`: run the cluster simulator (a thin shell over `simulator.server.start_simulator`)."""

from __future__ import annotations

import signal
import threading

import click

from quayops.cli.sim_faults import fault
from quayops.kube.kinds import OPTIONAL_APIS

# The newest quay-operator in the simulator's catalog (simulator.olm_catalog.LATEST; quayops never imports it).
LATEST_OPERATOR = "3.7.14"


@click.group("sim")
def sim() -> None:
    """Run the in-memory OpenShift simulator."""


sim.add_command(fault)


def _without(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    names = tuple(n.strip() for n in (value or "").split(",") if n.strip())
    unknown = [n for n in names if n not in OPTIONAL_APIS]
    if unknown:
        raise click.BadParameter(f"unknown API {unknown[0]!r}: expected some of {','.join(OPTIONAL_APIS)}")
    return names


@sim.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; loopback only.")
@click.option("--port", default=0, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option("--kubeconfig", "kubeconfig", type=click.Path(dir_okay=False), default=None,
              help="Where to write the kubeconfig (context `simulator`); a temporary file by default.")
@click.option("--platform", type=click.Choice(["openshift", "kubernetes"]), default="openshift", show_default=True)
@click.option("--seed", type=int, default=None, help="Seed for generated names, uids and delays.")
@click.option("--pace", type=click.Choice(["fast", "realistic", "immediate"]), default="fast", show_default=True,
              help="Lifecycle delays: a registry rolls out in seconds (fast) or as on a real cluster (realistic).")
@click.option("--clock-rate", type=float, default=1.0, show_default=True,
              help="Simulated seconds per real second (60: an hour of restarts in a minute).")
@click.option("--workers", type=int, default=None, help="Worker nodes (default: the platform profile's).")
@click.option("--worker-size", default=None, metavar="CPU/MEMORY",
              help="Worker capacity, e.g. 8/32Gi (default: the platform profile's).")
@click.option("--with-operator", "with_operator", is_flag=False, flag_value=LATEST_OPERATOR, default=None,
              metavar="[VERSION]", help=f"Start with the Quay Operator installed through OLM in openshift-operators "
              f"(all namespaces); VERSION defaults to {LATEST_OPERATOR}.")
@click.option("--data-plane", "data_plane", is_flag=True, default=False,
              help="Also start the real servers (PostgreSQL, SeaweedFS, Prometheus, the router, Quay apps, config "
              "editors); route hosts are published in the kubeconfig's `quayops.dev/resolve` extension.")
@click.option("--data-dir", "data_dir", type=click.Path(file_okay=False), default=None,
              help="With --data-plane: keep PostgreSQL's and SeaweedFS's data here across runs (default: temp dirs).")
@click.option("--without", callback=_without, default=None, metavar="API,...",
              help=f"OpenShift APIs the cluster lacks, from {','.join(OPTIONAL_APIS)} (the operator then "
              "defaults those components to unmanaged).")
def serve(host: str, port: int, kubeconfig: str | None, platform: str, seed: int | None, pace: str,
          clock_rate: float, workers: int | None, worker_size: str | None, with_operator: str | None,
          data_plane: bool, data_dir: str | None, without: tuple[str, ...]) -> None:
    """Serve until SIGINT or SIGTERM; prints `ready <kubeconfig-path> <server-url>` once serving."""
    if host != "127.0.0.1":
        raise click.BadParameter("the simulator binds 127.0.0.1 only", param_hint="--host")
    if (with_operator or data_plane) and platform != "openshift":
        raise click.BadParameter("OLM and the data plane run on the openshift platform only",
                                param_hint="--with-operator" if with_operator else "--data-plane")
    if data_dir and not data_plane:
        raise click.BadParameter("needs --data-plane", param_hint="--data-dir")
    if clock_rate <= 0:
        raise click.BadParameter("must be greater than 0", param_hint="--clock-rate")
    cpu, _, memory = (worker_size or "").partition("/")
    if worker_size and not (cpu and memory):
        raise click.BadParameter("expected CPU/MEMORY, e.g. 8/32Gi", param_hint="--worker-size")
    from simulator.clock import Clock  # lazy: quayops never imports simulator at import time
    from simulator.profiles import profile_for
    from simulator.server import start_simulator

    profile = profile_for(platform).with_workers(count=workers, cpu=cpu or None, memory=memory or None)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    simulator = start_simulator(platform=platform, seed=seed, port=port, kubeconfig=kubeconfig, host=host,
                                profile=profile, clock=Clock(rate=clock_rate), pace=pace, run_controllers=True,
                                with_operator=with_operator, data_plane=data_plane, data_dir=data_dir,
                                without=without)
    try:
        click.echo(f"ready {simulator.kubeconfig_path} {simulator.url}")
        while not stop.wait(0.5):
            pass
    finally:
        simulator.stop()
