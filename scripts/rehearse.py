"""`make rehearse`: start the simulator with its data plane, run the install runbooks in order through the runner,
then every other runbook, and write the executed notebooks, HTML reports and run records under out/ with an
index page. Exits non-zero when a runbook or a final check fails; the simulator is stopped in every case."""

from __future__ import annotations

import argparse
import html
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
INSTALL = ("install/01-preflight", "install/02-install-operator", "install/03-configure", "install/04-deploy",
           "install/05-first-user", "install/06-reconfigure")
SEED = 7
NAMESPACE, REGISTRY, USER = "quay-enterprise", "example-registry", "quayadmin"


def start_simulator(out: Path) -> tuple[subprocess.Popen, Path]:
    """`quayops sim serve --data-plane` in its own process group; returns it and its kubeconfig once ready."""
    log = (out / "simulator.log").open("w")
    proc = subprocess.Popen([str(BIN / "quayops"), "sim", "serve", "--data-plane", "--seed", str(SEED),
                             "--kubeconfig", str(out / "kubeconfig")],
                            stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
    line = proc.stdout.readline().split() if proc.stdout else []
    if not line or line[0] != "ready":
        stop_simulator(proc)
        raise SystemExit(f"rehearse: the simulator did not start; see {out / 'simulator.log'}")
    return proc, Path(line[1])


def stop_simulator(proc: subprocess.Popen) -> None:
    """SIGTERM to the simulator's process group (it stops its servers), SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def run_all(runs: Path) -> list[dict]:
    """The install chain, then the other runbooks; after a failure the rest is skipped (each builds on the last)."""
    from quayops.runbooks import discover_runbooks, run_runbook

    names = [*INSTALL, *sorted(r.name for r in discover_runbooks() if r.name not in INSTALL)]
    rows, failed = [], False
    for name in names:
        if failed:
            rows.append({"runbook": name, "outcome": "skipped", "seconds": 0.0, "message": "an earlier runbook failed"})
            continue
        record = run_runbook(name, target="sim", out_dir=runs, progress=False)
        print(f"  {record.summary()}", flush=True)
        rows.append({"runbook": name, "outcome": record.outcome, "seconds": record.duration_s,
                     "message": record.message, "html": record.html, "notebook": record.notebook,
                     "record": record.record})
        failed = record.exit_status != 0
    return rows


def final_checks(kubeconfig: Path, password: str) -> list[dict]:
    """The registry endpoint answers and the first user can log in."""
    from quayops.install.firstuser import login_works
    from quayops.kube.client import Cluster
    from quayops.kube.resolve import route_session

    try:
        cluster = Cluster.connect("simulator", kubeconfig=kubeconfig)
        endpoint = cluster.get("quay.redhat.com/v1", "QuayRegistry", REGISTRY,
                               namespace=NAMESPACE)["status"]["registryEndpoint"]
        session = route_session(kubeconfig=kubeconfig, context="simulator")
        health = session.get(f"{endpoint}/health/instance", timeout=30).status_code
        login = login_works(session, endpoint, username=USER, password=password)
    except Exception as e:  # noqa: BLE001 - reported as a failed check, never raised past the cleanup
        return [{"check": "registry endpoint and first user", "ok": False, "detail": f"{type(e).__name__}: {e}"[:300]}]
    return [{"check": "registry endpoint answers", "ok": health == 200, "detail": f"{endpoint}/health/instance: {health}"},
            {"check": "first user exists and logs in", "ok": login, "detail": f"{USER} at {endpoint}/v2/auth"}]


def write_index(out: Path, rows: list[dict], checks: list[dict], total: float) -> Path:
    def link(path: str | None, label: str) -> str:
        return f'<a href="{html.escape(os.path.relpath(path, out))}">{label}</a>' if path else ""

    body = "".join(
        f"<tr class='{html.escape(r['outcome'])}'><td>{html.escape(r['runbook'])}</td><td>{html.escape(r['outcome'])}"
        f"</td><td>{r['seconds']:.1f} s</td><td>{link(r.get('html'), 'report')} {link(r.get('notebook'), 'notebook')} "
        f"{link(r.get('record'), 'run record')}</td><td>{html.escape(r.get('message') or '')}</td></tr>" for r in rows)
    checked = "".join(f"<tr class='{'ok' if c['ok'] else 'failed'}'><td>{html.escape(c['check'])}</td>"
                      f"<td>{'ok' if c['ok'] else 'FAILED'}</td><td>{html.escape(c['detail'])}</td></tr>" for c in checks)
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>quayops rehearsal</title><style>"
            "body{font-family:sans-serif;margin:2em}td,th{padding:.3em .8em;text-align:left}"
            ".ok td:nth-child(2){color:#070}.failed td:nth-child(2){color:#b00;font-weight:bold}"
            ".skipped td:nth-child(2){color:#888}</style></head><body><h1>quayops rehearsal</h1>"
            f"<p>The install runbooks (guide 1.6–6, 8.1, 8.4) and every other runbook, run in order through the "
            f"runner against the simulator with its data plane (seed {SEED}); {total:.1f} s in all.</p>"
            "<table><tr><th>runbook</th><th>outcome</th><th>duration</th><th>files</th><th>message</th></tr>"
            f"{body}</table><h2>Final checks</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>"
            f"{checked}</table><p><a href='simulator.log'>simulator log</a></p></body></html>")
    (out / "index.html").write_text(page, encoding="utf-8")
    return out / "index.html"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="out")
    out = Path(parser.parse_args().out).resolve()
    runs = out / "runbooks"
    runs.mkdir(parents=True, exist_ok=True)
    for stale in runs.iterdir():
        stale.unlink()
    # the first user's password: generated, handed to the runbook as env:QUAYOPS_PASSWORD, never written
    password = secrets.token_urlsafe(18)
    started = time.perf_counter()
    print(f"rehearse: starting the simulator with its data plane (seed {SEED})", flush=True)
    sim, kubeconfig = start_simulator(out)
    try:
        os.environ.update(KUBECONFIG=str(kubeconfig), QUAYOPS_PASSWORD=password)
        os.environ.pop("QUAYOPS_RESOLVE", None)
        rows = run_all(runs)
        checks = final_checks(kubeconfig, password)
    finally:
        stop_simulator(sim)
    total = time.perf_counter() - started
    (out / "rehearsal.json").write_text(json.dumps({"seconds": round(total, 1), "runbooks": rows, "checks": checks},
                                                   indent=2) + "\n")
    index = write_index(out, rows, checks, total)
    failed = [r["runbook"] for r in rows if r["outcome"] != "ok"] + [c["check"] for c in checks if not c["ok"]]
    for c in checks:
        print(f"  {'ok    ' if c['ok'] else 'FAILED'} {c['check']}: {c['detail']}")
    print(f"\nrehearse: {len(rows)} runbooks in {total:.1f} s; report {index}; runbooks under {runs}")
    if failed:
        print(f"rehearse: FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
