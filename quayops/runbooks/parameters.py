"""Check and coerce the parameters given for a runbook before anything runs: unknown names, values for
secret parameters (only references are accepted) and types, judged against papermill's inspection."""

from __future__ import annotations

import ast
import difflib
import json
import os
from dataclasses import dataclass
from typing import Any

from quayops.errors import QuayopsError
from quayops.redaction import mask_uri
from quayops.runbooks.secrets import REFERENCE_FORMS, is_reference

TARGET = "target"
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


class ParametersInvalid(QuayopsError):
    """Parameters a runbook cannot take; nothing was run. `field` names the parameter."""


@dataclass(frozen=True)
class ParameterPlan:
    inject: dict[str, Any]  # what papermill writes into the injected cell: references, never secrets
    references: dict[str, str]  # secret parameter -> reference in effect (given, env default or notebook default)


def default_env(name: str) -> str:
    """The environment variable a secret parameter defaults to: QUAYOPS_<NAME>."""
    return f"QUAYOPS_{name.upper()}"


def plan_parameters(
    given: dict[str, Any], declared: list[dict[str, Any]], *, target: str | None, env_defaults: bool = True
) -> ParameterPlan:
    """The parameters to inject and the secret references to resolve, or ParametersInvalid.

    Strings are coerced to the type of the parameter's default, as `-p key value` gives strings.
    A secret parameter not given defaults to `env:QUAYOPS_<NAME>` when that variable is set (and
    `env_defaults`).
    """
    known = {p["name"]: p for p in declared}
    unknown = sorted(set(given) - set(known))
    if unknown:
        close = {c for n in unknown for c in difflib.get_close_matches(n, known, n=2)}
        raise ParametersInvalid(
            f"unknown parameter(s) {', '.join(unknown)}; this runbook takes: {', '.join(known) or 'none'}.",
            field=unknown[0], hint=f"Did you mean {', '.join(sorted(close))}?" if close else None,
        )
    if TARGET in given and target is not None:
        raise ParametersInvalid("target given twice, as a parameter and as the run's target", field=TARGET,
                                hint="Pass it once, with --target.")
    inject: dict[str, Any] = {}
    references: dict[str, str] = {}
    for name, value in given.items():
        p = known[name]
        if p["secret"]:
            if value not in (None, "") and not is_reference(value):
                # the value is never repeated: it may be the secret itself
                raise ParametersInvalid(
                    f"parameter {name} is secret: pass a reference ({REFERENCE_FORMS}), not its value.",
                    field=name, hint=f"Export {default_env(name)} and leave -p {name} out, or pass "
                                     f"-p {name} env:VARNAME.",
                )
        else:
            value = _coerce(name, value, p)
            if isinstance(value, str) and mask_uri(value) != value:
                raise ParametersInvalid(
                    f"parameter {name} carries a password inside a URI; it would be recorded in the notebook",
                    field=name, hint="Pass the URI without the password and the password as a secret parameter.",
                )
        inject[name] = value
    if target is not None and TARGET in known:
        inject[TARGET] = target
    for p in declared:
        if not p["secret"]:
            continue
        name = p["name"]
        if env_defaults and name not in inject and default_env(name) in os.environ:
            inject[name] = f"env:{default_env(name)}"
        value = inject[name] if name in inject else _literal(p["default"])
        if value in (None, ""):
            continue
        if not is_reference(value):
            raise ParametersInvalid(
                f"the runbook's default for secret parameter {name} is not a reference",
                field=name, hint=f"Pass -p {name} with {REFERENCE_FORMS}, or set {default_env(name)}.",
            )
        references[name] = value
    return ParameterPlan(inject, references)


def _literal(source: str) -> Any:
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError):
        return source


def _coerce(name: str, value: Any, parameter: dict) -> Any:
    kind = parameter["type"]
    if not isinstance(value, str) or kind in ("str", "unknown"):
        return value
    try:
        if kind == "bool":
            if value.lower() in _TRUE | _FALSE:
                return value.lower() in _TRUE
            raise ValueError(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind in ("list", "dict", "tuple"):
            parsed = json.loads(value) if value.lstrip()[:1] in "[{" else ast.literal_eval(value)
            if type(parsed).__name__ not in (kind, "list" if kind == "tuple" else kind):
                raise ValueError(value)
            return parsed
        if kind == "NoneType":
            return None if value.lower() in ("none", "null", "") else _number_or_text(value)
    except (ValueError, SyntaxError, json.JSONDecodeError) as e:
        raise ParametersInvalid(
            f"parameter {name} expects {kind} (default {parameter['default']}), got {value!r}",
            field=name, hint=f"Pass a {kind} literal.",
        ) from e
    return value


def _number_or_text(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value
