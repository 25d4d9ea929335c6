"""Scheduling: guide 8.1 end to end (infra label, NoSchedule taint, project annotations) and the
guide's 8Gi/2000m Quay pod shown not to fit, with the scheduler's own FailedScheduling text."""

from __future__ import annotations

from simulator.profiles import PROFILES
from tests.simulator.controllers.conftest import Cluster, deployment

INFRA = "node-role.kubernetes.io/infra"
PROJECT_ANNOTATIONS = {
    "openshift.io/node-selector": "node-role.kubernetes.io/infra=",
    "scheduler.alpha.kubernetes.io/defaultTolerations":
        '[{"operator": "Exists", "effect": "NoSchedule", "key": "node-role.kubernetes.io/infra"}]',
}


def test_project_annotations_put_every_pod_on_infra_nodes(make_cluster, tmp_path):
    cluster: Cluster = make_cluster()
    workers = [n.metadata.name for n in cluster.core.list_node(label_selector="node-role.kubernetes.io/worker").items]
    assert len(workers) == 6
    infra = workers[3:]
    for name in infra:  # guide 8.1.1: label, then taint, the last three workers
        cluster.kubectl("label", "node", "--overwrite", name, f"{INFRA}=", tmp=tmp_path)
        cluster.kubectl("taint", "nodes", name, f"{INFRA}:NoSchedule", tmp=tmp_path)
    roles = cluster.kubectl("get", "nodes", tmp=tmp_path).stdout
    assert roles.count(" infra,worker ") == 3 and roles.count(" master ") == 3

    project = {"apiVersion": "project.openshift.io/v1", "kind": "Project",
               "metadata": {"name": "quay-registry", "annotations": PROJECT_ANNOTATIONS}}
    cluster.custom.create_cluster_custom_object("project.openshift.io", "v1", "projects", project)
    cluster.apps.create_namespaced_deployment("quay-registry", deployment("example-registry-quay-app", replicas=6))
    other = cluster.namespace()
    cluster.apps.create_namespaced_deployment(other, deployment("user-app", replicas=6))
    cluster.until(lambda: all(p.status.phase == "Running" for ns in ("quay-registry", other)
                              for p in cluster.core.list_namespaced_pod(ns).items))
    placed = {p.spec.node_name for p in cluster.core.list_namespaced_pod("quay-registry").items}
    assert placed == set(infra)  # only infra nodes, spread over all three
    elsewhere = {p.spec.node_name for p in cluster.core.list_namespaced_pod(other).items}
    assert elsewhere == set(workers[:3])  # untolerated infra taint keeps user pods off


def test_quay_sized_pod_that_fits_nowhere_stays_pending_with_the_reason(make_cluster, tmp_path):
    small = PROFILES["openshift"].with_workers(cpu="4", memory="8Gi")
    cluster: Cluster = make_cluster(small)
    ns = cluster.namespace()
    cluster.apps.create_namespaced_deployment(ns, deployment("example-registry-quay-app", replicas=1,
                                                             requests={"cpu": "2000m", "memory": "8Gi"}))
    cluster.settle(5)
    (pod,) = cluster.core.list_namespaced_pod(ns).items
    expected = ("0/9 nodes are available: 3 node(s) had untolerated taint {node-role.kubernetes.io/master: }, "
                "6 Insufficient memory. preemption: 0/9 nodes are available: 3 Preemption is not helpful for "
                "scheduling, 6 No preemption victims found for incoming pod.")
    assert pod.status.phase == "Pending" and pod.spec.node_name is None
    scheduled = next(c for c in pod.status.conditions if c.type == "PodScheduled")
    assert (scheduled.status, scheduled.reason, scheduled.message) == ("False", "Unschedulable", expected)
    (event,) = [e for e in cluster.events(ns, pod.metadata.name) if e.reason == "FailedScheduling"]
    assert (event.type, event.source.component, event.message) == ("Warning", "default-scheduler", expected)
    described = cluster.kubectl("-n", ns, "describe", "pod", pod.metadata.name, tmp=tmp_path).stdout
    assert "FailedScheduling" in described and "6 Insufficient memory" in described

    # a bigger worker pool lets it schedule: node changes retry the waiting pod
    cluster.core.patch_node_status(cluster.core.list_node(label_selector="node-role.kubernetes.io/worker").items[0]
                            .metadata.name, {"status": {"allocatable": {"memory": "32Gi"}}})
    cluster.settle()
    assert cluster.core.list_namespaced_pod(ns).items[0].spec.node_name is not None


def test_node_selector_and_affinity_that_match_nothing(make_cluster):
    cluster: Cluster = make_cluster()
    ns = cluster.namespace()
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "picky"},
           "spec": {"nodeSelector": {"disktype": "ssd"}, "containers": [{"name": "c", "image": "busybox:1.36"}]}}
    cluster.core.create_namespaced_pod(ns, pod)
    cluster.settle()
    (event,) = [e for e in cluster.events(ns, "picky") if e.reason == "FailedScheduling"]
    assert event.message.startswith("0/9 nodes are available: 3 node(s) had untolerated taint "
                                    "{node-role.kubernetes.io/master: }, 6 node(s) didn't match Pod's node "
                                    "affinity/selector.")
