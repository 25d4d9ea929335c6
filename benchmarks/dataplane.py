"""Issue 6 targets: push and pull of 100 MiB of blobs through the simulated Quay at >= 50% of boto3 straight to
SeaweedFS (the floor), and SeaweedFS + PostgreSQL started in < 5 s. Run: .venv/bin/python benchmarks/dataplane.py"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from simulator.dataplane.objectstore import SeaweedServer
from simulator.dataplane.postgres import PostgresServer
from simulator.dataplane.quayapp import QuayAppServer

MIB = 1024 * 1024


def start_servers() -> tuple[PostgresServer, SeaweedServer, float]:
    """Both servers started side by side, as `sim serve --data-plane` would; returns the wall time."""
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        pg_future, s3_future = pool.submit(PostgresServer().start), pool.submit(SeaweedServer().start)
        pg, s3 = pg_future.result(), s3_future.result()
    return pg, s3, time.perf_counter() - started


def rate(total: int, seconds: float) -> float:
    return total / MIB / seconds


def run(blob_mib: int, total_mib: int, chunk_mib: int) -> int:
    pg, s3, start_seconds = start_servers()
    app = None
    try:
        pg.create_database("quay", owner="quay", password="bench-db-pass")
        s3.create_bucket("quay-bench", access_key="AKBENCH", secret_key="sk-bench-secret")
        config = {
            "SERVER_HOSTNAME": "quay.bench", "SECRET_KEY": "bench", "FEATURE_USER_INITIALIZE": True,
            "DB_URI": f"postgresql://quay:bench-db-pass@127.0.0.1:{pg.port}/quay",
            "DISTRIBUTED_STORAGE_CONFIG": {"default": ["RHOCSStorage", {
                "hostname": "127.0.0.1", "port": s3.s3_port, "is_secure": False, "access_key": "AKBENCH",
                "secret_key": "sk-bench-secret", "bucket_name": "quay-bench", "storage_path": "/datastorage/registry"}]},
            "DISTRIBUTED_STORAGE_PREFERENCE": ["default"]}
        app = QuayAppServer(config).start()
        requests.post(app.url + "/api/v1/user/initialize", timeout=30,
                      json={"username": "bench", "password": "benchpass123", "email": "b@example.com"})
        token = requests.get(app.url + "/v2/auth", params={"scope": "repository:bench/blobs:pull,push"},
                             auth=("bench", "benchpass123"), timeout=30).json()["token"]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        floor = s3.client(access_key="AKBENCH", secret_key="sk-bench-secret")

        count = total_mib // blob_mib
        total = count * blob_mib * MIB
        print(f"servers: PostgreSQL + SeaweedFS started in {start_seconds:.2f} s (target < 5 s)")
        print(f"payload: {count} blobs x {blob_mib} MiB = {total // MIB} MiB, one stream\n")
        results = {}

        def fresh() -> list[tuple[str, bytes]]:
            blobs = [os.urandom(blob_mib * MIB) for _ in range(count)]
            return [("sha256:" + hashlib.sha256(b).hexdigest(), b) for b in blobs]

        blobs = fresh()
        t = time.perf_counter()
        for digest, data in blobs:
            floor.put_object(Bucket="quay-bench", Key=f"floor/{digest}", Body=data)
        results["push floor (boto3 put_object)"] = rate(total, time.perf_counter() - t)
        t = time.perf_counter()
        for digest, _ in blobs:
            floor.get_object(Bucket="quay-bench", Key=f"floor/{digest}")["Body"].read()
        results["pull floor (boto3 get_object)"] = rate(total, time.perf_counter() - t)

        blobs = fresh()
        t = time.perf_counter()
        for digest, data in blobs:
            response = session.post(f"{app.url}/v2/bench/blobs/blobs/uploads/", params={"digest": digest},
                                    data=data, timeout=120)
            assert response.status_code == 201, response.text
        results["push Quay monolithic (POST ?digest=)"] = rate(total, time.perf_counter() - t)
        t = time.perf_counter()
        for digest, data in blobs:
            response = session.get(f"{app.url}/v2/bench/blobs/blobs/{digest}", timeout=120)
            assert len(response.content) == len(data)
        results["pull Quay (GET blob)"] = rate(total, time.perf_counter() - t)

        blobs = fresh()
        t = time.perf_counter()
        for digest, data in blobs:
            location = session.post(f"{app.url}/v2/bench/blobs/blobs/uploads/", timeout=30).headers["Location"]
            for start in range(0, len(data), chunk_mib * MIB):
                piece = data[start:start + chunk_mib * MIB]
                location = session.patch(location, data=piece, timeout=120, headers={
                    "Content-Range": f"{start}-{start + len(piece) - 1}"}).headers["Location"]
            response = session.put(location, params={"digest": digest}, timeout=120)
            assert response.status_code == 201, response.text
        results[f"push Quay chunked ({chunk_mib} MiB PATCHes)"] = rate(total, time.perf_counter() - t)

        for name, mib_s in results.items():
            print(f"{name:42s} {mib_s:8.1f} MiB/s")
        push_ratio = results["push Quay monolithic (POST ?digest=)"] / results["push floor (boto3 put_object)"]
        pull_ratio = results["pull Quay (GET blob)"] / results["pull floor (boto3 get_object)"]
        print(f"\npush through Quay: {push_ratio:.0%} of the floor; pull: {pull_ratio:.0%} (target >= 50%)")
        ok = push_ratio >= 0.5 and pull_ratio >= 0.5 and start_seconds < 5
        print("targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1
    finally:
        if app is not None:
            app.stop()
        s3.stop()
        pg.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blob-mib", type=int, default=10)
    parser.add_argument("--total-mib", type=int, default=100)
    parser.add_argument("--chunk-mib", type=int, default=5)
    args = parser.parse_args()
    return run(args.blob_mib, args.total_mib, args.chunk_mib)


if __name__ == "__main__":
    sys.exit(main())
