"""Secret references (`env:VAR`, `secret:NAMESPACE/NAME/KEY`) and their resolution, for the runner and
for runbooks; imported inside kernels, so it stays light (kubernetes is imported only for `secret:`)."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from typing import Any

from quayops.errors import QuayopsError
from quayops.redaction import secret_values

# Set by the runner in the kernel's environment only (never in the notebook):
RESOLVED_ENV = "QUAYOPS_RESOLVED_SECRETS"  # JSON {reference: value}, resolved before execution
LEDGER_ENV = "QUAYOPS_SECRETS_LEDGER"  # a private file; each line a JSON string the runner must scrub

REFERENCE = re.compile(
    r"^(?:env:(?P<var>[A-Za-z_][A-Za-z0-9_]*)"
    r"|secret:(?P<namespace>[a-z0-9][-a-z0-9]*)/(?P<name>[a-z0-9][-a-z0-9.]*)/(?P<key>[-._a-zA-Z0-9]+))$"
)
REFERENCE_FORMS = "env:VARNAME or secret:NAMESPACE/NAME/KEY"


class SecretUnavailable(QuayopsError):
    """A secret reference could not be resolved (unset variable, missing Secret or key)."""


def is_reference(value: Any) -> bool:
    """Whether a parameter value is a secret reference rather than a secret."""
    return isinstance(value, str) and REFERENCE.match(value) is not None


def resolve_secret(ref: str, *, target: str | None = None) -> str:
    """The value behind a reference, registered with the runner so its outputs get scrubbed.

    Under the runner the value was resolved before the kernel started and arrives through the
    kernel's environment; run by hand (JupyterLab) it is read from the environment or, for `secret:`,
    from the cluster `target` names.
    """
    match = REFERENCE.match(ref) if isinstance(ref, str) else None
    if match is None:
        raise SecretUnavailable(
            "not a secret reference: a secret parameter holds a reference, never the value",
            field="reference", hint=f"Use {REFERENCE_FORMS}.",
        )
    resolved = json.loads(os.environ.get(RESOLVED_ENV) or "{}")
    if ref in resolved:
        value = resolved[ref]
    elif match["var"]:
        value = os.environ.get(match["var"])
        if value is None:
            raise SecretUnavailable(
                f"cannot resolve {ref}: environment variable {match['var']} is not set",
                field=ref, hint=f"Export {match['var']} before running the runbook.",
            )
    else:
        value = _read_secret_key(match["namespace"], match["name"], match["key"], target=target)
    return mark_secret(value)


def mark_secret(value: Any) -> Any:
    """Return `value` unchanged after telling the runner to scrub it (a string, or the secret values
    inside a config or manifest). A no-op outside the runner."""
    values = {value} if isinstance(value, str) else secret_values(value) if isinstance(value, Mapping) else set()
    ledger = os.environ.get(LEDGER_ENV)
    if ledger and values:
        fd = os.open(ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.writelines(json.dumps(v) + "\n" for v in sorted(values))
    return value


def read_ledger(path: str | os.PathLike) -> set[str]:
    """The values a run's kernel marked secret."""
    try:
        with open(path, encoding="utf-8") as f:
            return {json.loads(line) for line in f if line.strip()}
    except FileNotFoundError:
        return set()


def _read_secret_key(namespace: str, name: str, key: str, *, target: str | None) -> str:
    from quayops.kube.connect import connect, read_secret

    data = read_secret(connect(target), namespace, name).get("data") or {}
    if key not in data:
        raise SecretUnavailable(
            f"cannot resolve secret:{namespace}/{name}/{key}: Secret {namespace}/{name} has no key {key!r}",
            field=key, hint=f"Keys present: {', '.join(sorted(data)) or 'none'}.",
        )
    return base64.b64decode(data[key]).decode("utf-8")
