"""The runbook runner: find the parameterized notebooks under `notebooks/<group>/<name>.ipynb`, run them
headless with papermill (executed notebook, HTML report, run record with a scheduler's exit status),
prepare them for nbval, and schedule them as CronJobs.

Secrets never enter a notebook. A parameter is secret by name (`redaction.is_secret_key`) or by the
notebook metadata `quayops.secret_parameters` (`quayops.public_parameters` overrides the name rule),
and only takes a reference: `env:VAR` or `secret:NAMESPACE/NAME/KEY`; a value is refused. The runner
resolves every reference in effect before the kernel starts (bad ones stop the run with exit 2) and
hands the values to the kernel in its environment (`QUAYOPS_RESOLVED_SECRETS`), so the injected cell
and `metadata.papermill.parameters` hold references only. In the notebook `secrets.resolve_secret(ref,
target=target)` returns the value (resolving it itself when run by hand), and `secrets.mark_secret(x)`
registers values found at run time (a generated password, a config bundle) in a private ledger
(`QUAYOPS_SECRETS_LEDGER`). The runner thus knows every value: it masks them (raw, JSON- and
HTML-escaped, base64) in the notebook before writing it, checks each written file again, and fails a
run in which one appeared, naming the file and cell, never the value.

Heavy imports (papermill, nbformat, nbconvert) happen inside functions: kernels import
`quayops.runbooks.secrets` and should not pay for them.
"""

from quayops.runbooks.discovery import (
    Runbook,
    RunbookNotFound,
    discover_runbooks,
    find_runbook,
    inspect_runbook,
    list_runbooks,
    notebooks_root,
)
from quayops.runbooks.parameters import ParametersInvalid
from quayops.runbooks.running import EXIT_STATUS, Outcome, RunRecord, prepare_for_test, run_runbook
from quayops.runbooks.scheduling import cronjob_manifest
from quayops.runbooks.secrets import SecretUnavailable, mark_secret, resolve_secret

__all__ = [
    "EXIT_STATUS",
    "Outcome",
    "ParametersInvalid",
    "RunRecord",
    "Runbook",
    "RunbookNotFound",
    "SecretUnavailable",
    "cronjob_manifest",
    "discover_runbooks",
    "find_runbook",
    "inspect_runbook",
    "list_runbooks",
    "mark_secret",
    "notebooks_root",
    "prepare_for_test",
    "resolve_secret",
    "run_runbook",
]
