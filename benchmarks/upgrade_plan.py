"""Issue 9 target: `quayops upgrade plan` answers in under 0.5 s including interpreter start.
Run: .venv/bin/python benchmarks/upgrade_plan.py"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

cmd = [str(Path(sys.executable).parent / "quayops"), "upgrade", "plan", "--from", "3.0.5", "--to", "3.7", "-o", "json"]
samples = []
for _ in range(10):
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    samples.append(time.perf_counter() - t)
print(f"quayops upgrade plan 3.0.5 → 3.7 wall: median {statistics.median(samples) * 1000:.0f} ms, "
      f"max {max(samples) * 1000:.0f} ms (target < 500 ms)")
