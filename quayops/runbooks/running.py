"""Run a runbook headless with papermill and write the executed notebook, its HTML report and a run
record whose exit status a scheduler can act on; secrets reach the kernel only through its environment."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from quayops.errors import QuayopsError
from quayops.redaction import MASK, is_secret_key, mask_uri
from quayops.runbooks.discovery import Runbook, find_runbook, inspect_runbook
from quayops.runbooks.parameters import plan_parameters
from quayops.runbooks.scrubbing import scrub_files, scrub_notebook, scrub_text, scrub_value, spellings
from quayops.runbooks.secrets import LEDGER_ENV, RESOLVED_ENV, is_reference, read_ledger, resolve_secret

BANNER_TAG = "quayops-run-banner"


class Outcome(str, enum.Enum):
    OK = "ok"
    FAILED = "failed"
    BAD_PARAMETERS = "bad-parameters"
    TIMEOUT = "timeout"
    KERNEL_DIED = "kernel-died"


# exit status per outcome, for schedulers (issue 7)
EXIT_STATUS = {Outcome.OK: 0, Outcome.FAILED: 1, Outcome.BAD_PARAMETERS: 2, Outcome.TIMEOUT: 3,
               Outcome.KERNEL_DIED: 4}


@dataclass
class RunRecord:
    """What happened in one run; written as `<group>-<name>.json` next to the notebook and HTML."""

    runbook: str
    target: str
    parameters: dict[str, Any]
    started: str
    ended: str = ""
    duration_s: float = 0.0
    outcome: str = Outcome.OK.value
    exit_status: int = 0
    message: str = ""
    error: dict[str, Any] | None = None  # cell_index, execution_count, step, ename, evalue
    secret_leaks: list[str] = field(default_factory=list)  # files in which a secret was found and masked
    notebook: str | None = None
    html: str | None = None
    record: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line for people and logs."""
        line = f"{self.runbook} on {self.target}: {self.outcome} in {self.duration_s:.1f} s (exit {self.exit_status})"
        return f"{line}: {self.message}" if self.message else line


def kube_context(target: str) -> str:
    """The kubeconfig context (or `in-cluster`) a target names; `sim` is the simulator's context."""
    return "simulator" if target in ("sim", "simulator") else target


