"""`quayops config`: thin over validate_bundle / write_new_bundle, exit codes, and no secret in output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from quayops.cli import main
from quayops.model.findings import Finding
from quayops.validation import ValidationReport

QUAYOPS = str(Path(sys.executable).parent / "quayops")
PLANTED = {
    "db": "planted-db-pw-7731",
    "s3": "planted-s3-secret-8842",
    "ak": "PLANTEDACCESS9953",
    "redis": "planted-redis-pw-1164",
    "ldap": "planted-ldap-pw-2275",
}


@pytest.fixture
def bundle_dir(tmp_path):
    (tmp_path / "config.yaml").write_text("SERVER_HOSTNAME: quay.example.com\n")
    return tmp_path


def test_validate_calls_library_once_with_defaults(bundle_dir, monkeypatch):
    calls = []

    def fake(bundle, **kwargs):
        calls.append((bundle, kwargs))
        return ValidationReport(stage="validate")

    monkeypatch.setattr("quayops.validation.validate_bundle", fake)
    result = CliRunner().invoke(main, ["config", "validate", str(bundle_dir), "-o", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"valid": True, "stage": "validate", "errors": [], "warnings": []}
    (bundle, kwargs), = calls
    assert bundle.files == {"config.yaml": b"SERVER_HOSTNAME: quay.example.com\n"}
    assert kwargs["registry"] is None and kwargs["online"] is False
    assert kwargs["platform"].routes and kwargs["platform"].object_bucket_claims


def test_validate_kubernetes_platform_has_no_openshift_apis(bundle_dir, monkeypatch):
    seen = {}
    monkeypatch.setattr("quayops.validation.validate_bundle",
                        lambda bundle, **kw: seen.update(kw) or ValidationReport(stage="validate"))
    CliRunner().invoke(main, ["config", "validate", str(bundle_dir), "--platform", "kubernetes"])
    p = seen["platform"]
    assert not (p.routes or p.object_bucket_claims or p.monitoring)


def test_invalid_exits_1_and_table_groups_by_layer(bundle_dir, monkeypatch):
    report = ValidationReport(stage="validate", errors=[Finding("config", "DB_URI is required.", field_group="Database")],
                              warnings=[Finding("guide", "some advice (3.4)", component="tls")])
    monkeypatch.setattr("quayops.validation.validate_bundle", lambda bundle, **kw: report)
    result = CliRunner().invoke(main, ["config", "validate", str(bundle_dir)])
    assert result.exit_code == 1
    assert "INVALID" in result.output and "Quay config-tool" in result.output
    assert "[Database] DB_URI is required." in result.output and "Guide advice" in result.output


def test_output_is_scrubbed_even_when_a_message_quotes_a_secret(bundle_dir, monkeypatch):
    (bundle_dir / "config.yaml").write_text(f"DB_URI: postgresql://quay:{PLANTED['db']}@db:5432/quay\n")
    leaky = ValidationReport(stage="validate", errors=[Finding("config", f"bad password {PLANTED['db']}")])
    monkeypatch.setattr("quayops.validation.validate_bundle", lambda bundle, **kw: leaky)
    for fmt in ("table", "json"):
        result = CliRunner().invoke(main, ["config", "validate", str(bundle_dir), "-o", fmt])
        assert PLANTED["db"] not in result.output
        assert "bad password *****" in result.output


def test_unreadable_bundle_exits_2_with_one_line_reason(tmp_path):
    proc = subprocess.run([QUAYOPS, "config", "validate", str(tmp_path / "nope.yaml")], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no such file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_registry_manifest_exits_2(bundle_dir, tmp_path):
    reg = tmp_path / "reg.yaml"
    reg.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    proc = subprocess.run([QUAYOPS, "config", "validate", str(bundle_dir), "--registry", str(reg)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "quay.redhat.com/v1/QuayRegistry" in proc.stderr


def test_no_planted_secret_reaches_stdout_or_stderr(tmp_path, cert_factory):
    """Real runs, both output forms, a bundle full of secrets and of errors around them."""
    cert, key = cert_factory(cn="other.example.com", dns=("other.example.com",))
    (tmp_path / "ssl.cert").write_bytes(cert)
    (tmp_path / "ssl.key").write_bytes(key)
    (tmp_path / "config.yaml").write_text(f"""\
SERVER_HOSTNAME: quay.example.com
PREFERRED_URL_SCHEME: https
DB_URI: postgresql://quay:{PLANTED['db']}@db.example.com:5432/quay
DB_CONNECTION_ARGS: {{sslmode: bogus}}
BUILDLOGS_REDIS: {{host: redis.example.com, port: 6379, password: {PLANTED['redis']}}}
USER_EVENTS_REDIS: {{host: redis.example.com, port: 6379, password: {PLANTED['redis']}}}
AUTHENTICATION_TYPE: LDAP
LDAP_ADMIN_DN: cn=admin
LDAP_ADMIN_PASSWD: {PLANTED['ldap']}
LDAP_URI: "http://ldap"
DISTRIBUTED_STORAGE_CONFIG:
  s3:
    - S3Storage
    - {{host: "bad host!", s3_access_key: {PLANTED['ak']}, s3_secret_key: {PLANTED['s3']}, s3_bucket: b}}
""")
    reg = tmp_path.parent / "reg.yaml"
    reg.write_text("apiVersion: quay.redhat.com/v1\nkind: QuayRegistry\nmetadata: {name: r}\nspec:\n  components:\n"
                   + "".join(f"  - {{kind: {k}, managed: false}}\n" for k in ("postgres", "redis", "objectstorage", "tls")))
    key_lines = [line for line in key.decode().splitlines() if len(line) > 16]
    for fmt in ("table", "json"):
        proc = subprocess.run([QUAYOPS, "config", "validate", str(tmp_path), "--registry", str(reg), "-o", fmt],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 1, proc.stderr
        out = proc.stdout + proc.stderr
        for value in [*PLANTED.values(), *key_lines]:
            assert value not in out, (fmt, value)
