"""Runs of the fixture runbook through papermill: one kernel per outcome, shared by the tests of it."""

import json
import sys

import nbformat
import pytest


@pytest.fixture(scope="module")
def ok(run):
    return run({"nodes": "4"})


@pytest.fixture(scope="module")
def failed(run):
    return run({"mode": "fail"})


def test_ok_run_exits_0_and_writes_notebook_html_and_record(ok):
    record, out = ok
    assert (record.outcome, record.exit_status, record.error) == ("ok", 0, None)
    assert sorted(p.name for p in out.iterdir()) == ["checks-behave.html", "checks-behave.ipynb", "checks-behave.json"]
    assert json.loads((out / "checks-behave.json").read_text()) == record.to_dict()
    assert "nodes x2: 8" in (out / "checks-behave.html").read_text()


def test_record_has_target_parameters_and_timestamps(ok):
    record, _ = ok
    assert record.target == "simulator" and record.parameters == {"nodes": 4, "target": "simulator"}
    assert record.started < record.ended and record.duration_s > 0


def test_kernel_runs_the_venvs_python(ok):
    nb = nbformat.read(ok[1] / "checks-behave.ipynb", as_version=4)
    assert f"python: {sys.executable}\n" in nb.cells[4].outputs[0]["text"]


def test_failed_step_exits_1_naming_cell_step_and_error(failed):
    record, _ = failed
    assert (record.outcome, record.exit_status) == ("failed", 1)
    assert record.error == {"cell_index": 10, "execution_count": 5, "step": "Step 3: behave as told",
                            "ename": "ValueError", "evalue": "3 nodes are too few\nsecond line"}
    assert record.message == ("failed at cell 10 (In [5]), step 'Step 3: behave as told': "
                              "ValueError: 3 nodes are too few")


def test_failure_banner_on_top_points_at_the_failing_cell(failed):
    record, out = failed
    nb = nbformat.read(out / "checks-behave.ipynb", as_version=4)
    banner = nb.cells[0]
    assert banner.cell_type == "markdown" and "quayops-run-banner" in banner.metadata.tags
    assert banner.source.startswith("## Run failed at cell 10, step “Step 3: behave as told”\n\n"
                                    "`ValueError: 3 nodes are too few`\n\n[Go to the failing cell](#papermill-error-cell).")
    assert 'id="papermill-error-cell"' in nb.cells[9].source
    assert nb.cells[record.error["cell_index"]].outputs[0]["ename"] == "ValueError"


@pytest.mark.parametrize("parameters", [{"nodez": "1"}, {"admin_password": "plain-value-1"}, {"nodes": "many"}])
def test_bad_parameters_exit_2_and_nothing_runs(run, parameters):
    record, out = run(parameters)
    assert (record.outcome, record.exit_status, record.notebook, record.html) == ("bad-parameters", 2, None, None)
    assert record.message.endswith("Nothing was run.")
    assert [p.name for p in out.iterdir()] == ["checks-behave.json"]
    assert "plain-value-1" not in (out / "checks-behave.json").read_text()


def test_cell_over_the_timeout_exits_3(run):
    record, out = run({"mode": "sleep"}, timeout=1)
    assert (record.outcome, record.exit_status, record.error["cell_index"]) == ("timeout", 3, 10)
    assert record.error["evalue"] == "the cell ran longer than 1 s"
    assert nbformat.read(out / "checks-behave.ipynb", as_version=4).cells[0].source.startswith(
        "## Run timeout at cell 10")


def test_kernel_death_exits_4(run):
    record, _ = run({"mode": "crash"})
    assert (record.outcome, record.exit_status, record.error["cell_index"]) == ("kernel-died", 4, 10)
    assert record.error["ename"] == "DeadKernelError"
