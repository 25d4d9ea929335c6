"""Issue 5 target: the simulated Quay Operator brings a default registry to Available in < 10 s wall time.
Real clock, default (fast) pace, controllers in their thread; timed from `create` to Available=True.
Run: .venv/bin/python benchmarks/operator.py"""

import statistics
import time

from quayops.kube.client import Cluster
from quayops.reconcile import wait_for_registry
from simulator.server import start_simulator

RUNS = 3
samples, install = [], 0.0
t = time.perf_counter()
with start_simulator(seed=1, run_controllers=True, with_operator="3.7.14") as sim:
    cluster = Cluster(sim.api_client())
    while not any(p.get("status", {}).get("phase") == "Running"
                  for p in cluster.list("v1", "Pod", namespace="openshift-operators").get("items") or []):
        time.sleep(0.05)
    install = time.perf_counter() - t
    for i in range(RUNS):
        ns = f"quay-bench-{i}"
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        t = time.perf_counter()
        cluster.create({"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
                        "metadata": {"name": "example-registry", "namespace": ns}})
        wait_for_registry(cluster, "example-registry", namespace=ns, timeout=120, report=None)
        samples.append(time.perf_counter() - t)
print(f"operator installed through OLM: {install:.1f} s; default registry to Available: median "
      f"{statistics.median(samples):.1f} s, max {max(samples):.1f} s over {RUNS} runs (target < 10 s)")
