"""Issue 6 targets: push and pull of 100 MiB of blobs through the router (the registry's route) at >= 50% of boto3
straight to SeaweedFS (the floor), and the simulator with its data plane started in < 5 s.
Run: .venv/bin/python benchmarks/dataplane.py"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
import time
from collections.abc import Callable

import requests

from quayops.kube.client import Cluster
from quayops.kube.resolve import route_session
from simulator.server import Simulator, start_simulator

MIB = 1024 * 1024
OPERATOR = "3.7.14"
NAMESPACE, NAME = "bench", "bench-registry"
CONFIG = b"FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [bench]\n"


def rate(total: int, seconds: float) -> float:
    return total / MIB / seconds


def deploy(sim: Simulator) -> str:
    """The guide's minimal registry through the operator; returns its endpoint once Quay answers on the route."""
    cluster = Cluster(sim.api_client())
    cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    cluster.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bundle", "namespace": NAMESPACE},
                    "data": {"config.yaml": base64.b64encode(CONFIG).decode()}})
    cluster.create({"apiVersion": "quay.redhat.com/v1", "kind": "QuayRegistry",
                    "metadata": {"name": NAME, "namespace": NAMESPACE}, "spec": {"configBundleSecret": "bundle"}})
    session = route_session(kubeconfig=sim.kubeconfig_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        endpoint = (cluster.get("quay.redhat.com/v1", "QuayRegistry", NAME, namespace=NAMESPACE).get("status")
                    or {}).get("registryEndpoint")
        if endpoint and session.get(f"{endpoint}/health/instance", timeout=10).status_code == 200:
            return endpoint
        time.sleep(0.5)
    raise TimeoutError("the registry did not answer on its route within 120 s")


def measure(blobs: list[tuple[str, bytes]], push: Callable[[str, bytes], None], pull: Callable[[str], int]
            ) -> tuple[float, float]:
    total = sum(len(b) for _, b in blobs)
    started = time.perf_counter()
    for digest, data in blobs:
        push(digest, data)
    pushed = rate(total, time.perf_counter() - started)
    started = time.perf_counter()
    for digest, data in blobs:
        assert pull(digest) == len(data)
    return pushed, rate(total, time.perf_counter() - started)


def quay_client(session: requests.Session, base: str) -> tuple[Callable[[str, bytes], None], Callable[[str], int]]:
    token = session.get(f"{base}/v2/auth", params={"scope": "repository:bench/blobs:pull,push"},
                        auth=("bench", "benchpass123"), timeout=30).json()["token"]
    session.headers["Authorization"] = f"Bearer {token}"

    def push(digest: str, data: bytes) -> None:
        response = session.post(f"{base}/v2/bench/blobs/blobs/uploads/", params={"digest": digest}, data=data,
                                timeout=120)
        assert response.status_code == 201, response.text

    def pull(digest: str) -> int:
        # read whole, as the floor's Body.read() does (requests' .content reads in 10 KiB pieces)
        return len(session.get(f"{base}/v2/bench/blobs/blobs/{digest}", stream=True, timeout=120).raw.read())

    return push, pull


def run(blob_mib: int, total_mib: int) -> int:
    started = time.perf_counter()
    sim = start_simulator(data_plane=True, run_controllers=True, with_operator=OPERATOR)
    start_seconds = time.perf_counter() - started
    try:
        plane = sim.data_plane
        assert plane is not None
        endpoint = deploy(sim)
        routed = route_session(kubeconfig=sim.kubeconfig_path)
        assert routed.post(f"{endpoint}/api/v1/user/initialize", timeout=30, json={
            "username": "bench", "password": "benchpass123", "email": "b@example.com"}).status_code == 200
        app = next(a.server for (ns, _), a in plane.quay_apps.apps.items() if ns == NAMESPACE)
        plane.seaweed.create_bucket("floor")
        floor = plane.seaweed.client()
        count = total_mib // blob_mib
        total = count * blob_mib * MIB

        def fresh() -> list[tuple[str, bytes]]:
            blobs = [os.urandom(blob_mib * MIB) for _ in range(count)]
            return [("sha256:" + hashlib.sha256(b).hexdigest(), b) for b in blobs]

        print(f"simulator + data plane started in {start_seconds:.2f} s (target < 5 s)")
        print(f"payload: {count} blobs x {blob_mib} MiB = {total // MIB} MiB, one stream\n")
        results = {
            "floor (boto3 to SeaweedFS)": measure(
                fresh(), lambda d, b: floor.put_object(Bucket="floor", Key=d, Body=b),
                lambda d: len(floor.get_object(Bucket="floor", Key=d)["Body"].read())),
            "Quay direct (pod port)": measure(fresh(), *quay_client(requests.Session(), app.url)),
            "Quay through the router (route, TLS)": measure(fresh(), *quay_client(routed, endpoint)),
        }
        print(f"{'path':40s} {'push MiB/s':>11s} {'pull MiB/s':>11s}")
        for name, (push, pull) in results.items():
            print(f"{name:40s} {push:11.1f} {pull:11.1f}")
        floor_push, floor_pull = results["floor (boto3 to SeaweedFS)"]
        push, pull = results["Quay through the router (route, TLS)"]
        print(f"\nthrough the router: push {push / floor_push:.0%} of the floor, pull {pull / floor_pull:.0%} "
              "(target >= 50%)")
        ok = push >= floor_push / 2 and pull >= floor_pull / 2 and start_seconds < 5
        print("targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1
    finally:
        sim.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blob-mib", type=int, default=10)
    parser.add_argument("--total-mib", type=int, default=100)
    args = parser.parse_args()
    return run(args.blob_mib, args.total_mib)


if __name__ == "__main__":
    sys.exit(main())
