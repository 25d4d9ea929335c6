"""Preflight checks from literal cluster facts: pass, warn and fail, each with its fix."""

from __future__ import annotations

import pytest

from quayops.errors import PreconditionFailed
from quayops.install.preflight import ClusterFacts, check_install, preflight_table, require_preflight

OPENSHIFT_APIS = {"route.openshift.io/v1": {"Route"}, "objectbucket.io/v1alpha1": {"ObjectBucketClaim"},
                  "monitoring.coreos.com/v1": {"ServiceMonitor", "PrometheusRule"},
                  "operators.coreos.com/v1alpha1": {"Subscription"}}


def node(name: str, cpu: str = "8", memory: str = "32Gi", *, taint: str | None = None) -> dict:
    return {"metadata": {"name": name, "labels": {}},
            "spec": {"taints": [{"key": taint, "effect": "NoSchedule"}]} if taint else {},
            "status": {"allocatable": {"cpu": cpu, "memory": memory},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def facts(**kw) -> ClusterFacts:
    base = {"kubernetes": (1, 25), "git_version": "v1.25.0", "served": OPENSHIFT_APIS,
            "nodes": [node("w1"), node("w2"), node("m1", taint="node-role.kubernetes.io/master")]}
    return ClusterFacts(**{**base, **kw})


def results(checks) -> dict[str, str]:
    return {c.check: c.result for c in checks}


def test_a_cluster_like_the_guides_passes_every_check():
    assert set(results(check_install(facts())).values()) == {"pass"}


def test_openshift_before_4_5_fails_with_the_fix():
    check = next(c for c in check_install(facts(kubernetes=(1, 17))) if c.check == "cluster version")
    assert (check.result, check.found, check.fix) == ("fail", "OpenShift 4.4 (Kubernetes v1.25.0)",
                                                      "upgrade the cluster to OpenShift 4.5 or later")


def test_capacity_counts_pods_of_2000m_and_8gi_minus_what_is_requested():
    small = facts(nodes=[node("w1", cpu="3", memory="16Gi")], requested={"w1": (500, 0)})
    check = next(c for c in check_install(small) if c.check == "room for Quay pods")
    assert (check.result, check.found) == ("fail", "1 quay-app pods fit on 1 schedulable nodes")


def test_without_bucket_claims_managed_storage_fails_and_unmanaged_passes():
    served = {k: v for k, v in OPENSHIFT_APIS.items() if k != "objectbucket.io/v1alpha1"}
    assert results(check_install(facts(served=served)))["ObjectBucketClaim API"] == "fail"
    assert results(check_install(facts(served=served), objectstorage_managed=False))["ObjectBucketClaim API"] == "pass"


def test_missing_monitoring_apis_warn():
    served = {k: v for k, v in OPENSHIFT_APIS.items() if k != "monitoring.coreos.com/v1"}
    assert results(check_install(facts(served=served)))["Prometheus-operator APIs"] == "warn"


def test_infra_nodes_must_exist_and_hold_the_pods():
    checks = results(check_install(facts(), infra_nodes=["w1", "w9"]))
    assert (checks["infra nodes"], checks["room for Quay pods"]) == ("fail", "pass")


def test_require_preflight_names_each_failure_and_its_fix():
    table = preflight_table(check_install(facts(can_create_namespaces=False, forbidden_reason="forbidden")))
    with pytest.raises(PreconditionFailed, match=r"create namespaces: forbidden .* log in as a cluster administrator"):
        require_preflight(table)
