"""The `quayops` command: a thin shell over one library call per command.

Subcommand modules are imported only when their command runs, so `quayops --help` stays fast.
"""

from __future__ import annotations

import importlib

import click

# command name -> (module, attribute, one-line help shown by `quayops --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "alerts": ("quayops.cli.monitor", "alerts", "Show alerts firing and pending, with their runbooks."),
    "backup": ("quayops.cli.backup", "backup", "Back up a registry (guide 11.1), resumable and verified."),
    "config": ("quayops.cli.config", "config", "Create and validate config bundles."),
    "metrics": ("quayops.cli.monitor", "metrics", "Show the Quay dashboard's figures from Prometheus."),
    "restore": ("quayops.cli.backup", "restore", "Restore a registry from a backup (guide 11.2) and verify it."),
    "runbook": ("quayops.cli.runbook", "runbook", "List, run and schedule the runbook notebooks."),
    "render": ("quayops.cli.render", "render", "Show what the operator would do with a QuayRegistry."),
    "sim": ("quayops.cli.sim", "sim", "Run the cluster simulator."),
    "status": ("quayops.cli.status", "status", "Explain a QuayRegistry's status, live or from a dump."),
    "upgrade": ("quayops.cli.upgrade", "upgrade", "Plan Quay upgrades along supported paths."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="quayops")
def main() -> None:
    """Operate Red Hat Quay deployed by the Quay Operator: validate, render, install, back up,
    restore, upgrade and monitor, against OpenShift or the bundled simulator."""
