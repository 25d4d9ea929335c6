"""`quayops upgrade run` and `migrate-ecosystem`: one library call each, its arguments and exit codes asserted."""

import json

import pytest
from click.testing import CliRunner

from quayops.cli import main
from quayops.upgrade import ecosystem, execution
from quayops.upgrade.ecosystem import EcosystemMigrationRun, EcosystemPrediction, Finding
from quayops.upgrade.execution import HopRecord, UpgradeFailed, UpgradeRun
from quayops.upgrade.planning import UpgradeRefused


@pytest.fixture
def calls(monkeypatch):
    seen = []
    monkeypatch.setattr("quayops.kube.client.Cluster.connect", classmethod(lambda cls, context=None: f"cluster:{context}"))
    return seen


def test_run_passes_its_options_and_prints_the_hops(monkeypatch, calls):
    def fake(cluster, name, **kw):
        calls.append((cluster, name, kw))
        return UpgradeRun(name, "upgraded", "done", ["3.5.7", "3.7"],
                          [HopRecord("3.5.7", "3.7", "stable-3.7", "install-a", "quay-operator.v3.7.14", "done", "v3.7.14")])

    monkeypatch.setattr(execution, "run_upgrade", fake)
    result = CliRunner().invoke(main, ["upgrade", "run", "r", "-n", "q", "--to", "3.7", "--approve", "--skip-backup",
                                       "--timeout", "60", "-o", "json"])
    assert result.exit_code == 0, result.output
    (cluster, name, kw), = calls
    assert (cluster, name, kw["namespace"], kw["target"], kw["approve"], kw["skip_backup"], kw["timeout"],
            kw["backup"], kw["report"]) == ("cluster:None", "r", "q", "3.7", True, True, 60.0, None, None)
    out = json.loads(result.output)
    assert out["outcome"] == "upgraded" and out["hops"][0]["hop"] == "3.5.7 → 3.7"


def test_run_backup_command_becomes_the_backup_procedure(monkeypatch, calls):
    monkeypatch.setattr(execution, "run_upgrade", lambda cluster, name, **kw: calls.append(kw["backup"]()) or
                        UpgradeRun(name, "upgraded", "done"))
    result = CliRunner().invoke(main, ["upgrade", "run", "r", "--to", "3.7", "--approve", "--backup-command", "true"])
    assert result.exit_code == 0 and calls[0]["command"] == "true"


@pytest.mark.parametrize(("error", "code"), [(UpgradeRefused("no way. Nothing was changed."), 3),
                                             (UpgradeFailed("hop failed", hops=[]), 4)])
def test_run_exit_codes(monkeypatch, calls, error, code):
    def fake(*_a, **_kw):
        raise error

    monkeypatch.setattr(execution, "run_upgrade", fake)
    result = CliRunner().invoke(main, ["upgrade", "run", "r", "--to", "3.7"])
    assert result.exit_code == code and str(error) in result.output


def test_migrate_ecosystem_dry_run_exits_1_when_blocked(monkeypatch, calls):
    prediction = EcosystemPrediction("eco", [], [Finding("block", "route", "only passthrough")])
    monkeypatch.setattr(ecosystem, "migrate_ecosystem", lambda cluster, name, **kw: calls.append(kw) or
                        EcosystemMigrationRun(prediction, "predicted"))
    monkeypatch.setattr("quayops.kube.resolve.route_session", lambda **kw: "session")
    result = CliRunner().invoke(main, ["upgrade", "migrate-ecosystem", "eco", "-n", "q", "--dry-run"])
    assert result.exit_code == 1 and "BLOCK  route: only passthrough" in result.output
    assert calls[0]["dry_run"] is True and calls[0]["namespace"] == "q"


def test_migrate_ecosystem_revert_prints_the_steps(monkeypatch, calls):
    monkeypatch.setattr(ecosystem, "revert_ecosystem_migration",
                        lambda cluster, name, **kw: [{"step": "delete QuayRegistry", "result": f"{name} deleted"}])
    result = CliRunner().invoke(main, ["upgrade", "migrate-ecosystem", "eco", "--revert"])
    assert result.exit_code == 0 and result.output == "delete QuayRegistry: eco deleted\n"
