"""Issue 2 targets: validating a 200-key bundle offline (< 0.2 s of work beyond interpreter start) and
`quayops --help` (< 0.5 s). Run: .venv/bin/python benchmarks/validate.py"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def bundle_200_keys() -> str:
    """A realistic bundle: the automation preset, unmanaged S3, external DB and Redis, padded with flags."""
    lines = [
        "SERVER_HOSTNAME: quay.example.com", "DB_URI: postgresql://quay:pw@db.example.com:5432/quay",
        "BUILDLOGS_REDIS: {host: redis.example.com, port: 6379}",
        "USER_EVENTS_REDIS: {host: redis.example.com, port: 6379}",
        "DISTRIBUTED_STORAGE_CONFIG:", "  s3:", "    - S3Storage",
        "    - {host: s3.example.com, s3_access_key: AK, s3_secret_key: SK, s3_bucket: quay-bucket}",
        "DISTRIBUTED_STORAGE_PREFERENCE: [s3]", "DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: []",
        "TAG_EXPIRATION_OPTIONS: [0s, 1d, 1w, 2w, 4w]", "DEFAULT_TAG_EXPIRATION: 2w",
        "FEATURE_USER_INITIALIZE: true", "SUPER_USERS: [quayadmin]",
    ]
    lines += [f"FEATURE_BENCH_{i}: {'true' if i % 2 else 'false'}" for i in range(200 - len(lines))]
    return "\n".join(lines) + "\n"


def timed(cmd: list[str], runs: int = 7) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    from quayops.config.bundle import load_bundle_path
    from quayops.model.quayregistry import minimal_registry
    from quayops.validation import validate_bundle

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.yaml").write_text(bundle_200_keys())
        registry = minimal_registry()
        registry["spec"]["components"] = [{"kind": k, "managed": False} for k in ("postgres", "redis", "objectstorage")]
        validate_bundle(load_bundle_path(d), registry=registry)  # warm imports
        samples = []
        for _ in range(30):
            t = time.perf_counter()
            report = validate_bundle(load_bundle_path(d), registry=registry)
            samples.append(time.perf_counter() - t)
        assert report.stage == "validate", report.to_dict()
        print(f"validate 200-key bundle in-process: median {statistics.median(samples) * 1000:.1f} ms, "
              f"max {max(samples) * 1000:.1f} ms (target < 200 ms)")
        python = timed([sys.executable, "-c", "pass"])
        cli = timed([str(BIN / "quayops"), "config", "validate", d])
        print(f"quayops config validate (200 keys) wall: {cli * 1000:.0f} ms; bare interpreter {python * 1000:.0f} ms; "
              f"work beyond interpreter start {max(cli - python, 0) * 1000:.0f} ms (target < 200 ms)")
    help_s = timed([str(BIN / "quayops"), "--help"])
    print(f"quayops --help wall: {help_s * 1000:.0f} ms (target < 500 ms)")


if __name__ == "__main__":
    main()
