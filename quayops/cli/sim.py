"""`quayops sim`: run the cluster simulator (a thin shell over `simulator.server.start_simulator`)."""

from __future__ import annotations

import signal
import threading

import click


@click.group("sim")
def sim() -> None:
    """Run the in-memory OpenShift simulator."""


@sim.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; loopback only.")
@click.option("--port", default=0, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option("--kubeconfig", "kubeconfig", type=click.Path(dir_okay=False), default=None,
              help="Where to write the kubeconfig (context `simulator`); a temporary file by default.")
@click.option("--platform", type=click.Choice(["openshift", "kubernetes"]), default="openshift", show_default=True)
@click.option("--seed", type=int, default=None, help="Seed for generated names and uids.")
def serve(host: str, port: int, kubeconfig: str | None, platform: str, seed: int | None) -> None:
    """Serve until SIGINT or SIGTERM; prints `ready <kubeconfig-path> <server-url>` once serving."""
    if host != "127.0.0.1":
        raise click.BadParameter("the simulator binds 127.0.0.1 only", param_hint="--host")
    from simulator.server import start_simulator  # lazy: quayops never imports simulator at import time

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    simulator = start_simulator(platform=platform, seed=seed, port=port, kubeconfig=kubeconfig, host=host)
    try:
        click.echo(f"ready {simulator.kubeconfig_path} {simulator.url}")
        while not stop.wait(0.5):
            pass
    finally:
        simulator.stop()
