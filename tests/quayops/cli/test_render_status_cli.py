"""`quayops render` and `quayops status --from-file`: offline, over files a support case provides."""

import json
import subprocess
import sys
from pathlib import Path

from quayops.bundles import dump_yaml
from quayops.config.bundle import Bundle
from quayops.model.quayregistry import minimal_registry
from quayops.reconcile import preview

QUAYOPS = str(Path(sys.executable).parent / "quayops")


def run(*args):
    return subprocess.run([QUAYOPS, *args], capture_output=True, text=True, check=False)


def write_registry(tmp_path, components=None):
    registry = minimal_registry()
    if components:
        registry["spec"]["components"] = components
    path = tmp_path / "qr.yaml"
    path.write_text(dump_yaml(registry))
    return path


def test_render_json_has_every_part(tmp_path):
    proc = run("render", "-f", str(write_registry(tmp_path)), "-o", "json", "--cluster-hostname", "apps.ocp.example.com")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["step"] == "migrations-started" and len(out["objects"]) == 49
    assert out["status"]["registryEndpoint"] == "https://example-registry-quay-quay-enterprise.apps.ocp.example.com"
    assert "DB_URI: postgresql://example-registry-quay-database:*****@" in out["config.yaml"]


def test_render_refusal_exits_1_with_the_operators_message(tmp_path):
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "config.yaml").write_text("DB_URI: postgresql://u:planted-pw-3391@db/quay\n")
    proc = run("render", "-f", str(write_registry(tmp_path)), "--bundle", str(bundle))
    assert proc.returncode == 1
    assert ("condition RolloutBlocked=True ConfigInvalid: postgres component marked as managed, but "
            "`configBundleSecret` contains required fields") in proc.stdout
    assert "planted-pw-3391" not in proc.stdout + proc.stderr


def test_render_without_routes_and_route_declared_is_a_defaulting_error(tmp_path):
    path = write_registry(tmp_path, [{"kind": "route", "managed": True}])
    proc = run("render", "-f", str(path), "--platform", "kubernetes")
    assert proc.returncode == 1
    assert "error validating component route: Route API not available" in proc.stdout


def test_status_from_dump_explains_blockers(tmp_path):
    p = preview(minimal_registry(), Bundle(files={"config.yaml": b"SERVER_HOSTNAME: quay.example.com\n"}))
    dump = {"apiVersion": "v1", "kind": "List", "items": [p.registry, *p.objects]}
    path = tmp_path / "dump.yaml"
    path.write_text(dump_yaml(dump))
    proc = run("status", "--from-file", str(path), "-o", "json")
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["available"] is False and "PVC example-registry-quay-database Pending" in out["blockers"]
    rows = {r["component"]: r for r in out["components"]}
    assert rows["horizontalpodautoscaler"]["ready"] and not rows["postgres"]["ready"]


def test_status_from_dump_without_registry_exits_2(tmp_path):
    path = tmp_path / "dump.yaml"
    path.write_text("apiVersion: v1\nkind: List\nitems: []\n")
    proc = run("status", "--from-file", str(path))
    assert proc.returncode == 2 and "expected one QuayRegistry" in proc.stderr
