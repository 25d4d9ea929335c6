"""Label and field selector grammar, as apimachinery parses it."""

from __future__ import annotations

import pytest

from simulator.store.errors import BadRequest
from simulator.store.selectors import match_fields, match_labels, parse_field_selector, parse_label_selector


def obj(**labels):
    return {"metadata": {"labels": labels, "name": "n", "namespace": "ns"}, "status": {"phase": "Running"}}


@pytest.mark.parametrize(("selector", "labels", "expected"), [
    ("app=a", {"app": "a"}, True),
    ("app==a", {"app": "b"}, False),
    ("app!=a", {}, True),
    ("app in (a,b)", {"app": "b"}, True),
    ("app notin (a,b)", {"app": "c"}, True),
    ("app notin (a,b)", {}, True),
    ("app", {"app": ""}, True),
    ("!app", {"app": "x"}, False),
    ("app=a,tier in (web)", {"app": "a", "tier": "web"}, True),
])
def test_label_selectors(selector, labels, expected):
    assert match_labels(parse_label_selector(selector), obj(**labels)) is expected


def test_bad_label_selector_is_a_bad_request():
    with pytest.raises(BadRequest, match="unable to parse requirement"):
        parse_label_selector("app=bad value!")


def test_field_selectors_and_unsupported_fields():
    reqs = parse_field_selector("metadata.name=n,status.phase!=Pending", ("", "pods"))
    assert match_fields(reqs, obj())
    with pytest.raises(BadRequest, match="field label not supported: spec.bogus"):
        parse_field_selector("spec.bogus=x", ("", "pods"))
