"""NooBaa's buckets made real: each ObjectBucketClaim's bucket is a SeaweedFS bucket with its own identity.

The claim's Secret and ConfigMap name NooBaa's in-cluster S3 Service (`s3.openshift-storage.svc:443`),
which the data plane's service directory maps to SeaweedFS.
"""

from __future__ import annotations

import contextlib
import secrets
import string

import botocore.exceptions

from simulator.controllers.bucketclaims import Bucket
from simulator.dataplane.objectstore import SeaweedServer
from simulator.profiles import NOOBAA_NAMESPACE

S3_SERVICE_HOST = f"s3.{NOOBAA_NAMESPACE}.svc"
S3_SERVICE_PORT = 443
_ACCESS_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


class SeaweedBuckets:
    """The `BucketProvisioner` of the data plane: real buckets, NooBaa-shaped credentials (20 + 40 characters)."""

    def __init__(self, seaweed: SeaweedServer) -> None:
        self.seaweed = seaweed

    def create_bucket(self, name: str, *, namespace: str, claim: str) -> Bucket:
        access = "".join(secrets.choice(_ACCESS_ALPHABET) for _ in range(20))
        secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
        self.seaweed.create_bucket(name, access_key=access, secret_key=secret)
        return Bucket(name, S3_SERVICE_HOST, S3_SERVICE_PORT, access, secret)

    def delete_bucket(self, name: str) -> None:
        """Empty and remove the bucket (reclaimPolicy Delete); a bucket already gone is fine."""
        client = self.seaweed.client()
        with contextlib.suppress(botocore.exceptions.ClientError):
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if keys:
                    client.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
            client.delete_bucket(Bucket=name)
