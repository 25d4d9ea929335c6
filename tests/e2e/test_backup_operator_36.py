"""Guide 11.1.2 step 2 on operator 3.6: quiescing scales the operator, then the quay-app, quay-mirror and clair-app
deployments, to 0 (the replicas overrides do not exist yet), and scaling up puts each back; the backup restores."""

from __future__ import annotations

import base64

import yaml

from quayops.backup import cluster as cl
from quayops.backup.manifest import verify_backup
from quayops.backup.procedures import Access, backup_registry, restore_registry
from quayops.kube.client import Cluster
from quayops.kube.resolve import route_session
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.reconcile import wait_for_registry
from tests.e2e.conftest import started
from tests.simulator.wiring.conftest import MINIMAL_CONFIG

NS, NAME = "quay-36", "registry"


def _replicas(cluster: Cluster, namespace: str, name: str) -> int:
    return cluster.get("apps/v1", "Deployment", name, namespace=namespace)["spec"]["replicas"]


def test_operator_36_is_quiesced_by_scaling_and_scaled_back(tmp_path):
    with started(tmp_path, seed=36, with_operator="3.6.10") as sim:
        cluster = Cluster(sim.api_client())
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        cluster.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "config-bundle", "namespace": NS},
                        "data": {"config.yaml": base64.b64encode(yaml.safe_dump(MINIMAL_CONFIG).encode()).decode()}})
        cluster.create({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": NAME, "namespace": NS},
                        "spec": {"configBundleSecret": "config-bundle"}})
        wait_for_registry(cluster, NAME, namespace=NS, timeout=180, report=None)
        operator = next(d["metadata"]["name"] for d in cluster.list("apps/v1", "Deployment",
                                                                      namespace="openshift-operators")["items"])
        access = Access(session=route_session(kubeconfig=sim.kubeconfig_path), workers=4, progress=False)
        seen: list[str] = []

        result = backup_registry(cluster, NAME, namespace=NS, directory=tmp_path / "b", access=access, timeout=120,
                                 report=seen.append)

        assert result.outputs["quiesce"]["method"] == "scale"
        assert seen[0] == ("quiesce: the operator, then the deployments, scaled to 0; waiting for the quay-app, "
                           "quay-mirror and clair-app pods to go")
        assert _replicas(cluster, "openshift-operators", operator) == 1
        assert {s: _replicas(cluster, NS, f"{NAME}-{s}") for s in cl.SCALED_DEPLOYMENTS} == {
            "quay-app": 2, "quay-mirror": 2, "clair-app": 2}
        assert cl.detect_quiesce_record(cluster.get(API_VERSION, KIND, NAME, namespace=NS)) is None
        assert verify_backup(tmp_path / "b").ok

        restored = restore_registry(cluster, NAME, namespace="quay-36-restored", directory=tmp_path / "b",
                                    access=access, timeout=120, report=None)
        assert restored.outputs["verify"]["rows"] == sum(result.outputs["database"]["tables"].values())
