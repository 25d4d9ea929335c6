"""What people watch with stock kubectl: `get pods -w` during a rollout, `describe pod` with its
Events, and `get events`."""

from __future__ import annotations

import queue
import subprocess
import threading

from tests.simulator.controllers.conftest import KUBECTL, Cluster, deployment


def test_get_pods_watch_shows_the_rollout(cluster: Cluster, tmp_path):
    ns = cluster.namespace()
    cluster.apps.create_namespaced_deployment(ns, deployment("web", replicas=2))
    cluster.settle()
    proc = subprocess.Popen([str(KUBECTL), "get", "pods", "-n", ns, "-w"], env=cluster.kubectl_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        seen = [lines.get(timeout=30)]
        assert seen[0].split()[:3] == ["NAME", "READY", "STATUS"]
        cluster.until(lambda: cluster.apps.read_namespaced_deployment("web", ns).status.ready_replicas == 2)
        while sum(" 1/1 " in line and " Running " in line for line in seen) < 2:
            seen.append(lines.get(timeout=30))
    finally:
        proc.terminate()
        proc.wait(10)
    statuses = [line.split()[2] for line in seen[1:]]
    assert statuses[:2] == ["ContainerCreating", "ContainerCreating"] and statuses.count("Running") >= 2


def test_describe_pod_and_get_events_show_what_happened(cluster: Cluster, tmp_path):
    ns = cluster.namespace()
    cluster.apps.create_namespaced_deployment(ns, deployment("web", replicas=1))
    cluster.until(lambda: cluster.apps.read_namespaced_deployment("web", ns).status.ready_replicas == 1)
    (pod,) = cluster.core.list_namespaced_pod(ns).items
    described = cluster.kubectl("-n", ns, "describe", "pod", pod.metadata.name, tmp=tmp_path).stdout
    events = described.split("Events:")[1]
    for reason, source in (("Scheduled", "default-scheduler"), ("Pulling", "kubelet"), ("Pulled", "kubelet"),
                           ("Created", "kubelet"), ("Started", "kubelet")):
        assert any(reason in line and source in line for line in events.splitlines()), (reason, events)
    assert f"Successfully assigned {ns}/{pod.metadata.name} to {pod.spec.node_name}" in events
    listed = cluster.kubectl("-n", ns, "get", "events", tmp=tmp_path).stdout
    assert "ScalingReplicaSet" in listed and "SuccessfulCreate" in listed and "Started" in listed


def test_crash_loop_knob_restarts_with_backoff(cluster: Cluster, tmp_path):
    ns = cluster.namespace()
    knob = {"simulator.quayops.dev/crash-loop": "true"}
    cluster.apps.create_namespaced_deployment(ns, deployment("crashy", replicas=1, annotations=knob))
    cluster.settle(30)
    (pod,) = cluster.core.list_namespaced_pod(ns).items
    status = pod.status.container_statuses[0]
    assert status.restart_count >= 3 and status.last_state.terminated.exit_code == 1
    row = cluster.kubectl("-n", ns, "get", "pods", "--no-headers", tmp=tmp_path).stdout.split()
    assert row[2] in ("CrashLoopBackOff", "Running")
    assert "BackOff" in [e.reason for e in cluster.events(ns, pod.metadata.name)]
    cluster.apps.patch_namespaced_deployment("crashy", ns, {"metadata": {"annotations": {
        "simulator.quayops.dev/crash-loop": None}}})
    # the kubelet reads knobs when its pod changes (a fault API pokes it the same way)
    cluster.core.patch_namespaced_pod(pod.metadata.name, ns, {"metadata": {"labels": {"poke": "1"}}})
    cluster.settle(60)
    healed = cluster.core.read_namespaced_pod(pod.metadata.name, ns).status.container_statuses[0]
    assert healed.ready and healed.state.running and healed.restart_count >= status.restart_count
