"""Blobs in the S3 bucket, laid out as Quay does: `<storage_path>/sha256/<first two hex>/<hex>`; chunked
uploads as objects under `<storage_path>/uploads/<uuid>/`, assembled server-side when S3 allows it.

boto3 is blocking, so every call runs in the app's thread pool.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, TypeVar

import boto3.s3.transfer
import botocore.exceptions

from simulator.dataplane.objectstore import s3_client
from simulator.dataplane.quay.settings import StorageSettings

T = TypeVar("T")
DIGEST = re.compile(r"^([A-Za-z0-9_+.-]+):([A-Fa-f0-9]+)$")
MIN_PART = 5 * 1024 * 1024  # S3's smallest multipart part (all but the last)
READ_CHUNK = 1024 * 1024
TRANSFER = boto3.s3.transfer.TransferConfig(multipart_threshold=64 * 1024 * 1024,
                                             multipart_chunksize=16 * 1024 * 1024, max_concurrency=4)


def content_path(digest: str) -> str:
    """Quay's digest_tools.content_path: `sha256/ab/abcdef…` (algorithm, two-character prefix, full hex)."""
    match = DIGEST.match(digest)
    if match is None:
        raise ValueError(f"Not a valid digest: {digest}")
    algorithm, hexdigest = match.groups()
    algorithm = re.sub(r"/+", "/", re.sub(r"[+.]", "/", algorithm)).lstrip("/")
    return f"{algorithm}/{hexdigest[0:2].zfill(2)}/{hexdigest}"


class BlobStorage:
    """One bucket of one storage location, driven by boto3 in `executor`."""

    def __init__(self, settings: StorageSettings, executor: ThreadPoolExecutor) -> None:
        self.settings = settings
        self._executor = executor
        self._client = s3_client(settings.endpoint, settings.access_key, settings.secret_key,
                                 verify=settings.verify)

    def _key(self, path: str) -> str:
        return f"{self.settings.storage_path}/{path}" if self.settings.storage_path else path

    def blob_key(self, digest: str) -> str:
        return self._key(content_path(digest))

    def chunk_key(self, upload_uuid: str, index: int) -> str:
        return self._key(f"uploads/{upload_uuid}/{index:05d}")

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    async def check(self) -> bool:
        try:
            await self._call(self._client.head_bucket, Bucket=self.settings.bucket)
            return True
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
            return False

    async def exists(self, digest: str) -> bool:
        try:
            await self._call(self._client.head_object, Bucket=self.settings.bucket, Key=self.blob_key(digest))
            return True
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    async def put_blob(self, digest: str, body: IO[bytes], size: int) -> None:
        """Store verified content at the blob's content path (multipart above 64 MiB)."""
        key = self.blob_key(digest)
        if size <= TRANSFER.multipart_threshold:
            body.seek(0)
            data = body.read()
            await self._call(self._client.put_object, Bucket=self.settings.bucket, Key=key, Body=data)
        else:
            body.seek(0)
            await self._call(self._client.upload_fileobj, body, self.settings.bucket, key, Config=TRANSFER)

    async def iter_blob(self, digest: str, *, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The blob's bytes (optionally a byte range), read in 1 MiB pieces off the event loop."""
        kwargs: dict[str, Any] = {"Bucket": self.settings.bucket, "Key": self.blob_key(digest)}
        if start or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end}"
        response = await self._call(self._client.get_object, **kwargs)
        body = response["Body"]
        try:
            while chunk := await self._call(body.read, 4 * READ_CHUNK):
                yield chunk
        finally:
            body.close()

    async def put_chunk(self, upload_uuid: str, index: int, data: bytes) -> str:
        key = self.chunk_key(upload_uuid, index)
        await self._call(self._client.put_object, Bucket=self.settings.bucket, Key=key, Body=data)
        return key

    async def hash_chunks(self, keys: list[str]) -> str:
        """sha256 digest of the concatenated chunks, re-read from S3 (when no in-memory hash survived)."""
        sha = hashlib.sha256()
        for key in keys:
            response = await self._call(self._client.get_object, Bucket=self.settings.bucket, Key=key)
            sha.update(await self._call(response["Body"].read))
        return "sha256:" + sha.hexdigest()

    async def assemble(self, digest: str, chunks: list[dict[str, Any]]) -> None:
        """Join upload chunks into the blob's content path: a copy for one chunk, a multipart copy when every
        chunk but the last reaches 5 MiB, else read and re-upload."""
        bucket, key = self.settings.bucket, self.blob_key(digest)
        if len(chunks) == 1:
            await self._call(self._client.copy_object, Bucket=bucket, Key=key,
                             CopySource={"Bucket": bucket, "Key": chunks[0]["key"]})
            return
        if not chunks:
            await self._call(self._client.put_object, Bucket=bucket, Key=key, Body=b"")
            return
        copyable = all(c["size"] >= MIN_PART for c in chunks[:-1])
        upload = await self._call(self._client.create_multipart_upload, Bucket=bucket, Key=key)
        parts: list[dict[str, Any]] = []
        try:
            if copyable:
                for number, chunk in enumerate(chunks, start=1):
                    result = await self._call(
                        self._client.upload_part_copy, Bucket=bucket, Key=key, UploadId=upload["UploadId"],
                        PartNumber=number, CopySource={"Bucket": bucket, "Key": chunk["key"]})
                    parts.append({"PartNumber": number, "ETag": result["CopyPartResult"]["ETag"]})
            else:
                pending = bytearray()
                for index, chunk in enumerate(chunks):
                    response = await self._call(self._client.get_object, Bucket=bucket, Key=chunk["key"])
                    pending += await self._call(response["Body"].read)
                    if len(pending) >= MIN_PART or index == len(chunks) - 1:
                        number = len(parts) + 1
                        result = await self._call(self._client.upload_part, Bucket=bucket, Key=key,
                                                  UploadId=upload["UploadId"], PartNumber=number,
                                                  Body=bytes(pending))
                        parts.append({"PartNumber": number, "ETag": result["ETag"]})
                        pending.clear()
            await self._call(self._client.complete_multipart_upload, Bucket=bucket, Key=key,
                             UploadId=upload["UploadId"], MultipartUpload={"Parts": parts})
        except BaseException:
            await self._call(self._client.abort_multipart_upload, Bucket=bucket, Key=key,
                             UploadId=upload["UploadId"])
            raise

    async def delete_keys(self, keys: list[str]) -> None:
        if keys:
            await self._call(self._client.delete_objects, Bucket=self.settings.bucket,
                             Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
