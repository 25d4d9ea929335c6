"""quayops: operate Red Hat Quay deployed by the Quay Operator.

The library behind the runbooks and the `quayops` CLI. It talks to clusters only through the
`kubernetes` client over HTTP; `quayops.operator` and `quayops.config` are pure and shared with the
simulator's Quay Operator. Public names are imported on first use, so `import quayops` stays cheap.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_PUBLIC = {
    "validate_bundle": "quayops.validation",
    "preview": "quayops.reconcile",
    "diff": "quayops.reconcile",
    "describe": "quayops.reconcile",
    "apply_bundle": "quayops.reconcile",
    "apply_registry": "quayops.reconcile",
    "wait_for_registry": "quayops.reconcile",
    "backup_registry": "quayops.backup.procedures",
    "restore_registry": "quayops.backup.procedures",
    "plan_upgrade": "quayops.upgrade.planning",
    "check_upgrade": "quayops.upgrade.preflight",
    "run_runbook": "quayops.runbooks",
    "Cluster": "quayops.kube.client",
    "QuayopsError": "quayops.errors",
    "BundleInvalid": "quayops.errors",
    "RegistryInvalid": "quayops.errors",
    "PreconditionFailed": "quayops.errors",
    "StepFailedError": "quayops.errors",
    "ClusterError": "quayops.errors",
    "UpgradeRefused": "quayops.upgrade.planning",
}
__all__ = list(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'quayops' has no attribute {name!r}")
