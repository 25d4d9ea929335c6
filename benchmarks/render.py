"""Issue 5 target: `quayops render` of a QuayRegistry under 0.3 s, interpreter start included.
Run: .venv/bin/python benchmarks/render.py"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REGISTRY = """apiVersion: quay.redhat.com/v1
kind: QuayRegistry
metadata: {name: example-registry, namespace: quay-enterprise}
"""

with tempfile.TemporaryDirectory() as d:
    path = Path(d) / "qr.yaml"
    path.write_text(REGISTRY)
    cmd = [str(Path(sys.executable).parent / "quayops"), "render", "-f", str(path), "-o", "json"]
    samples = []
    for _ in range(10):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        samples.append(time.perf_counter() - t)
    bare = []
    for _ in range(10):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
print(f"quayops render (49 objects) wall: median {statistics.median(samples) * 1000:.0f} ms, "
      f"max {max(samples) * 1000:.0f} ms; bare interpreter {statistics.median(bare) * 1000:.0f} ms (target < 300 ms)")
