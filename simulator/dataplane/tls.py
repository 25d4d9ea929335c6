"""Server-side TLS contexts from PEM bytes (the router's certificates, a Quay pod's ssl.cert/ssl.key)."""

from __future__ import annotations

import os
import ssl
import tempfile
from pathlib import Path


def server_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    """A TLS server context for this pair; the key touches disk only in a 0700 temp dir, removed at once."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory(prefix="quayops-tls-") as tmp:
        cert, key = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
        cert.write_bytes(cert_pem)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as sink:
            sink.write(key_pem)
        ctx.load_cert_chain(cert, key)
    return ctx
