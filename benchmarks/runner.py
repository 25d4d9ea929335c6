"""Issue 7 target: the runbook runner's own overhead per runbook stays under 2 s beyond papermill's.
A trivial notebook run by papermill directly vs through run_runbook (in-process, warm) and through the
two CLIs (cold processes). Run: .venv/bin/python benchmarks/runner.py"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat import v4

BIN = Path(sys.executable).parent
RUNS = 5


def write_trivial(root: Path) -> Path:
    """bench/trivial.ipynb: a parameters cell, a markdown step and two small code cells."""
    params = v4.new_code_cell('target = "simulator"  # cluster context\nnodes = 3  # how many')
    params.metadata.tags = ["parameters"]
    nb = v4.new_notebook(cells=[params, v4.new_markdown_cell("## Step 1"), v4.new_code_cell("print(nodes * 2)"),
                                v4.new_code_cell("nodes + 1")],
                         metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    path = root / "bench" / "trivial.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path


def median_seconds(fn) -> float:
    samples = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    import papermill

    from quayops.runbooks import run_runbook

    with tempfile.TemporaryDirectory() as d:
        root, out = Path(d) / "notebooks", Path(d) / "out"
        path = write_trivial(root)
        out.mkdir()
        params = {"nodes": 4, "target": "simulator"}

        def direct():
            papermill.execute_notebook(str(path), str(out / "direct.ipynb"), parameters=params, progress_bar=False)

        def runner():
            record = run_runbook("bench/trivial", parameters={"nodes": "4"}, target="sim", out_dir=out, root=root,
                                 progress=False)
            assert record.exit_status == 0, record.summary()

        direct(), runner()  # warm imports and the HTML exporter
        pm, rr = median_seconds(direct), median_seconds(runner)
        print(f"in-process, warm (median of {RUNS}): papermill {pm:.2f} s, run_runbook {rr:.2f} s, "
              f"runner overhead {rr - pm:+.2f} s (target < 2 s)")

        env = {**os.environ, "QUAYOPS_NOTEBOOKS": str(root)}
        pm_cli = median_seconds(lambda: subprocess.run(
            [str(BIN / "papermill"), str(path), str(out / "cli.ipynb"), "-p", "nodes", "4", "--no-progress-bar"],
            capture_output=True, check=True, env=env))
        rr_cli = median_seconds(lambda: subprocess.run(
            [str(BIN / "quayops"), "runbook", "run", "bench/trivial", "-p", "nodes", "4", "--out", str(out),
             "--no-progress"], capture_output=True, check=True, env=env))
        print(f"CLI, cold process (median of {RUNS}): papermill {pm_cli:.2f} s, quayops runbook run {rr_cli:.2f} s, "
              f"runner overhead {rr_cli - pm_cli:+.2f} s (target < 2 s)")


if __name__ == "__main__":
    main()
