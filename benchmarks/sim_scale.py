"""Simulator at scale (issue 4): 1,000 Deployments × 2 replicas across 100 namespaces, controllers in
their thread at the `fast` pace → seconds until every pod is Ready, RSS, and API GET p99 meanwhile.
Run: python benchmarks/sim_scale.py [--deployments 1000 --namespaces 100 --replicas 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import psutil
import urllib3

from simulator.profiles import PROFILES
from simulator.server import start_simulator


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def deployment(name: str, replicas: int) -> bytes:
    labels = {"app": name}
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
            "containers": [{"name": "app", "image": "nginx:1.25",
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}}).encode()


def ready_pods(sim) -> int:
    pods = sim.store.list(sim.store.kind("v1", "Pod"), copy_items=False).items
    return sum(1 for p in pods if any(c.get("type") == "Ready" and c.get("status") == "True"
                                      for c in (p.get("status") or {}).get("conditions") or []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds")
    args = parser.parse_args()
    want = args.deployments * args.replicas
    proc = psutil.Process()
    # 2,000 pods need more than the default 6 workers' 1,500 pod slots (250 each, as OpenShift's maxPods)
    profile = PROFILES["openshift"].with_workers(count=max(6, -(-want // 200)))
    with start_simulator(seed=1, run_controllers=True, profile=profile) as sim, \
            tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "ca.crt").write_bytes(sim.ca_pem)
        http = urllib3.PoolManager(ca_certs=str(Path(tmp) / "ca.crt"), maxsize=4)
        auth = {"Authorization": f"Bearer {sim.token}", "Accept": "application/json"}
        write = {**auth, "Content-Type": "application/json"}
        rss_before = proc.memory_info().rss
        for i in range(args.namespaces):
            http.request("POST", f"{sim.url}/api/v1/namespaces", headers=write,
                         body=json.dumps({"metadata": {"name": f"scale-{i}"}}).encode())
        latencies: list[float] = []
        stop = threading.Event()

        def probe() -> None:  # a second client reading while everything rolls out
            probe_http = urllib3.PoolManager(ca_certs=str(Path(tmp) / "ca.crt"), maxsize=1)
            url = f"{sim.url}/api/v1/namespaces/default"
            while not stop.is_set():
                t = time.perf_counter()
                assert probe_http.request("GET", url, headers=auth).status == 200
                latencies.append(time.perf_counter() - t)
                time.sleep(0.01)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        start = time.perf_counter()
        for i in range(args.deployments):
            ns = f"scale-{i % args.namespaces}"
            r = http.request("POST", f"{sim.url}/apis/apps/v1/namespaces/{ns}/deployments", headers=write,
                             body=deployment(f"d{i}", args.replicas))
            assert r.status == 201, r.data[:200]
        created = time.perf_counter() - start
        ready = 0
        while ready < want:
            time.sleep(0.5)
            ready = ready_pods(sim)
            if time.perf_counter() - start > args.timeout:
                break
        elapsed = time.perf_counter() - start
        stop.set()
        prober.join(5)
        rss = proc.memory_info().rss
        print(f"deployments: {args.deployments} x {args.replicas} replicas in {args.namespaces} namespaces")
        print(f"created (HTTP POSTs): {created:.1f} s")
        print(f"all {ready}/{want} pods Ready after: {elapsed:.1f} s")
        print(f"objects in store: {sim.store.count()}  controller errors: {len(sim.runner.errors)}")
        print(f"RSS: {rss / 2**20:.0f} MiB (simulator start {rss_before / 2**20:.0f} MiB)")
        print(f"API GET during rollout: n={len(latencies)} p50 {pct(latencies, 0.5):.1f} ms, "
              f"p99 {pct(latencies, 0.99):.1f} ms, max {pct(latencies, 1.0):.1f} ms")


if __name__ == "__main__":
    main()
