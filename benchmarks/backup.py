"""Issue 8 targets: quayops' verified blob copy of 1 GiB in 2,000 objects at >= 1.5x `aws s3 sync` and >= 70% of
the server's parallel limit (single-stream floor shown), and dump_database within 1.1x of plain `pg_dump`.
Run: .venv/bin/python benchmarks/backup.py [--aws PATH]   (without --aws, awscli goes into a throwaway venv)"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from quayops.backup.blobs import DEFAULT_WORKERS, copy_bucket_to_directory, list_objects, make_s3_client
from quayops.backup.postgres import LocalRunner, dump_database
from simulator.dataplane.objectstore import SeaweedServer
from simulator.dataplane.postgres import PostgresServer

MIB = 1024 * 1024
BUCKET = "quay-bench"
STORAGE_PATH = "datastorage/registry"
DB = "quay-bench"


def blob_sizes(count: int, total: int, rng: random.Random) -> list[int]:
    """Sizes like a registry's: a quarter small (configs, 1-16 KiB), the rest log-normal layers scaled to `total`."""
    small = [rng.randint(1024, 16 * 1024) for _ in range(count // 4)]
    layers = [rng.lognormvariate(math.log(256 * 1024), 1.4) for _ in range(count - len(small))]
    scale = (total - sum(small)) / sum(layers)
    sizes = small + [max(1024, int(s * scale)) for s in layers]
    sizes[-1] += total - sum(sizes)
    return sizes


def fill_bucket(client: Any, count: int, total: int) -> None:
    rng = random.Random(8)
    sizes = blob_sizes(count, total, rng)
    seeds = [rng.getrandbits(64) for _ in sizes]

    def put(i: int) -> None:
        data = random.Random(seeds[i]).randbytes(sizes[i])
        digest = hashlib.sha256(data).hexdigest()
        client.put_object(Bucket=BUCKET, Key=f"{STORAGE_PATH}/sha256/{digest[:2]}/{digest}", Body=data)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(count)))


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def read_all(client: Any, keys: list[str], workers: int) -> None:
    """Plain boto3 GETs, data discarded: what the server gives with `workers` streams."""
    def get(key: str) -> None:
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"]
        while body.read(MIB):
            pass

    if workers == 1:
        for key in keys:
            get(key)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(get, keys))


def find_or_install_aws(scratch: Path, given: str | None) -> Path:
    if given:
        return Path(given)
    venv = scratch / "awscli-venv"
    print("installing awscli into a throwaway venv (its botocore may differ from the project's) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "awscli"], check=True)
    return venv / "bin" / "aws"


def aws_sync(aws: Path, s3: SeaweedServer, dest: Path, scratch: Path) -> None:
    config = scratch / "aws-config"
    config.write_text("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n")
    env = os.environ | {"AWS_ACCESS_KEY_ID": s3.admin_access_key, "AWS_SECRET_ACCESS_KEY": s3.admin_secret_key,
                        "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    subprocess.run([str(aws), "s3", "sync", "--only-show-errors", "--endpoint-url", s3.endpoint,
                    f"s3://{BUCKET}", str(dest)], check=True, env=env)


def rate(total: int, seconds: float) -> float:
    return total / MIB / seconds


