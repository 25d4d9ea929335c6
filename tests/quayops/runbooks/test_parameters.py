import pytest

from quayops.runbooks import ParametersInvalid
from quayops.runbooks.parameters import plan_parameters


def param(name, default='""', type_="str", secret=False):
    return {"name": name, "type": type_, "default": default, "help": "", "secret": secret}


DECLARED = [param("target", '"simulator"'), param("nodes", "3", "int"), param("debug", "False", "bool"),
            param("tags", "[]", "list"), param("first_user_password", secret=True)]


def test_strings_are_coerced_to_the_defaults_type():
    plan = plan_parameters({"nodes": "5", "debug": "yes", "tags": '["a", "b"]'}, DECLARED, target="simulator")
    assert plan.inject == {"nodes": 5, "debug": True, "tags": ["a", "b"], "target": "simulator"}


def test_wrong_type_names_parameter_and_expectation():
    with pytest.raises(ParametersInvalid) as e:
        plan_parameters({"nodes": "many"}, DECLARED, target=None)
    assert e.value.field == "nodes"
    assert e.value.message == "parameter nodes expects int (default 3), got 'many'"


def test_unknown_parameter_is_refused_with_suggestion():
    with pytest.raises(ParametersInvalid) as e:
        plan_parameters({"node": "5"}, DECLARED, target=None)
    assert e.value.message.startswith("unknown parameter(s) node; this runbook takes: target, nodes")
    assert e.value.hint == "Did you mean nodes?"


def test_plain_secret_value_is_refused_without_repeating_it():
    with pytest.raises(ParametersInvalid) as e:
        plan_parameters({"first_user_password": "s3cret-value"}, DECLARED, target=None)
    assert e.value.field == "first_user_password" and "s3cret-value" not in str(e.value)
    assert "env:VARNAME or secret:NAMESPACE/NAME/KEY" in e.value.message


@pytest.mark.parametrize("ref", ["env:QUAY_PW", "secret:quay-enterprise/init-user/password"])
def test_secret_references_are_injected_as_given(ref):
    plan = plan_parameters({"first_user_password": ref}, DECLARED, target=None)
    assert plan.inject == {"first_user_password": ref} and plan.references == {"first_user_password": ref}


def test_secret_defaults_to_quayops_env_var_when_set(monkeypatch):
    monkeypatch.setenv("QUAYOPS_FIRST_USER_PASSWORD", "x" * 12)
    plan = plan_parameters({}, DECLARED, target=None)
    assert plan.inject == {"first_user_password": "env:QUAYOPS_FIRST_USER_PASSWORD"}


def test_runbook_default_for_a_secret_must_be_a_reference():
    with pytest.raises(ParametersInvalid, match="default for secret parameter pw is not a reference"):
        plan_parameters({}, [param("pw", '"password"', secret=True)], target=None)


def test_uri_with_password_in_a_plain_parameter_is_refused():
    with pytest.raises(ParametersInvalid, match="password inside a URI") as e:
        plan_parameters({"target": "postgresql://quay:pw123@db:5432/quay"}, DECLARED, target=None)
    assert "pw123" not in str(e.value)


def test_target_given_twice_is_refused():
    with pytest.raises(ParametersInvalid, match="target given twice"):
        plan_parameters({"target": "prod"}, DECLARED, target="simulator")
