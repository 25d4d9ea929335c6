"""`quayops backup create|verify` and `quayops restore`: one library call each, asserted with the call patched; the
exit codes say what state was left (3 refused, 4 a step failed, 1 verify found problems)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from quayops.backup import procedures
from quayops.backup.steps import ProcedureResult, StepRecord
from quayops.cli import main
from quayops.errors import PreconditionFailed, StepFailedError


class Calls(list):
    """The procedure calls the CLI made; `error`, when set, is what the next call raises."""

    error: Exception | None = None


@pytest.fixture
def calls(monkeypatch) -> Calls:
    """Record the procedure calls instead of running them; no cluster is reached."""
    recorded = Calls()
    monkeypatch.setattr("quayops.kube.client.Cluster.connect", classmethod(lambda cls, context=None: "cluster"))
    monkeypatch.setattr("quayops.kube.resolve.route_session", lambda **kw: SimpleNamespace(verify=True))

    def fake(name):
        def call(*args, **kwargs):
            recorded.append((name, args, kwargs))
            if recorded.error is not None:
                raise recorded.error
            result = ProcedureResult(name, Path(kwargs["directory"]))
            result.steps.append(StepRecord("blobs", "completed", 1.5, {"objects": 3, "bytes": 30, "copied": 3,
                                                                       "reused": 0, "skipped": 0}))
            return result
        return call

    monkeypatch.setattr(procedures, "backup_registry", fake("backup"))
    monkeypatch.setattr(procedures, "restore_registry", fake("restore"))
    return recorded


def test_backup_create_makes_one_call_with_the_options_and_prints_the_table(calls, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKUP_KEY", "ab" * 32)

    out = CliRunner().invoke(main, ["backup", "create", "registry", "-n", "ns", "--to", str(tmp_path / "b"),
                                    "--resume", "--format", "custom", "--encrypt-key-env", "BACKUP_KEY",
                                    "--stay-down", "--workers", "4"])

    assert out.exit_code == 0, out.output
    [(name, args, kwargs)] = calls
    assert (name, args[1:]) == ("backup", ("registry",))
    assert {k: kwargs[k] for k in ("namespace", "resume", "dump_format", "stay_down", "allow_unmanaged")} == {
        "namespace": "ns", "resume": True, "dump_format": "custom", "stay_down": True, "allow_unmanaged": False}
    assert kwargs["key"] == bytes.fromhex("ab" * 32) and kwargs["access"].workers == 4
    assert "blobs  completed      1.5  3 objects, 30 bytes (3 copied, 0 reused, 0 already there)" in out.output
    assert "ab" * 32 not in out.output


@pytest.mark.parametrize(("error", "code"), [
    (StepFailedError("backup: step 'preconditions' failed: not Available.", step="preconditions",
                     hint="Nothing was changed."), 3),
    (StepFailedError("backup: step 'blobs' failed: S3 down.", step="blobs", hint="Quay was scaled back up."), 4),
    (PreconditionFailed("b already holds a run of 'backup'.", hint="Resume it."), 3),
])
def test_a_failed_backup_names_its_step_and_exits_3_when_refused_or_4(calls, tmp_path, error, code):
    if code == 3 and isinstance(error, StepFailedError):
        error.__cause__ = PreconditionFailed("not Available")
    calls.error = error

    out = CliRunner().invoke(main, ["backup", "create", "registry", "-n", "ns", "--to", str(tmp_path / "b")])

    assert out.exit_code == code
    assert f"quayops: {error}" in out.output


def test_restore_makes_one_call_with_the_pull_password_from_the_environment(calls, tmp_path, monkeypatch):
    monkeypatch.setenv("PULL_PW", "pull-Password-1")

    out = CliRunner().invoke(main, ["restore", "registry", "-n", "ns", "--from", str(tmp_path), "--jobs", "3",
                                    "--pull-user", "quayadmin", "--pull-password-env", "PULL_PW"])

    assert out.exit_code == 0, out.output
    [(name, _, kwargs)] = calls
    assert (name, kwargs["jobs"], kwargs["pull_credentials"], kwargs["resume"]) == (
        "restore", 3, ("quayadmin", "pull-Password-1"), False)
    assert "restore of ns/registry from" in out.output and "pull-Password-1" not in out.output


def test_verify_exits_1_naming_the_damaged_file(quay_data, backup_dir):
    from quayops.backup.procedures import backup_data_steps
    from quayops.backup.steps import Procedure

    Procedure("backup", backup_data_steps(quay_data.plane())).run(backup_dir)
    assert CliRunner().invoke(main, ["backup", "verify", str(backup_dir)]).exit_code == 0
    (backup_dir / "database.sql").write_bytes(b"-- cut")

    out = CliRunner().invoke(main, ["backup", "verify", str(backup_dir)])

    assert out.exit_code == 1
    assert "FAILED" in out.output and "  database.sql: is 6 bytes with sha256:" in out.output
