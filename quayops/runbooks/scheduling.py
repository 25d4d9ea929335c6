"""A batch/v1 CronJob that runs a runbook in-cluster with `quayops runbook run`; secret parameters
arrive as secretKeyRef environment variables, never as literals in the manifest."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from quayops import __version__
from quayops.runbooks.discovery import find_runbook, inspect_runbook
from quayops.runbooks.parameters import TARGET, ParametersInvalid, default_env, plan_parameters
from quayops.runbooks.secrets import REFERENCE

OUT_DIR = "/var/run/quayops/out"
DEFAULT_IMAGE = f"quayops:{__version__}"  # an image with quayops and its notebooks/ installed


def cronjob_manifest(
    name: str,
    *,
    schedule: str,
    image: str = DEFAULT_IMAGE,
    parameters: dict[str, Any] | None = None,
    target: str = "in-cluster",
    namespace: str = "quay-enterprise",
    service_account: str = "quayops-runbook",
    root: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """The CronJob for a runbook, its parameters checked against the local copy (ParametersInvalid).

    A secret parameter must be `secret:NAMESPACE/NAME/KEY`: in the CronJob's namespace it becomes a
    secretKeyRef env var read as `env:QUAYOPS_<PARAM>`; elsewhere the reference is kept and the runner
    reads it through the API (the service account then needs `get` on that Secret).
    """
    runbook = find_runbook(name, root)
    plan = plan_parameters(dict(parameters or {}), inspect_runbook(runbook), target=target, env_defaults=False)
    args = ["runbook", "run", runbook.name, "--target", target, "--out", OUT_DIR, "--no-progress"]
    env = []
    for key, ref in plan.references.items():
        match = REFERENCE.match(ref)
        if match["var"]:
            raise ParametersInvalid(
                f"secret parameter {key} would be read from env:{match['var']}, which a CronJob's pod does not have.",
                field=key, hint=f"Pass -p {key} secret:NAMESPACE/NAME/KEY.",
            )
        if match["namespace"] == namespace:
            env.append({"name": default_env(key),
                        "valueFrom": {"secretKeyRef": {"name": match["name"], "key": match["key"]}}})
            plan.inject[key] = f"env:{default_env(key)}"
        else:
            plan.inject[key] = ref
    for key, value in plan.inject.items():
        if key != TARGET:
            args += ["-p", key, value if isinstance(value, str) else json.dumps(value)]
    job_name = _name(runbook.slug)
    labels = {"app.kubernetes.io/name": "quayops-runbook", "app.kubernetes.io/managed-by": "quayops",
              "quayops.dev/runbook": runbook.slug[:63]}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": job_name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"metadata": {"labels": dict(labels)}, "spec": {
                "backoffLimit": 0,  # a runbook step is not blindly retried; the exit status says why it stopped
                "template": {"metadata": {"labels": dict(labels)}, "spec": {
                    "serviceAccountName": service_account,
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "runbook",
                        "image": image,
                        "command": ["quayops"],
                        "args": args,
                        **({"env": env} if env else {}),
                        "volumeMounts": [{"name": "out", "mountPath": OUT_DIR}],
                    }],
                    "volumes": [{"name": "out", "emptyDir": {}}],
                }},
            }},
        },
    }


def _name(slug: str) -> str:
    """A CronJob name: at most 52 characters, as the controller appends an 11-character suffix to Jobs."""
    name = f"quayops-{slug}".lower()
    if len(name) <= 52:
        return name
    return f"{name[:43].rstrip('-')}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
