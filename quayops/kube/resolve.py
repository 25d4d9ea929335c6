"""Route hosts → addresses, like curl `--resolve`: from `QUAYOPS_RESOLVE` or the kubeconfig extension
`quayops.dev/resolve`, and HTTP sessions (requests, boto3) that honour the map and the cluster's CA.

Real clusters need no map; the simulator writes one. Nothing else tells quayops where it runs.
"""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import yaml
from requests.adapters import HTTPAdapter

RESOLVE_ENV = "QUAYOPS_RESOLVE"
EXTENSION = "quayops.dev/resolve"

# (host, port) → (address, port); a host `*.example.com` matches every name under example.com
Resolve = dict[tuple[str, int], tuple[str, int]]


def parse_resolve(text: str | None) -> Resolve:
    """`host:port:address[:port]` entries, separated by commas or spaces → {(host, port): (address, port)}."""
    mapping: Resolve = {}
    for entry in (text or "").replace(",", " ").split():
        parts = entry.split(":")
        if len(parts) not in (3, 4) or not all(parts) or not all(p.isdigit() for p in parts[1::2]):
            raise ValueError(f"{RESOLVE_ENV} entry {entry!r}: expected host:port:address or host:port:address:port")
        port = int(parts[1])
        mapping[(parts[0].lower(), port)] = (parts[2], int(parts[3]) if len(parts) == 4 else port)
    return mapping


def lookup(resolve: Mapping[tuple[str, int], tuple[str, int]], host: str, port: int) -> tuple[str, int] | None:
    """The address for host:port: an exact entry first, then the longest matching `*.` wildcard."""
    host = host.lower()
    exact = resolve.get((host, port))
    if exact is not None:
        return exact
    matches = [(len(pattern), target) for (pattern, p), target in resolve.items()
               if p == port and pattern.startswith("*.") and host.endswith(pattern[1:])]
    return max(matches)[1] if matches else None


