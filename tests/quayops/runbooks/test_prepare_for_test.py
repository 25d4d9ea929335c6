"""nbval support: a runbook prepared with test parameters (papermill --prepare-only) runs under
`pytest --nbval-lax`, and a changed output in a `# NBVAL_CHECK_OUTPUT` cell shows up as a failure."""

import subprocess
import sys

import nbformat
import pytest

from quayops.runbooks import ParametersInvalid, prepare_for_test


def nbval(*paths):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "--nbval-lax",
                           *map(str, paths)], capture_output=True, text=True, cwd=paths[0].parent, check=False,
                          timeout=120)


def test_prepared_copy_is_parameterized_unexecuted_and_keeps_checked_outputs(fixtures_root, tmp_path):
    path = prepare_for_test("nbval/check-output", {"nodes": "3"}, tmp_path / "prepared.ipynb", root=fixtures_root)
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[2].metadata.tags == ["injected-parameters"]
    assert nb.cells[2].source == '# Parameters\nnodes = 3\ntarget = "simulator"\n'
    assert nb.cells[3].outputs[0]["text"] == "3 nodes ready\n"


def test_nbval_passes_with_the_recorded_behaviour_and_fails_on_a_change(fixtures_root, tmp_path):
    same = prepare_for_test("nbval/check-output", {"nodes": 3}, tmp_path / "same" / "nb.ipynb", root=fixtures_root)
    changed = prepare_for_test("nbval/check-output", {"nodes": 5}, tmp_path / "changed" / "nb.ipynb",
                               root=fixtures_root)
    result = nbval(same, changed)  # one pytest, one kernel per notebook
    assert result.returncode == 1 and "1 failed, 5 passed" in result.stdout, result.stdout  # 3 cells each
    assert "FAILED ../changed/nb.ipynb::Cell 2" in result.stdout and "5 nodes ready" in result.stdout


def test_preparing_checks_parameters_like_a_run(fixtures_root, tmp_path):
    with pytest.raises(ParametersInvalid, match="unknown parameter"):
        prepare_for_test("nbval/check-output", {"replicas": 2}, tmp_path / "x.ipynb", root=fixtures_root)
    assert not (tmp_path / "x.ipynb").exists()