def run_runbook(
    name: str,
    *,
    parameters: dict[str, Any] | None = None,
    target: str = "sim",
    out_dir: str | os.PathLike,
    kernel_name: str | None = None,
    timeout: int | None = None,
    root: str | os.PathLike | None = None,
    progress: bool = True,
) -> RunRecord:
    """Run a runbook and write `<group>-<name>.ipynb`, `.html` and `.json` under `out_dir`.

    Bad parameters return a record (exit 2) before any kernel starts, and only the JSON is written.
    Secret references are resolved here, handed to the kernel through its environment and masked in
    every file written; a secret found in an output fails the run. `timeout` bounds each cell (whole seconds).
    Raises RunbookNotFound for an unknown name.
    """
    runbook = find_runbook(name, root)
    started = _now()
    context = kube_context(target)
    out = Path(out_dir)
    given = dict(parameters or {})
    record = RunRecord(runbook=runbook.name, target=context, parameters={}, started=started.isoformat())
    secrets: dict[str, str] = {}
    try:
        declared = inspect_runbook(runbook)
        record.parameters = _recorded(given, declared)
        plan = plan_parameters(given, declared, target=context)
        record.parameters = _recorded(plan.inject, declared)
        for ref in sorted(set(plan.references.values())):
            secrets[ref] = resolve_secret(ref, target=context)
    except QuayopsError as e:  # ParametersInvalid, SecretUnavailable, ClusterError reading a Secret
        record.outcome, record.message = Outcome.BAD_PARAMETERS.value, f"{e} Nothing was run."
        return _write_record(record, out, runbook, spellings(secrets.values()), started)

    import nbformat

    staging = Path(tempfile.mkdtemp(prefix="quayops-run-"))  # 0700: staged notebook, ledger, kernel sockets
    try:
        outcome, failure = _execute(runbook, staging, plan.inject, secrets, kernel_name=kernel_name,
                                    timeout=timeout, progress=progress)
        nb = nbformat.read(staging / "notebook.ipynb", as_version=4)  # papermill saves it before the kernel starts
        forms = spellings(set(secrets.values()) | read_ledger(staging / "ledger"))
        if outcome is Outcome.KERNEL_DIED:
            failure = {**(failure or {}), "last_words": _last_line(staging / "kernel.log", forms)}
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    record.outcome = outcome.value
    files = _artifact_paths(out, runbook)
    nb.metadata.papermill["output_path"] = str(files["notebook"])  # not the staging copy papermill wrote
    leaked_where = _judge(nb, record, outcome, failure, forms, timeout=timeout, notebook_name=files["notebook"].name)
    if leaked_where:
        record.secret_leaks = [str(files["notebook"]), str(files["html"])]
        if record.error["ename"] != "SecretInOutput":
            record.message += "; " + _LEAK_ADVICE.format(where=leaked_where, name=files["notebook"].name)

    out.mkdir(parents=True, exist_ok=True)
    files["notebook"].write_text(nbformat.writes(nb), encoding="utf-8")
    html, count = scrub_text(_html_exporter().from_notebook_node(nb)[0], forms)
    files["html"].write_text(html, encoding="utf-8")
    slipped = scrub_files([files["notebook"]], forms) + ([files["html"]] if count else [])
    if slipped:  # found only in the serialized files: masked there, and the run fails all the same
        record.secret_leaks = sorted(set(record.secret_leaks) | {str(p) for p in slipped})
        record.outcome = Outcome.FAILED.value
        record.message = (record.message + "; " if record.message else "") + (
            f"a secret value was found and masked in {', '.join(p.name for p in slipped)}")
    record.notebook, record.html = str(files["notebook"]), str(files["html"])
    return _write_record(record, out, runbook, forms, started)


_LEAK_ADVICE = ("a secret value appeared in {where} and was masked in {name} and its HTML: stop printing it, "
                "or mark_secret() what holds it")


def _judge(nb, record: RunRecord, outcome: Outcome, failure: dict | None, forms: list[str], *,
           timeout: int | None, notebook_name: str) -> str | None:
    """Mask secrets in the executed notebook and, if the run failed or leaked, say where in the record
    and in a banner; return where a secret was found. A leak alone fails an otherwise good run."""
    _remove_markers(nb)
    leaked = [nb.cells[i] if i >= 0 else None for i in scrub_notebook(nb, forms)]  # None: notebook metadata
    if outcome is Outcome.OK and not leaked:
        return None
    if outcome is Outcome.OK:
        outcome, failing = Outcome.FAILED, next((c for c in leaked if c is not None), nb.cells[0])
        ename, evalue = "SecretInOutput", "a secret value appeared in this cell's output and was masked"
    else:
        failing, ename, evalue = _failing_cell(nb, outcome, failure, timeout)
    index = _position(nb, failing)
    error = {"cell_index": index + 2,  # after the banner and the anchor inserted above it
             "execution_count": failing.get("execution_count"), "step": _step_of(nb, index),
             "ename": ename, "evalue": mask_uri(scrub_text(str(evalue), forms)[0])[:1000]}
    record.outcome, record.error = outcome.value, error
    _insert_banner(nb, index, record, error)
    where = ", ".join(f"cell {_position(nb, c)}" if c is not None else "the notebook metadata" for c in leaked)
    record.message = _failure_message(record.outcome, error)
    if ename == "SecretInOutput":
        record.message = f"failed: {_LEAK_ADVICE.format(where=where, name=notebook_name)}"
    return where if leaked else None


