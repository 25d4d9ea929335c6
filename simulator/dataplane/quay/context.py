"""What every handler of one Quay app shares (settings, database, storage, metrics), and the request's own
external address: every URL handed out follows the request's Host and scheme, so routes and port-forwards work."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulator.dataplane.quay.database import Database
from simulator.dataplane.quay.metrics import QuayMetrics
from simulator.dataplane.quay.settings import QuaySettings
from simulator.dataplane.quay.storage import BlobStorage


@dataclass
class QuayContext:
    settings: QuaySettings
    db: Database
    storage: BlobStorage
    metrics: QuayMetrics
    executor: ThreadPoolExecutor
    # running sha256 of chunked uploads by upload uuid; lost on restart, then recomputed from the chunks
    upload_hashes: dict[str, Any] = field(default_factory=dict)

    def new_upload_hash(self, upload_uuid: str) -> Any:
        self.upload_hashes[upload_uuid] = hashlib.sha256()
        return self.upload_hashes[upload_uuid]


class Reply(Exception):
    """Raised by helpers deep in a handler to answer at once with `response` (the app's middleware sends it)."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(response.status)
        self.response = response


CONTEXT = web.AppKey("quay_context", QuayContext)


def context(request: web.Request) -> QuayContext:
    return request.app[CONTEXT]


def external_base(request: web.Request) -> str:
    """`scheme://host` as the client addressed us (X-Forwarded-Proto respected, as behind the router)."""
    scheme = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip() or request.scheme
    return f"{scheme}://{request.host}"
