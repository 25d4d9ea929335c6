"""A planted secret, passed as `env:VAR`, printed, displayed in a DataFrame and raised by the runbook,
never reaches the executed notebook, its HTML or the run record; and the run is flagged for it."""

import base64
import html
import json

import pytest

PLANTED = "hunter2-Planted/Secret&<value>"  # JSON- and HTML-escaping change it: every spelling is looked for
MARKED = "generated-db-pw"  # found by the runbook at run time and marked with mark_secret()


def spellings_of(value):
    return {value, json.dumps(value)[1:-1], html.escape(value), html.escape(value, quote=False),
            base64.b64encode(value.encode()).decode()}


def assert_nowhere(out, *values):
    for path in sorted(out.iterdir()):
        text = path.read_text(encoding="utf-8")
        for value in values:
            for form in spellings_of(value):
                assert form not in text, f"{form!r} in {path.name}"


@pytest.fixture(scope="module")
def leaked(run):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLANTED_PW", PLANTED)
        return run({"admin_password": "env:PLANTED_PW", "leak": "print,dataframe,marked"})


@pytest.fixture(scope="module")
def raised(run):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUAYOPS_ADMIN_PASSWORD", PLANTED)  # the default reference for admin_password
        return run({"leak": "raise"})


def test_printed_and_displayed_secrets_are_masked_everywhere(leaked):
    _, out = leaked
    assert sorted(p.name for p in out.iterdir()) == ["checks-behave.html", "checks-behave.ipynb", "checks-behave.json"]
    assert_nowhere(out, PLANTED, MARKED)
    assert "password is *****" in (out / "checks-behave.ipynb").read_text()


def test_a_leak_fails_an_otherwise_good_run_naming_files_not_values(leaked):
    record, out = leaked
    assert (record.outcome, record.exit_status, record.error["ename"]) == ("failed", 1, "SecretInOutput")
    assert record.secret_leaks == [str(out / "checks-behave.ipynb"), str(out / "checks-behave.html")]
    assert record.message == ("failed: a secret value appeared in cell 8 and was masked in checks-behave.ipynb "
                              "and its HTML: stop printing it, or mark_secret() what holds it")


def test_injected_cell_and_papermill_metadata_hold_only_references(leaked):
    nb = json.loads((leaked[1] / "checks-behave.ipynb").read_text())
    assert nb["metadata"]["papermill"]["parameters"]["admin_password"] == "env:PLANTED_PW"
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert 'admin_password = "env:PLANTED_PW"' in "".join(injected["source"])


def test_secret_in_an_exception_message_is_masked_and_flagged(raised):
    record, out = raised
    assert_nowhere(out, PLANTED)
    assert record.parameters["admin_password"] == "env:QUAYOPS_ADMIN_PASSWORD"
    assert (record.outcome, record.error["ename"], record.error["evalue"]) == (
        "failed", "RuntimeError", "login refused for admin:*****")
    assert record.secret_leaks and record.message.endswith("stop printing it, or mark_secret() what holds it")