def bench_blobs(s3: SeaweedServer, scratch: Path, args: argparse.Namespace) -> None:
    client = make_s3_client(s3.endpoint, access_key=s3.admin_access_key, secret_key=s3.admin_secret_key,
                            workers=max(args.parallel))
    s3.create_bucket(BUCKET)
    total = args.total_mib * MIB
    print(f"filling s3://{BUCKET}: {args.objects} objects, {args.total_mib} MiB, Quay layout ...", flush=True)
    fill_bucket(client, args.objects, total)
    keys = [o.key for o in list_objects(client, BUCKET)]
    assert len(keys) == args.objects, len(keys)
    aws = find_or_install_aws(scratch, args.aws)

    floor = rate(total, timed(lambda: read_all(client, keys, 1)))
    limits = {w: rate(total, timed(lambda w=w: read_all(client, keys, w))) for w in args.parallel}
    limit_workers, limit = max(limits.items(), key=lambda kv: kv[1])

    def ours() -> None:
        dest = scratch / "quayops"
        copy_bucket_to_directory(client, BUCKET, dest / "blobs", workers=args.workers, progress=False)
        shutil.rmtree(dest)

    def theirs() -> None:
        dest = scratch / "aws"
        aws_sync(aws, s3, dest, scratch)
        shutil.rmtree(dest)

    quayops_rates, aws_rates = [], []
    for _ in range(args.repeat):  # alternate, so both see the same server and page-cache state
        quayops_rates.append(rate(total, timed(ours)))
        aws_rates.append(rate(total, timed(theirs)))
    best_ours, best_aws = max(quayops_rates), max(aws_rates)

    print(f"\nblob copy, {args.objects} objects / {args.total_mib} MiB (best of {args.repeat}; disk writes included "
          "for quayops and aws)")
    print(f"  {'server floor: 1 GET stream, data discarded':58} {floor:8.1f} MB/s")
    for w, r in limits.items():
        print(f"  {f'server parallel: {w} GET streams, data discarded':58} {r:8.1f} MB/s")
    print(f"  {'aws s3 sync (default 10 requests)':58} {best_aws:8.1f} MB/s")
    print(f"  {f'quayops copy_bucket_to_directory ({args.workers} workers, SHA-256 verified)':58} "
          f"{best_ours:8.1f} MB/s")
    print(f"  quayops / aws s3 sync:        {best_ours / best_aws:5.2f}x   (target >= 1.5x)")
    print(f"  quayops / parallel limit:     {best_ours / limit:5.0%}   (target >= 70%; limit at {limit_workers} "
          "streams)")
    print(f"  quayops / single stream:      {best_ours / floor:5.2f}x")


def bench_dump(pg: PostgresServer, scratch: Path, args: argparse.Namespace) -> None:
    with pg.connect() as conn:
        conn.execute(f'CREATE DATABASE "{DB}"')
    rows = args.db_mib * 6500  # ~160 bytes of dump per row
    print(f"\ngenerating {rows} rows (~{args.db_mib} MB of plain dump) ...", flush=True)
    with pg.connect(DB) as conn:
        conn.execute("CREATE TABLE blob (id bigint PRIMARY KEY, digest text, media_type text, size bigint, "
                     f"created timestamptz) ; INSERT INTO blob SELECT g, 'sha256:' || md5(g::text) || md5((-g)::text), "
                     "'application/vnd.oci.image.layer.v1.tar+gzip', g * 37, now() - g * interval '1 second' "
                     f"FROM generate_series(1, {rows}) g")
    env = {"PGHOST": pg.host, "PGPORT": str(pg.port), "PGUSER": "postgres"}
    runner = LocalRunner(env=env, bindir=pg.bindir)
    out = scratch / "dump"

    def plain_pg_dump(fmt: str) -> None:
        argv = [str(pg.bindir / "pg_dump"), "-C", *(["-Fc"] if fmt == "custom" else []), "-f", str(out), DB]
        subprocess.run(argv, check=True, env=os.environ | env)

    print(f"database dump ({DB}, best of {args.repeat}, alternating)")
    for fmt in ("plain", "custom"):
        theirs, ours, size = [], [], 0
        for _ in range(args.repeat):
            theirs.append(timed(lambda fmt=fmt: plain_pg_dump(fmt)))
            size = out.stat().st_size
            out.unlink()
            ours.append(timed(lambda fmt=fmt: dump_database(runner, dbname=DB, fmt=fmt, out_path=out)))
            out.unlink()
        print(f"  {fmt:6} {size / MIB:7.1f} MiB: pg_dump -f {min(theirs):6.2f} s, dump_database (streamed, "
              f"SHA-256) {min(ours):6.2f} s  -> {min(ours) / min(theirs):4.2f}x (target <= 1.1x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--total-mib", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="quayops' copy workers")
    parser.add_argument("--parallel", type=int, nargs="+", default=[4, 8, 16, 32],
                        help="stream counts tried for the server's parallel limit")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--db-mib", type=int, default=300)
    parser.add_argument("--aws", help="an `aws` executable; default: awscli from PyPI in a throwaway venv")
    parser.add_argument("--skip-blobs", action="store_true")
    parser.add_argument("--skip-dump", action="store_true")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="quayops-bench-backup-"))
    servers: list[SeaweedServer | PostgresServer] = []
    try:
        if not args.skip_blobs:
            servers.append(s3 := SeaweedServer().start())
            bench_blobs(s3, scratch, args)
        if not args.skip_dump:
            servers.append(pg := PostgresServer().start())
            bench_dump(pg, scratch, args)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
