import pytest

from quayops.runbooks import RunbookNotFound, discover_runbooks, find_runbook, inspect_runbook, list_runbooks
from quayops.runbooks.discovery import notebooks_root


def test_runbooks_are_named_group_slash_name(fixtures_root):
    assert [r.name for r in discover_runbooks(fixtures_root)] == ["checks/behave", "nbval/check-output"]
    assert find_runbook("checks/behave.ipynb", fixtures_root).slug == "checks-behave"


def test_default_root_is_the_repositorys_notebooks(fixtures_root):
    assert notebooks_root() == fixtures_root.parents[3] / "notebooks"


def test_parameters_come_from_papermills_inspection_with_types_and_secret_flags(fixtures_root):
    params = {p["name"]: p for p in inspect_runbook("checks/behave", root=fixtures_root)}
    assert list(params) == ["target", "mode", "nodes", "leak", "admin_password", "pull_auth", "config_bundle_secret"]
    assert params["nodes"] == {"name": "nodes", "type": "int", "default": "3",
                               "help": "an int, coerced from -p strings", "secret": False}
    # by name (redaction's rule), by metadata, and a Secret's *name* declared public
    assert (params["admin_password"]["secret"], params["pull_auth"]["secret"],
            params["config_bundle_secret"]["secret"]) == (True, True, False)


def test_list_runbooks_carries_parameters(fixtures_root):
    listed = list_runbooks(root=fixtures_root)
    assert [p["name"] for p in listed[1]["parameters"]] == ["target", "nodes"]


def test_unknown_runbook_suggests_close_names(fixtures_root):
    with pytest.raises(RunbookNotFound) as e:
        find_runbook("checks/behaves", fixtures_root)
    assert e.value.field == "runbook" and e.value.hint == "Did you mean checks/behave?"