def _last_line(path: Path, forms: list[str]) -> str:
    """The kernel process's last line of output, masked: why it died, when it could say."""
    lines = [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return mask_uri(scrub_text(lines[-1], forms)[0])[:300] if lines else ""


def _position(nb, cell) -> int:
    return next(i for i, c in enumerate(nb.cells) if c is cell)


def prepare_for_test(
    name: str,
    parameters: dict[str, Any] | None,
    out_path: str | os.PathLike,
    *,
    target: str = "sim",
    root: str | os.PathLike | None = None,
) -> Path:
    """A parameterized, unexecuted copy of a runbook for `pytest --nbval-lax` (`papermill --prepare-only`).

    Parameters are checked as for a run (ParametersInvalid); secret references stay references and
    are resolved by the notebook when nbval runs it. Committed outputs are kept for NBVAL_CHECK_OUTPUT.
    """
    import papermill

    runbook = find_runbook(name, root)
    plan = plan_parameters(dict(parameters or {}), inspect_runbook(runbook), target=kube_context(target))
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(str(runbook.path), str(out), parameters=plan.inject, prepare_only=True,
                               progress_bar=False)
    return out


def _execute(runbook: Runbook, staging: Path, inject: dict, secrets: dict[str, str], *, kernel_name, timeout,
             progress) -> tuple[Outcome, dict | None]:
    """Run papermill into the staging directory; the outcome and, for failures, what papermill knows."""
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    env = {RESOLVED_ENV: json.dumps(secrets), LEDGER_ENV: str(staging / "ledger")}
    try:
        with open(staging / "kernel.log", "ab") as log:
            papermill.execute_notebook(
                str(runbook.path), str(staging / "notebook.ipynb"), parameters=inject, kernel_name=kernel_name,
                progress_bar=progress, cwd=str(runbook.path.parent), execution_timeout=timeout,
                kernel_manager_class=_kernel_manager_class(env, staging, log),
            )
    except papermill.PapermillExecutionError as e:
        return Outcome.FAILED, {"cell_index": e.cell_index, "ename": e.ename, "evalue": e.evalue}
    except CellTimeoutError:
        return Outcome.TIMEOUT, None
    except DeadKernelError:
        return Outcome.KERNEL_DIED, None
    except NoSuchKernel as e:
        return Outcome.KERNEL_DIED, {"ename": "NoSuchKernel", "evalue": f"kernel {e.name!r} is not installed; "
                                     "install one with `python -m ipykernel install --sys-prefix`"}
    return Outcome.OK, None


def _kernel_manager_class(env: dict[str, str], staging: Path, log):
    """A kernel manager that adds the run's secrets to the kernel's environment, talks to it over IPC
    sockets in the run's private directory rather than loopback TCP, and keeps the kernel process's own
    stdout and stderr (not cell outputs) there too, as they may hold anything."""
    from jupyter_client import AsyncKernelManager

    class RunbookKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            self.transport, self.ip = "ipc", str(staging / "kernel")
            kw["env"] = {**os.environ, **(kw.get("env") or {}), **env}
            kw["stdout"] = kw["stderr"] = log
            await super().start_kernel(**kw)

    return RunbookKernelManager


def _failing_cell(nb, outcome: Outcome, failure: dict | None, timeout: int | None):
    """(cell, ename, evalue): papermill's failing cell for a failed step, else the last cell that started."""
    if outcome is Outcome.FAILED:
        return nb.cells[failure["cell_index"]], failure["ename"], failure["evalue"]
    started = [c for c in nb.cells if c.metadata.get("papermill", {}).get("start_time")]
    cell = started[-1] if started else nb.cells[0]
    if outcome is Outcome.TIMEOUT:
        return cell, "CellTimeoutError", f"the cell ran longer than {timeout} s" if timeout else "the cell timed out"
    if "ename" in failure:  # the kernel could not start
        return cell, failure["ename"], failure["evalue"]
    last_words = failure.get("last_words")
    return cell, "DeadKernelError", "the kernel died while running this cell (os._exit, a crash or out of memory)" + (
        f"; its last words: {last_words}" if last_words else "")


def _step_of(nb, index: int) -> str | None:
    """The step a cell belongs to: the first line of the nearest markdown cell above it."""
    for cell in reversed(nb.cells[:index + 1]):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.strip():
                    return line.lstrip("#").strip()[:120]
    return None


def _failure_message(outcome: str, error: dict) -> str:
    where = f"cell {error['cell_index']}"
    if error.get("execution_count"):
        where += f" (In [{error['execution_count']}])"
    if error.get("step"):
        where += f", step {error['step']!r}"
    first_line = (error["evalue"].strip().splitlines() or [""])[0][:256]
    return f"{outcome} at {where}: {error['ename']}" + (f": {first_line}" if first_line else "")


def _insert_banner(nb, index: int, record: RunRecord, error: dict) -> None:
    """papermill-style: a banner on top and an anchor just above the failing cell (at `index`)."""
    from nbformat import v4
    from papermill.execute import ERROR_ANCHOR_MSG, ERROR_MARKER_TAG

    first_line = (error["evalue"].strip().splitlines() or [""])[0][:256].replace("`", "'")
    step = f", step “{error['step']}”" if error.get("step") else ""
    if error["ename"] == "SecretInOutput":
        anchor = v4.new_markdown_cell(ERROR_ANCHOR_MSG.replace(
            "Execution using papermill encountered an exception here and stopped:",
            "A secret value appeared in the output below and was masked:"))
        after = "The run went on; every secret value it knew was masked in this notebook."
    else:
        anchor, after = v4.new_markdown_cell(ERROR_ANCHOR_MSG), "The cells after it did not run."
    banner = v4.new_markdown_cell(
        f"## Run {record.outcome} at cell {error['cell_index']}{step}\n\n"
        f"`{error['ename']}" + (f": {first_line}`" if first_line else "`") + "\n\n"
        f"[Go to the failing cell](#papermill-error-cell). {after} "
        f"Exit status {EXIT_STATUS[Outcome(record.outcome)]}; target `{record.target}`; started {record.started}."
    )
    for cell in (anchor, banner):
        cell.metadata["tags"] = [ERROR_MARKER_TAG, BANNER_TAG]
    nb.cells.insert(index, anchor)
    nb.cells.insert(0, banner)


def _remove_markers(nb) -> None:
    from papermill.execute import ERROR_MARKER_TAG

    nb.cells = [c for c in nb.cells if ERROR_MARKER_TAG not in c.metadata.get("tags", [])]


def _recorded(params: dict[str, Any], declared: list[dict]) -> dict[str, Any]:
    """Parameters as the record keeps them: references as given, anything else secret masked."""
    secret = {p["name"] for p in declared if p["secret"]}
    return {k: v if is_reference(v) or v in (None, "") else MASK if k in secret or is_secret_key(k)
            else mask_uri(v) if isinstance(v, str) else v for k, v in params.items()}


def _write_record(record: RunRecord, out: Path, runbook: Runbook, forms: list[str], started) -> RunRecord:
    ended = _now()
    record.ended, record.duration_s = ended.isoformat(), round((ended - started).total_seconds(), 3)
    record.exit_status = EXIT_STATUS[Outcome(record.outcome)]
    path = _artifact_paths(out, runbook)["record"]
    record.record = str(path)
    out.mkdir(parents=True, exist_ok=True)
    data, _ = scrub_value(record.to_dict(), forms, uris=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    scrub_files([path], forms)
    return record


def _artifact_paths(out: Path, runbook: Runbook) -> dict[str, Path]:
    return {kind: out / f"{runbook.slug}{suffix}"
            for kind, suffix in (("notebook", ".ipynb"), ("html", ".html"), ("record", ".json"))}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@functools.cache
def _html_exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter()
