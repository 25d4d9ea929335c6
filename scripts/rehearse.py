"""`make rehearse`: run what quayops can do today end to end and write the results under out/.

Today that is the config-bundle workflow of guide chapter 3: every preset of `quayops config new`
written and validated, then one bundle created as a Secret in the simulator and validated live through
the kubernetes client. Runbooks join this list as they land (issue 7).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PRESETS = {
    "automation": [],
    "features-3.7": ["--features"],
    "s3": ["--storage", "s3"],
    "gcs": ["--storage", "gcs"],
    "azure": ["--storage", "azure"],
    "radosgw": ["--storage", "radosgw"],
    "swift": ["--storage", "swift"],
    "noobaa": ["--storage", "noobaa"],
    "external-postgres": ["--external-db"],
    "external-redis": ["--external-redis"],
    "custom-tls": ["--hostname", "quay.apps.example.com", "--tls-cert", "{cert}", "--tls-key", "{key}"],
}


def quayops(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "quayops"), *args], capture_output=True, text=True, env=env, check=False)


def write_tls_pair(directory: Path) -> tuple[Path, Path]:
    """A self-signed pair for quay.apps.example.com, for the custom-TLS preset."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "quay.apps.example.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("quay.apps.example.com")]), critical=False)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "tls.crt", directory / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def rehearse_presets(out: Path) -> list[dict]:
    cert, key = write_tls_pair(out / "tls")
    rows = []
    for name, args in PRESETS.items():
        args = [a.format(cert=cert, key=key) for a in args]
        target = out / "bundles" / name
        started = time.perf_counter()
        proc = quayops("config", "new", str(target), "--force", *args)
        report = json.loads(quayops("config", "validate", str(target), "--registry",
                                    str(target.parent / f"{name}.quayregistry.yaml"), "-o", "json").stdout)
        rows.append({"step": f"config new + validate: {name}", "ok": proc.returncode == 0 and report["valid"],
                     "errors": len(report["errors"]), "warnings": len(report["warnings"]),
                     "seconds": round(time.perf_counter() - started, 2),
                     "detail": "; ".join(f["message"] for f in report["errors"] + report["warnings"])[:400]})
    return rows


def rehearse_live_secret(out: Path) -> list[dict]:
    """Start the simulator, create the automation bundle as a Secret, validate it through the API."""
    sim = subprocess.Popen([str(BIN / "quayops"), "sim", "serve", "--kubeconfig", str(out / "kubeconfig")],
                           stdout=subprocess.PIPE, text=True)
    try:
        ready = sim.stdout.readline().split()
        if not ready or ready[0] != "ready":
            return [{"step": "simulator start", "ok": False, "detail": "no ready line"}]
        env = {**os.environ, "KUBECONFIG": ready[1]}
        kubectl = str(BIN / "kubectl")
        bundle = out / "bundles" / "automation"
        steps = [
            ("create namespace", [kubectl, "create", "namespace", "quay-enterprise"]),
            ("create config bundle Secret", [kubectl, "-n", "quay-enterprise", "create", "secret", "generic",
                                             "config-bundle-secret", f"--from-file=config.yaml={bundle / 'config.yaml'}"]),
        ]
        rows = []
        for step, cmd in steps:
            started = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            rows.append({"step": step, "ok": proc.returncode == 0, "seconds": round(time.perf_counter() - started, 2),
                         "detail": (proc.stdout + proc.stderr).strip()[:400]})
        started = time.perf_counter()
        proc = quayops("config", "validate", "secret/config-bundle-secret", "-n", "quay-enterprise", "-o", "json",
                       env=env)
        report = json.loads(proc.stdout) if proc.stdout else {"valid": False, "errors": [], "warnings": []}
        rows.append({"step": "validate live Secret quay-enterprise/config-bundle-secret", "ok": report["valid"],
                     "errors": len(report["errors"]), "warnings": len(report["warnings"]),
                     "seconds": round(time.perf_counter() - started, 2), "detail": proc.stderr.strip()[:400]})
        return rows
    finally:
        sim.terminate()
        sim.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="out")
    out = Path(parser.parse_args().out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    rows = rehearse_presets(out) + rehearse_live_secret(out)
    import pandas as pd

    table = pd.DataFrame(rows).fillna("")
    (out / "rehearsal.json").write_text(json.dumps(rows, indent=2))
    html = ("<html><head><meta charset='utf-8'><title>quayops rehearsal</title></head><body>"
            "<h1>quayops rehearsal</h1><p>Config bundles of guide chapter 3, written and validated; one "
            "created in the simulator and validated live. Runbooks join as they land.</p>"
            + table.to_html(index=False, escape=True) + "</body></html>")
    (out / "index.html").write_text(html)
    print(table[["step", "ok", "seconds"]].to_string(index=False))
    failed = [r["step"] for r in rows if not r["ok"]]
    print(f"\nreport: {out / 'index.html'}  ({len(rows) - len(failed)} ok, {len(failed)} failed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
