"""Every runbook is a test: prepared with test parameters (papermill --prepare-only) and run by `pytest
--nbval-lax` against the one session simulator, the install chain first and in order, then the other runbooks.
Cells marked `# NBVAL_CHECK_OUTPUT` must reproduce their committed outputs (sanitized by nbval-sanitize.cfg).

QUAYOPS_RECORD_OUTPUTS=1 records those outputs instead: the prepared notebooks are executed with papermill and
the outputs of the marked cells are written back into notebooks/ (review the diff; they hold no secrets)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

from quayops.runbooks import discover_runbooks, prepare_for_test
from tests.e2e.conftest import CHAIN, FIRST_USER_PASSWORD

HERE = Path(__file__).parent
CHECK = "# NBVAL_CHECK_OUTPUT"
# Test parameters per runbook (the defaults rehearse against the simulator already).
TEST_PARAMETERS: dict[str, dict] = {"install/02-install-operator": {"timeout": 120},
                                    "install/04-deploy": {"timeout": 180}}


def ordered_runbooks() -> list[str]:
    """The install chain, in order. The backup-restore, upgrade and monitoring runbooks need a registry in a
    given state (filled, on an older operator, crash-looping) and run through the runner in their rehearsals
    (tests/e2e/test_backup_rehearsal.py, test_upgrade_rehearsal.py, test_monitoring_rehearsal.py)."""
    names = {r.name for r in discover_runbooks()}
    assert set(CHAIN) <= names, sorted(set(CHAIN) - names)
    return list(CHAIN)


def test_every_runbook_passes_nbval_on_the_session_simulator(chain_sim, tmp_path):
    prepared = []
    for i, name in enumerate(ordered_runbooks()):
        target = tmp_path / f"{i:02d}-{name.replace('/', '-')}.ipynb"
        prepared.append(prepare_for_test(name, TEST_PARAMETERS.get(name, {}), target, target="sim"))
    if os.environ.get("QUAYOPS_RECORD_OUTPUTS"):
        record_outputs(prepared)
        return
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-sanitize-with", str(HERE / "nbval-sanitize.cfg"), "--nbval-cell-timeout", "300",
         "--rootdir", str(tmp_path), *map(str, prepared)],
        capture_output=True, text=True, cwd=tmp_path, env=os.environ.copy(), timeout=1200, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert FIRST_USER_PASSWORD not in proc.stdout + proc.stderr


def record_outputs(prepared: list[Path]) -> None:
    """Execute the prepared notebooks in order and copy the marked cells' outputs into notebooks/."""
    import papermill

    sources = {r.name: r.path for r in discover_runbooks()}
    for path, name in zip(prepared, ordered_runbooks(), strict=True):
        executed = path.with_suffix(".out.ipynb")
        papermill.execute_notebook(str(path), str(executed), progress_bar=False, cwd=str(sources[name].parent))
        ran = {c.source: c for c in nbformat.read(executed, as_version=4).cells
               if c.cell_type == "code" and CHECK in c.source}
        source = nbformat.read(sources[name], as_version=4)
        for cell in source.cells:
            if cell.cell_type == "code":  # nbval wants an execution count beside reference outputs
                checked = ran.get(cell.source) if CHECK in cell.source else None
                cell.outputs = checked.outputs if checked else []
                cell.execution_count = checked.execution_count if checked else None
        text = nbformat.writes(source)
        assert FIRST_USER_PASSWORD not in text, f"a secret in the recorded outputs of {name}"
        sources[name].write_text(text + "\n" if not text.endswith("\n") else text, encoding="utf-8")
