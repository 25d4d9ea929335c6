"""Simulator API figures on this machine: GET/LIST latency vs a bare aiohttp floor, writes/s, watch
delivery latency, and a 100,000-object store's RSS and LIST-by-label time. Run: python benchmarks/sim_api.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import urllib3
from aiohttp import web

from simulator.server import start_simulator


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def timed_gets(http: urllib3.PoolManager, url: str, headers: dict, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = http.request("GET", url, headers=headers)
        assert r.status == 200, r.data[:200]
        out.append(time.perf_counter() - t)
    return out


def floor_server(body: bytes, cert: Path, key: Path) -> tuple[str, asyncio.AbstractEventLoop]:
    """A bare aiohttp HTTPS handler returning fixed bytes: the framework's floor."""
    loop = asyncio.new_event_loop()
    ready, holder = threading.Event(), {}

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/x", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        holder["port"] = site._server.sockets[0].getsockname()[1]
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve())
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    return f"https://127.0.0.1:{holder['port']}/x", loop


def _post_configmaps(url: str, token: str, ca: Path, tag: str, n: int) -> None:
    http = urllib3.PoolManager(ca_certs=str(ca), maxsize=1)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "Content-Type": "application/json"}
    for i in range(n):
        r = http.request("POST", url, headers=headers, body=json.dumps(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{tag}-{i}"}, "data": {"k": "v"}}))
        assert r.status == 201, r.data[:200]


def threaded_writes(url: str, token: str, ca: Path, *, clients: int, n: int, tag: str) -> float:
    """Writes/s of `clients` threads of this process, each creating `n` ConfigMaps one after another."""
    threads = [threading.Thread(target=_post_configmaps, args=(url, token, ca, f"{tag}-{k}", n))
               for k in range(clients)]
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return clients * n / (time.perf_counter() - t)


_CLIENT = """
import json, sys, urllib3
url, token, ca, tag, n = sys.argv[1:6]
http = urllib3.PoolManager(ca_certs=ca, maxsize=1)
headers = {"Authorization": "Bearer " + token, "Accept": "application/json", "Content-Type": "application/json"}
http.request("GET", url, headers=headers)  # connected before the clock starts
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(n)):
    r = http.request("POST", url, headers=headers, body=json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{tag}-{i}"}, "data": {"k": "v"}}))
    assert r.status == 201, r.data[:200]
"""


def process_writes_per_s(url: str, token: str, ca: Path, *, clients: int, n: int, tag: str) -> float:
    """Writes/s of `clients` separate client processes (as kubectl would be), released together."""
    procs = [subprocess.Popen([sys.executable, "-c", _CLIENT, url, token, str(ca), f"{tag}-{k}", str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for k in range(clients)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    t = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        assert p.wait(300) == 0
    return clients * n / (time.perf_counter() - t)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--writes", type=int, default=2000, help="HTTP writes per concurrency level")
    args = parser.parse_args()
    sim = start_simulator(seed=1)
    store = sim.store
    tmp = Path(tempfile.mkdtemp())
    (tmp / "ca.crt").write_bytes(sim.ca_pem)
    (tmp / "tls.crt").write_bytes(sim._tls.cert_pem)  # the floor serves the same certificate
    (tmp / "tls.key").write_bytes(sim._tls.key_pem)
    http = urllib3.PoolManager(ca_certs=str(tmp / "ca.crt"), maxsize=4)
    auth = {"Authorization": f"Bearer {sim.token}", "Accept": "application/json"}
    ns_kind, cm_kind, pod_kind = store.kind("v1", "Namespace"), store.kind("v1", "ConfigMap"), store.kind("v1", "Pod")
    store.create(ns_kind, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"app": "quay"}},
           "spec": {"containers": [{"name": "quay-app", "image": "quay.io/projectquay/quay:3.7",
                                    "ports": [{"containerPort": 8443}], "env": [{"name": "A", "value": "1"}]}]}}
    store.create(pod_kind, pod, namespace="bench")
    for i in range(100):
        store.create(cm_kind, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i:03}"},
                               "data": {"k": "v" * 100}}, namespace="bench")
    get_url = f"{sim.url}/api/v1/namespaces/bench/pods/p"
    timed_gets(http, get_url, auth, 200)
    gets = timed_gets(http, get_url, auth, args.requests)
    lists = timed_gets(http, f"{sim.url}/api/v1/namespaces/bench/configmaps", auth, args.requests // 4)
    body = http.request("GET", get_url, headers=auth).data
    floor_url, floor_loop = floor_server(body, tmp / "tls.crt", tmp / "tls.key")
    timed_gets(http, floor_url, {}, 200)
    floor = timed_gets(http, floor_url, {}, args.requests)
    floor_loop.call_soon_threadsafe(floor_loop.stop)

    # sustained writes over HTTP: client threads in this process (they share its GIL with the server),
    # then client processes (as kubectl or an operator would be), 1, 2 and 4 of each, each sequential
    write_url = f"{sim.url}/api/v1/namespaces/bench/configmaps"
    http_writes = {c: threaded_writes(write_url, sim.token, tmp / "ca.crt", clients=c, n=args.writes // c,
                                      tag=f"w{c}") for c in (1, 2, 4)}
    process_writes = {c: process_writes_per_s(write_url, sim.token, tmp / "ca.crt", clients=c,
                                              n=args.writes // c, tag=f"p{c}") for c in (1, 2, 4)}
    t = time.perf_counter()
    for i in range(5000):
        store.create(cm_kind, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"s{i}"}},
                     namespace="bench")
    store_writes = 5000 / (time.perf_counter() - t)

    # watch delivery: write in-process, read the HTTP stream
    rv = str(store.resource_version)
    stream = http.request("GET", f"{sim.url}/api/v1/namespaces/bench/configmaps?watch=true&resourceVersion={rv}"
                          "&timeoutSeconds=60", headers=auth, preload_content=False)
    sent: dict[str, float] = {}
    delays: list[float] = []

    def reader() -> None:
        buf = b""
        for chunk in stream.stream(65536, decode_content=False):
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                name = json.loads(line)["object"]["metadata"]["name"]
                delays.append(time.perf_counter() - sent[name])
                if len(delays) == 500:
                    return

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.2)
    for i in range(500):
        sent[f"v{i}"] = time.perf_counter()
        store.create(cm_kind, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"v{i}"}},
                     namespace="bench")
        time.sleep(0.002)
    thread.join(30)
    stream.release_conn()

    # a large store: pods, secrets and configmaps across 100 namespaces
    store.reset()
    before = rss_mib()
    t = time.perf_counter()
    secret_kind = store.kind("v1", "Secret")
    for n_ns in range(100):
        store.create(ns_kind, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns{n_ns}"}})
    for i in range(args.objects):
        ns = f"ns{i % 100}"
        which = i % 3
        labels = {"app": f"a{i % 10}"}
        if which == 0:
            store.create(pod_kind, {**pod, "metadata": {"name": f"p{i}", "labels": labels}}, namespace=ns)
        elif which == 1:
            store.create(secret_kind, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{i}",
                         "labels": labels}, "data": {"password": "c2VjcmV0"}}, namespace=ns)
        else:
            store.create(cm_kind, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}",
                         "labels": labels}, "data": {"config.yaml": "a: 1\n" * 10}}, namespace=ns)
    fill = time.perf_counter() - t
    big_lists = timed_gets(http, f"{sim.url}/api/v1/namespaces/ns7/pods?labelSelector=app%3Da7", auth, 50)
    rss = rss_mib()

    print(f"GET pod            median {pct(gets, .5):.2f} ms  p99 {pct(gets, .99):.2f} ms")
    print(f"GET floor (aiohttp) median {pct(floor, .5):.2f} ms  p99 {pct(floor, .99):.2f} ms  "
          f"(simulator p99 / floor p99 = {pct(gets, .99) / pct(floor, .99):.2f}x)")
    print(f"LIST 100 configmaps median {pct(lists, .5):.2f} ms  p99 {pct(lists, .99):.2f} ms")
    print("writes/s           HTTP, client threads in-process: "
          + "  ".join(f"{c}: {w:.0f}" for c, w in http_writes.items())
          + ";  client processes: " + "  ".join(f"{c}: {w:.0f}" for c, w in process_writes.items())
          + f";  Store.create in-process {store_writes:.0f}")
    print(f"watch delivery     median {pct(delays, .5):.2f} ms  p99 {pct(delays, .99):.2f} ms  ({len(delays)} events)")
    print(f"{args.objects} objects    filled in {fill:.1f} s; RSS {rss:.0f} MiB (was {before:.0f} MiB before filling); "
          f"LIST-by-label of one namespace median {pct(big_lists, .5):.1f} ms  p99 {pct(big_lists, .99):.1f} ms")
    print(f"mean GET {statistics.mean(gets) * 1000:.2f} ms")
    sim.stop()


if __name__ == "__main__":
    main()
