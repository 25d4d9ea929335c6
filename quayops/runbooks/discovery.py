"""Runbooks on disk: `<root>/<group>/<name>.ipynb`, named `group/name`, and their parameters as
papermill infers them from the `parameters` cell."""

from __future__ import annotations

import ast
import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quayops.errors import QuayopsError
from quayops.redaction import is_secret_key

ROOT_ENV = "QUAYOPS_NOTEBOOKS"


class RunbookNotFound(QuayopsError):
    """No runbook of that name under the notebooks root."""


@dataclass(frozen=True)
class Runbook:
    name: str  # group/name, e.g. install/01-preflight
    path: Path

    @property
    def slug(self) -> str:
        """The file stem of the run's outputs: `install-01-preflight`."""
        return self.name.replace("/", "-")


def notebooks_root(root: str | os.PathLike | None = None) -> Path:
    """The notebooks root: `root`, else $QUAYOPS_NOTEBOOKS, else the repository's `notebooks/`."""
    return Path(root or os.environ.get(ROOT_ENV) or Path(__file__).resolve().parents[2] / "notebooks")


def discover_runbooks(root: str | os.PathLike | None = None) -> list[Runbook]:
    """Every runbook under the root, sorted by name; checkpoints and hidden files are skipped."""
    base = notebooks_root(root)
    return sorted(
        (Runbook(f"{p.parent.name}/{p.stem}", p) for p in base.glob("*/*.ipynb")
         if not p.parent.name.startswith(".") and not p.name.startswith(".")),
        key=lambda r: r.name,
    )


def find_runbook(name: str, root: str | os.PathLike | None = None) -> Runbook:
    """The runbook called `name` (`group/name`, `.ipynb` optional)."""
    name = name.removesuffix(".ipynb")
    runbooks = discover_runbooks(root)
    for runbook in runbooks:
        if runbook.name == name:
            return runbook
    close = difflib.get_close_matches(name, [r.name for r in runbooks], n=3)
    hint = f"Did you mean {', '.join(close)}?" if close else "List them with `quayops runbook list`."
    raise RunbookNotFound(f"no runbook {name!r} under {notebooks_root(root)}", field="runbook", hint=hint)


def secret_parameter_names(names, metadata: dict) -> set[str]:
    """Which parameters are secret: a secret-looking name (redaction's convention) or one listed in the
    notebook metadata `quayops.secret_parameters`, minus those listed in `quayops.public_parameters`
    (e.g. `config_bundle_secret`, which names a Secret rather than holding one)."""
    meta = metadata.get("quayops", {})
    declared, public = set(meta.get("secret_parameters", [])), set(meta.get("public_parameters", []))
    return {n for n in names if (n in declared or is_secret_key(n)) and n not in public}


def inspect_runbook(runbook: Runbook | str, *, root: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """The runbook's parameters in order: name, type, default (source text), help, secret.

    papermill's `inspect_notebook` gives name, default and help; the type is the annotation or, without
    one, the type of the default literal.
    """
    import nbformat
    from papermill import inspect_notebook

    if isinstance(runbook, str):
        runbook = find_runbook(runbook, root)
    inferred = inspect_notebook(str(runbook.path))
    metadata = nbformat.read(runbook.path, as_version=4).metadata
    secret = secret_parameter_names(inferred, metadata)
    return [
        {"name": p["name"], "type": _type_name(p), "default": p["default"], "help": p["help"],
         "secret": p["name"] in secret}
        for p in inferred.values()
    ]


def list_runbooks(*, root: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Every runbook with its path and parameters, for `quayops runbook list`."""
    return [{"name": r.name, "path": str(r.path), "parameters": inspect_runbook(r)}
            for r in discover_runbooks(root)]


def _type_name(parameter: dict) -> str:
    if parameter["inferred_type_name"] not in ("None", "", None):
        return parameter["inferred_type_name"]
    try:
        return type(ast.literal_eval(parameter["default"])).__name__
    except (ValueError, SyntaxError, TypeError):
        return "unknown"
