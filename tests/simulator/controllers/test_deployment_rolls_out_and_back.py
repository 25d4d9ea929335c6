"""A Deployment rolls out through a ReplicaSet named by pod-template-hash, updates, and rolls back."""

from __future__ import annotations

from tests.simulator.controllers.conftest import Cluster, deployment


def _conditions(cluster: Cluster, ns: str, name: str) -> dict[str, tuple[str, str, str]]:
    d = cluster.apps.read_namespaced_deployment(name, ns)
    return {c.type: (c.status, c.reason, c.message) for c in d.status.conditions or []}


def _replica_sets(cluster: Cluster, ns: str) -> dict[str, tuple[int, str]]:
    return {rs.metadata.name: (rs.spec.replicas, rs.metadata.annotations["deployment.kubernetes.io/revision"])
            for rs in cluster.apps.list_namespaced_replica_set(ns).items}


def test_rollout_reports_unavailable_then_progressed(cluster: Cluster):
    ns = cluster.namespace()
    cluster.apps.create_namespaced_deployment(ns, deployment("web", replicas=3))
    cluster.settle()
    (rs,) = cluster.apps.list_namespaced_replica_set(ns).items
    pod_hash = rs.metadata.labels["pod-template-hash"]
    assert rs.metadata.name == f"web-{pod_hash}" and rs.spec.selector.match_labels["pod-template-hash"] == pod_hash
    assert _conditions(cluster, ns, "web")["Available"] == (
        "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
    pods = cluster.core.list_namespaced_pod(ns).items
    assert len(pods) == 3 and all(p.metadata.labels["pod-template-hash"] == pod_hash for p in pods)
    assert {p.status.container_statuses[0].state.waiting.reason for p in pods} == {"ContainerCreating"}

    cluster.until(lambda: cluster.apps.read_namespaced_deployment("web", ns).status.available_replicas == 3)
    status = cluster.apps.read_namespaced_deployment("web", ns).status
    assert (status.replicas, status.ready_replicas, status.updated_replicas, status.observed_generation) == (3, 3, 3, 1)
    assert _conditions(cluster, ns, "web") == {
        "Available": ("True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
        "Progressing": ("True", "NewReplicaSetAvailable", f'ReplicaSet "{rs.metadata.name}" has successfully progressed.'),
    }
    for pod in cluster.core.list_namespaced_pod(ns).items:
        assert pod.status.phase == "Running" and pod.status.pod_ip and pod.spec.node_name.startswith("sim-worker")
        assert pod.status.container_statuses[0].ready and pod.status.container_statuses[0].restart_count == 0
    scaled = [e.message for e in cluster.events(ns, "web") if e.reason == "ScalingReplicaSet"]
    assert scaled == [f"Scaled up replica set {rs.metadata.name} to 3"]


def test_template_change_rolls_forward_and_restoring_it_rolls_back(cluster: Cluster):
    ns = cluster.namespace()
    cluster.apps.create_namespaced_deployment(ns, deployment("web", replicas=2))
    cluster.until(lambda: cluster.apps.read_namespaced_deployment("web", ns).status.available_replicas == 2)
    (first,) = _replica_sets(cluster, ns)

    image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}}}}
    cluster.apps.patch_namespaced_deployment("web", ns, image)
    cluster.until(lambda: _conditions(cluster, ns, "web")["Progressing"][1] == "NewReplicaSetAvailable"
                  and cluster.apps.read_namespaced_deployment("web", ns).status.updated_replicas == 2)
    sets = _replica_sets(cluster, ns)
    (second,) = set(sets) - {first}
    assert sets == {first: (0, "1"), second: (2, "2")}
    assert {p.spec.containers[0].image for p in cluster.core.list_namespaced_pod(ns).items} == {"nginx:1.26"}

    back = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]}}}}
    cluster.apps.patch_namespaced_deployment("web", ns, back)
    cluster.until(lambda: _replica_sets(cluster, ns).get(first, (0,))[0] == 2
                  and cluster.apps.read_namespaced_deployment("web", ns).status.available_replicas == 2
                  and _conditions(cluster, ns, "web")["Progressing"][1] == "NewReplicaSetAvailable")
    assert _replica_sets(cluster, ns) == {first: (2, "3"), second: (0, "2")}
    d = cluster.apps.read_namespaced_deployment("web", ns)
    assert d.metadata.annotations["deployment.kubernetes.io/revision"] == "3"


def test_kubectl_rollout_undo_and_status(cluster: Cluster, tmp_path):
    ns = cluster.namespace()
    cluster.apps.create_namespaced_deployment(ns, deployment("api", replicas=1))
    cluster.until(lambda: cluster.apps.read_namespaced_deployment("api", ns).status.available_replicas == 1)
    cluster.kubectl("-n", ns, "set", "image", "deployment/api", "app=nginx:1.27", tmp=tmp_path)
    cluster.until(lambda: cluster.apps.read_namespaced_deployment("api", ns).status.updated_replicas == 1
                  and _conditions(cluster, ns, "api")["Progressing"][1] == "NewReplicaSetAvailable")
    out = cluster.kubectl("-n", ns, "rollout", "status", "deployment/api", "--timeout=5s", tmp=tmp_path).stdout
    assert 'deployment "api" successfully rolled out' in out
    cluster.kubectl("-n", ns, "rollout", "undo", "deployment/api", tmp=tmp_path)
    cluster.until(lambda: cluster.apps.read_namespaced_deployment("api", ns).status.updated_replicas == 1
                  and _conditions(cluster, ns, "api")["Progressing"][1] == "NewReplicaSetAvailable")
    d = cluster.apps.read_namespaced_deployment("api", ns)
    assert d.spec.template.spec.containers[0].image == "nginx:1.25"
