import base64
import json

import pytest

from quayops.runbooks import SecretUnavailable, mark_secret, resolve_secret
from quayops.runbooks.secrets import LEDGER_ENV, RESOLVED_ENV, read_ledger


def test_env_reference_reads_the_variable(monkeypatch):
    monkeypatch.setenv("QUAY_PW", "from-the-env")
    assert resolve_secret("env:QUAY_PW") == "from-the-env"


def test_unset_variable_names_it():
    with pytest.raises(SecretUnavailable) as e:
        resolve_secret("env:QUAYOPS_TEST_SURELY_UNSET")
    assert e.value.message == "cannot resolve env:QUAYOPS_TEST_SURELY_UNSET: environment variable " \
                              "QUAYOPS_TEST_SURELY_UNSET is not set"


def test_a_value_is_not_a_reference_and_is_not_repeated():
    with pytest.raises(SecretUnavailable) as e:
        resolve_secret("plain-password-123")
    assert "plain-password-123" not in str(e.value)


def test_values_the_runner_resolved_come_from_the_kernels_environment(monkeypatch):
    monkeypatch.setenv(RESOLVED_ENV, json.dumps({"secret:quay/init/password": "resolved-by-runner"}))
    assert resolve_secret("secret:quay/init/password") == "resolved-by-runner"


def test_secret_reference_reads_the_key_through_the_target(monkeypatch):
    calls = []
    monkeypatch.setattr("quayops.kube.connect.connect", lambda target: calls.append(target) or "api")
    monkeypatch.setattr("quayops.kube.connect.read_secret", lambda api, ns, name: {
        "data": {"password": base64.b64encode(b"from-k8s").decode()}})
    assert resolve_secret("secret:quay/init/password", target="simulator") == "from-k8s"
    assert calls == ["simulator"]
    with pytest.raises(SecretUnavailable, match="Secret quay/init has no key 'pw'"):
        resolve_secret("secret:quay/init/pw", target="simulator")


def test_resolved_and_marked_values_go_to_the_runners_ledger(monkeypatch, tmp_path):
    ledger = tmp_path / "ledger"
    monkeypatch.setenv(LEDGER_ENV, str(ledger))
    monkeypatch.setenv("QUAY_PW", "from-the-env")
    resolve_secret("env:QUAY_PW")
    config = {"DB_URI": "postgresql://quay:db-password@db/quay", "SERVER_HOSTNAME": "quay.example.com"}
    assert mark_secret(config) is config
    assert read_ledger(ledger) == {"from-the-env", "db-password"}
    assert oct(ledger.stat().st_mode & 0o777) == "0o600"


def test_mark_secret_outside_the_runner_does_nothing(monkeypatch):
    monkeypatch.delenv(LEDGER_ENV, raising=False)
    assert mark_secret("value") == "value"
