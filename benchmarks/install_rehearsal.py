"""Issue 7 targets: the install rehearsal (all six install runbooks, kernel start-ups included) under 90 s, and the
runner's own overhead per runbook under 2 s beyond papermill's. The chain runs twice on fresh simulators with
the data plane: through `run_runbook` (as `make rehearse` does) and through papermill directly; the difference
per runbook is the runner's overhead on real runbooks, beside benchmarks/runner.py's trivial-notebook figure.
Run: .venv/bin/python benchmarks/install_rehearsal.py"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from rehearse import INSTALL, SEED
from runner import median_seconds, write_trivial

from simulator.server import start_simulator


def chain(directory: Path, run_one) -> tuple[float, list[float]]:
    """Start a fresh simulator, run the install chain with `run_one(name, out)`; (wall seconds, per runbook)."""
    with start_simulator(data_plane=True, run_controllers=True, seed=SEED, kubeconfig=directory / "kubeconfig") as sim:
        os.environ["KUBECONFIG"] = str(sim.kubeconfig_path)
        started, each = time.perf_counter(), []
        for name in INSTALL:
            t = time.perf_counter()
            run_one(name, directory / "out")
            each.append(time.perf_counter() - t)
        return time.perf_counter() - started, each


def main() -> None:
    import papermill

    from quayops.runbooks import find_runbook, run_runbook

    os.environ["QUAYOPS_PASSWORD"] = secrets.token_urlsafe(18)
    os.environ.pop("QUAYOPS_RESOLVE", None)

    def through_runner(name: str, out: Path) -> None:
        record = run_runbook(name, target="sim", out_dir=out, progress=False)
        assert record.exit_status == 0, record.summary()

    def through_papermill(name: str, out: Path) -> None:
        path = find_runbook(name).path
        out.mkdir(parents=True, exist_ok=True)
        papermill.execute_notebook(str(path), str(out / f"{name.replace('/', '-')}.ipynb"),
                                   parameters={"target": "simulator"}, progress_bar=False, cwd=str(path.parent))

    with tempfile.TemporaryDirectory(prefix="quayops-bench-") as d:
        base = Path(d)
        (base / "runner").mkdir()
        (base / "papermill").mkdir()
        papermill_total, pm_each = chain(base / "papermill", through_papermill)
        runner_total, rr_each = chain(base / "runner", through_runner)
        for name, pm, rr in zip(INSTALL, pm_each, rr_each, strict=True):
            print(f"  {name:<30} papermill {pm:5.1f} s   runner {rr:5.1f} s   overhead {rr - pm:+.2f} s")
        print(f"install rehearsal, six runbooks through the runner (kernel start-ups included): {runner_total:.1f} s "
              f"(target < 90 s)")
        print(f"runner overhead on the install runbooks: {(runner_total - papermill_total) / len(INSTALL):+.2f} s per "
              f"runbook beyond papermill's {papermill_total / len(INSTALL):.1f} s (target < 2 s)")

        root, out = base / "trivial", base / "trivial-out"
        path = write_trivial(root)
        out.mkdir()
        direct = lambda: papermill.execute_notebook(str(path), str(out / "d.ipynb"), parameters={"nodes": 4},
                                                    progress_bar=False)
        runner = lambda: run_runbook("bench/trivial", parameters={"nodes": "4"}, out_dir=out, root=root,
                                     progress=False)
        direct(), runner()
        pm, rr = median_seconds(direct), median_seconds(runner)
        print(f"runner overhead on a trivial runbook (warm, median): {rr - pm:+.2f} s (papermill {pm:.2f} s)")


if __name__ == "__main__":
    main()
