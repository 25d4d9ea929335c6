"""Installing Quay with the Quay Operator (guide 1.6, 2, 3, 4, 5, 6, 8.1, 8.4): the steps the install runbooks
call, one or two per step, so that the runbooks and the CLI share them. Modules here may use `quayops.kube`,
`quayops.reconcile` and `quayops.config`; nothing here imports a runbook or the simulator."""

from __future__ import annotations

from quayops.errors import QuayopsError


class InstallParametersInvalid(QuayopsError):
    """A parameter an install step cannot take; raised before anything is written, so nothing was changed."""


def connect(target: str):
    """The Cluster a runbook's `target` names: `sim` is the simulator's kubeconfig context."""
    from quayops.kube.client import Cluster

    return Cluster.connect("simulator" if target in ("sim", "simulator") else target)


def route_session_for(target: str):
    """A requests Session that reaches the target's route hosts (resolve map and cluster CA from the kubeconfig)."""
    from quayops.kube.resolve import route_session

    return route_session(context="simulator" if target in ("sim", "simulator") else target)
