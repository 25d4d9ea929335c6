"""The planner against every path the guide states (12.2), downgrades, z-streams and garbage."""

import pytest

from quayops.model.versions import VersionInvalid
from quayops.upgrade.planning import UpgradeRefused, plan_upgrade


def path(a, b):
    return [str(v) for v in plan_upgrade(a, b).path]


@pytest.mark.parametrize("source,target,expected", [
    # the documented chain, one minor at a time
    ("3.0.5", "3.1.3", ["3.0.5", "3.1.3"]),
    ("3.1.3", "3.2.2", ["3.1.3", "3.2.2"]),
    ("3.2.2", "3.3.4", ["3.2.2", "3.3.4"]),
    ("3.3.4", "3.4", ["3.3.4", "3.4"]),
    ("3.4.2", "3.5", ["3.4.2", "3.5"]),
    ("3.0.5", "3.5", ["3.0.5", "3.1.3", "3.2.2", "3.3.4", "3.4.7", "3.5"]),
    # the listed direct hops (N-2, N-3)
    ("3.3.4", "3.6", ["3.3.4", "3.6"]),
    ("3.4.7", "3.6.10", ["3.4.7", "3.6.10"]),
    ("3.4.1", "3.7", ["3.4.1", "3.7"]),
    ("3.5.7", "3.7.14", ["3.5.7", "3.7.14"]),
    # N-1 in general
    ("3.5.7", "3.6", ["3.5.7", "3.6"]),
    ("3.6.10", "3.7", ["3.6.10", "3.7"]),
])
def test_guide_paths(source, target, expected):
    assert path(source, target) == expected


def test_chain_needs_the_pinned_z_stream_first():
    assert path("3.0.2", "3.1") == ["3.0.2", "3.0.5", "3.1.3"]


def test_ties_prefer_the_documented_chain_and_list_alternatives():
    plan = plan_upgrade("3.3.4", "3.7")
    assert [str(v) for v in plan.path] == ["3.3.4", "3.4.7", "3.7"]
    assert [[str(v) for v in p] for p in plan.alternatives] == [["3.3.4", "3.6.10", "3.7"]]
    assert plan.to_dict() == {"from": "3.3.4", "to": "3.7", "path": ["3.3.4", "3.4.7", "3.7"], "hops": 2}


def test_z_stream_update_and_rollback_within_a_minor():
    assert path("3.7.10", "3.7.14") == ["3.7.10", "3.7.14"]
    assert path("3.7.14", "3.7.10") == ["3.7.14", "3.7.10"]
    assert plan_upgrade("3.7.14", "3.7.14").hops == 0
    assert plan_upgrade("3.7.14", "3.7").hops == 0


@pytest.mark.parametrize("source,target", [("3.7.14", "3.6.10"), ("3.5", "3.4"), ("v3.7", "3.0.5")])
def test_downgrades_across_minors_are_refused(source, target):
    with pytest.raises(UpgradeRefused, match="is a downgrade"):
        plan_upgrade(source, target)


def test_unknown_release_is_refused_naming_the_flag():
    with pytest.raises(UpgradeRefused) as e:
        plan_upgrade("3.7", "3.9")
    assert e.value.field == "--to" and "not a Quay release quayops knows" in str(e.value)


def test_garbage_is_refused():
    with pytest.raises(VersionInvalid):
        plan_upgrade("latest", "3.7")
