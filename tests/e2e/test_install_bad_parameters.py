"""Bad parameters stop a runbook at the first cell that can tell, say what to change, and create nothing: each
case runs through the runner on the session simulator, and the cluster's objects are compared before and after."""

from __future__ import annotations

import pytest

from quayops.kube.client import Cluster
from quayops.runbooks import run_runbook
from tests.e2e.conftest import snapshot

CASES = {
    "unsupported channel": ("install/02-install-operator", {"channel": "stable-3.9"},
                            "Check the parameters", "Set channel to one of stable-3.4"),
    "image override by tag": ("install/02-install-operator", {"image_overrides": {"quay": "quay.io/projectquay/quay:latest"}},
                              "Check the parameters", "requires @sha256:"),
    "unknown storage driver": ("install/03-configure", {"storage": "ceph", "namespace": "bad-params"},
                               "Build the bundle from the parameters (guide 3)", "Set storage to one of managed"),
    "invalid bundle": ("install/03-configure", {"namespace": "bad-params",
                                                "extra_config": {"DB_URI": "postgresql://quay@db.example.com/quay"}},
                       "Validate in every layer", "config bundle invalid"),
    "password under 8 characters": ("install/05-first-user", {"password": "env:E2E_SHORT_PASSWORD"},
                                    "Check the user before sending anything", "at least 8 characters"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_parameter_stops_at_the_first_cell_that_can_tell_and_changes_nothing(case, chain_sim, tmp_path, env):
    runbook, parameters, step, says = CASES[case]
    env(E2E_SHORT_PASSWORD="short1")
    cluster = Cluster(chain_sim.api_client())
    before = snapshot(cluster)
    record = run_runbook(runbook, parameters=parameters, target="sim", out_dir=tmp_path, progress=False)
    assert (record.outcome, record.exit_status) == ("failed", 1), record.summary()
    assert record.error["step"] == step
    assert says in record.error["evalue"] + record.message
    assert "Go to the failing cell" in (tmp_path / f"{runbook.replace('/', '-')}.html").read_text()
    assert snapshot(cluster) == before