def _kubeconfig_paths(kubeconfig: str | os.PathLike | None) -> list[Path]:
    if kubeconfig:
        return [Path(kubeconfig)]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def read_kubeconfig_context(kubeconfig: str | os.PathLike | None = None, context: str | None = None
                            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (context, cluster) entries a kubeconfig names for `context` (default: current-context); empty when
    there is no kubeconfig or no such context."""
    for path in _kubeconfig_paths(kubeconfig):
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except OSError:
            continue
        name = context or doc.get("current-context")
        ctx = next((c.get("context") or {} for c in doc.get("contexts") or [] if c.get("name") == name), None)
        if ctx is None:
            continue
        cluster = next((c.get("cluster") or {} for c in doc.get("clusters") or []
                        if c.get("name") == ctx.get("cluster")), {})
        return ctx, cluster
    return {}, {}


def _extension_entries(entry: Mapping[str, Any]) -> list[str]:
    for ext in entry.get("extensions") or []:
        if ext.get("name") == EXTENSION:
            return list((ext.get("extension") or {}).get("resolve") or [])
    return []


def resolve_map(*, kubeconfig: str | os.PathLike | None = None, context: str | None = None,
                resolve: str | None = None) -> Resolve:
    """The map in effect: the kubeconfig extension (context, then cluster), overridden by `resolve` or
    $QUAYOPS_RESOLVE entries for the same host and port."""
    ctx, cluster = read_kubeconfig_context(kubeconfig, context)
    mapping = parse_resolve(" ".join([*_extension_entries(cluster), *_extension_entries(ctx)]))
    mapping.update(parse_resolve(resolve if resolve is not None else os.environ.get(RESOLVE_ENV)))
    return mapping


def cluster_ca(*, kubeconfig: str | os.PathLike | None = None, context: str | None = None) -> bytes | None:
    """The cluster's CA (PEM) from the kubeconfig, or None."""
    _, cluster = read_kubeconfig_context(kubeconfig, context)
    if cluster.get("certificate-authority-data"):
        return base64.b64decode(cluster["certificate-authority-data"])
    if cluster.get("certificate-authority"):
        return Path(cluster["certificate-authority"]).read_bytes()
    return None


class ResolvingAdapter(HTTPAdapter):
    """Connects to the mapped address for mapped (host, port) pairs, keeping Host, SNI and certificate checks
    on the original host name; with `ca_pem`, verifies against that CA as well as the usual bundle."""

    def __init__(self, resolve: Resolve, *, ca_pem: bytes | None = None, **kwargs: Any) -> None:
        self.resolve = resolve
        self.ca_pem = ca_pem
        self._contexts: dict[str, ssl.SSLContext] = {}
        super().__init__(**kwargs)

    def _ssl_context(self, verify: bool | str) -> ssl.SSLContext:
        """The verifying context for `verify` (True, or a bundle path as REQUESTS_CA_BUNDLE gives) plus ca_pem."""
        key = str(verify)
        if key not in self._contexts:
            bundle = verify if isinstance(verify, str) else None
            ctx = ssl.create_default_context(cafile=bundle if bundle and not os.path.isdir(bundle) else None,
                                             capath=bundle if bundle and os.path.isdir(bundle) else None)
            ctx.load_verify_locations(cadata=(self.ca_pem or b"").decode())
            self._contexts[key] = ctx
        return self._contexts[key]

    def _target(self, url: str) -> tuple[str, int] | None:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return lookup(self.resolve, parts.hostname or "", port)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if self._target(request.url or "") is not None:
            request.headers.setdefault("Host", urlsplit(request.url).netloc)
        return super().send(request, *args, **kwargs)

    def get_connection_with_tls_context(self, request: requests.PreparedRequest, verify: bool | str | None,
                                        proxies: Mapping[str, str] | None = None, cert: Any = None) -> Any:
        target = self._target(request.url)
        if target is None and not self.ca_pem:
            return super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            if verify is not False and verify is not None and self.ca_pem:
                pool_kwargs = {k: v for k, v in pool_kwargs.items() if k not in ("ca_certs", "ca_cert_dir")}
                pool_kwargs["ssl_context"] = self._ssl_context(verify)
            if target is not None:
                host = urlsplit(request.url).hostname
                pool_kwargs = {**pool_kwargs, "server_hostname": host, "assert_hostname": host}
        if target is None:
            return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)
        return self.poolmanager.connection_from_host(host=target[0], port=target[1], scheme=host_params["scheme"],
                                                     pool_kwargs=pool_kwargs)


def route_session(*, kubeconfig: str | os.PathLike | None = None, context: str | None = None,
                  resolve: str | None = None, **adapter: Any) -> requests.Session:
    """A requests Session reaching route hosts through the resolve map and trusting the cluster's CA.

    `adapter` keywords go to the HTTPAdapter (`max_retries`, `pool_maxsize`, ...).
    """
    session = requests.Session()
    mounted = ResolvingAdapter(resolve_map(kubeconfig=kubeconfig, context=context, resolve=resolve),
                               ca_pem=cluster_ca(kubeconfig=kubeconfig, context=context), **adapter)
    session.mount("https://", mounted)
    session.mount("http://", mounted)
    return session


def attach_session(client: Any, session: requests.Session) -> Any:
    """Send a boto3 client's requests through `session` (its map and CA); returns the client.

    botocore has no resolve hook, so its `before-send` event hands each request to the session instead.
    """
    from botocore.awsrequest import AWSResponse

    def send(request: Any, **_: Any) -> AWSResponse:
        body = request.body
        response = session.request(request.method, request.url, headers=dict(request.headers.items()),
                                   data=body, stream=True, allow_redirects=False,
                                   verify=session.verify, timeout=(10, 300))
        return AWSResponse(request.url, response.status_code, response.headers, response.raw)

    client.meta.events.register("before-send.s3", send)
    return client
