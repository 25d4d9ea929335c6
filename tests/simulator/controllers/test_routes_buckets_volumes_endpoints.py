"""Routes are admitted with generated hosts, bucket claims bind through the NooBaa-like provisioner,
PVCs bind and grow when their class allows it, and Endpoints follow ready pods."""

from __future__ import annotations

import base64

from kubernetes import client

from simulator.controllers.bucketclaims import Bucket
from tests.simulator.controllers.conftest import Cluster, deployment

ROUTES = ("route.openshift.io", "v1", "routes")
OBCS = ("objectbucket.io", "v1alpha1", "objectbucketclaims")


def test_route_without_host_is_admitted_with_a_generated_one(cluster: Cluster):
    ns = cluster.namespace()
    route = {"apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": {"name": "example-registry-quay"},
             "spec": {"to": {"kind": "Service", "name": "example-registry-quay-app"},
                      "tls": {"termination": "passthrough", "insecureEdgeTerminationPolicy": "Redirect"}}}
    cluster.custom.create_namespaced_custom_object(*ROUTES[:2], ns, ROUTES[2], route)
    cluster.settle(1)
    got = cluster.custom.get_namespaced_custom_object(*ROUTES[:2], ns, ROUTES[2], "example-registry-quay")
    host = f"example-registry-quay-{ns}.apps.sim.example.com"
    assert got["spec"]["host"] == host and got["spec"]["tls"]["termination"] == "passthrough"
    (ingress,) = got["status"]["ingress"]
    assert ingress["host"] == host and ingress["routerName"] == "default"
    assert ingress["routerCanonicalHostname"] == "router-default.apps.sim.example.com"
    assert [(c["type"], c["status"]) for c in ingress["conditions"]] == [("Admitted", "True")]


def test_noobaa_s3_route_is_admitted_at_start(cluster: Cluster):
    cluster.settle(1)
    s3 = cluster.custom.get_namespaced_custom_object(*ROUTES[:2], "openshift-storage", ROUTES[2], "s3")
    assert s3["status"]["ingress"][0]["host"] == "s3-openshift-storage.apps.sim.example.com"


def test_bucket_claim_binds_with_secret_and_configmap(cluster: Cluster):
    ns = cluster.namespace()
    obc = {"apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim",
           "metadata": {"name": "example-registry-quay-datastore"},
           "spec": {"generateBucketName": "quay-datastore", "storageClassName": "openshift-storage.noobaa.io",
                    "additionalConfig": {"bucketclass": "noobaa-default-bucket-class"}}}
    cluster.custom.create_namespaced_custom_object(*OBCS[:2], ns, OBCS[2], obc)
    cluster.settle(1)
    got = cluster.custom.get_namespaced_custom_object(*OBCS[:2], ns, OBCS[2], "example-registry-quay-datastore")
    assert got["status"]["phase"] == "Bound" and got["spec"]["bucketName"].startswith("quay-datastore-")
    assert got["spec"]["objectBucketName"] == f"obc-{ns}-example-registry-quay-datastore"
    (secret,) = cluster.core.list_namespaced_secret(ns, label_selector="app=noobaa").items
    (config,) = cluster.core.list_namespaced_config_map(ns, label_selector="app=noobaa").items
    assert secret.metadata.name == config.metadata.name == "example-registry-quay-datastore"
    assert len(base64.b64decode(secret.data["AWS_ACCESS_KEY_ID"])) == 20
    assert len(base64.b64decode(secret.data["AWS_SECRET_ACCESS_KEY"])) == 40
    assert config.data["BUCKET_NAME"] == got["spec"]["bucketName"]
    assert (config.data["BUCKET_HOST"], config.data["BUCKET_PORT"]) == ("s3.openshift-storage.svc", "443")

    cluster.custom.delete_namespaced_custom_object(*OBCS[:2], ns, OBCS[2], "example-registry-quay-datastore")
    cluster.settle()
    assert cluster.core.list_namespaced_secret(ns, label_selector="app=noobaa").items == []
    assert cluster.custom.list_namespaced_custom_object(*OBCS[:2], ns, OBCS[2])["items"] == []


class RecordingBuckets:
    def __init__(self) -> None:
        self.created: list[str] = []
        self.deleted: list[str] = []

    def create_bucket(self, name: str, *, namespace: str, claim: str) -> Bucket:
        self.created.append(name)
        return Bucket(name, "127.0.0.1", 8333, "AKIDEXAMPLE", "secret")

    def delete_bucket(self, name: str) -> None:
        self.deleted.append(name)


def test_a_given_bucket_provisioner_makes_the_bucket(make_cluster):
    buckets = RecordingBuckets()
    cluster: Cluster = make_cluster(bucket_provisioner=buckets)
    ns = cluster.namespace()
    obc = {"apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim", "metadata": {"name": "b"},
           "spec": {"bucketName": "exact", "storageClassName": "openshift-storage.noobaa.io"}}
    cluster.custom.create_namespaced_custom_object(*OBCS[:2], ns, OBCS[2], obc)
    cluster.settle(1)
    assert cluster.core.read_namespaced_config_map("b", ns).data["BUCKET_PORT"] == "8333"
    cluster.custom.delete_namespaced_custom_object(*OBCS[:2], ns, OBCS[2], "b")
    cluster.settle()
    assert (buckets.created, buckets.deleted) == (["exact"], ["exact"])


def test_pvc_binds_and_expands_when_the_class_allows(cluster: Cluster):
    ns = cluster.namespace()
    claim = {"metadata": {"name": "example-registry-quay-database"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}}}}
    cluster.core.create_namespaced_persistent_volume_claim(ns, claim)
    cluster.settle(1)
    pvc = cluster.core.read_namespaced_persistent_volume_claim("example-registry-quay-database", ns)
    assert pvc.status.phase == "Bound" and pvc.spec.volume_name == f"pvc-{pvc.metadata.uid}"
    pv = cluster.core.read_persistent_volume(pvc.spec.volume_name)
    assert pv.status.phase == "Bound" and pv.spec.storage_class_name == "standard-csi"
    assert pv.spec.claim_ref.name == "example-registry-quay-database"
    cluster.core.patch_namespaced_persistent_volume_claim(
        "example-registry-quay-database", ns, {"spec": {"resources": {"requests": {"storage": "100Gi"}}}})
    cluster.settle(1)
    pvc = cluster.core.read_namespaced_persistent_volume_claim("example-registry-quay-database", ns)
    assert pvc.status.capacity["storage"] == "100Gi"
    assert cluster.core.read_persistent_volume(pvc.spec.volume_name).spec.capacity["storage"] == "100Gi"
    cluster.core.delete_namespaced_persistent_volume_claim("example-registry-quay-database", ns)
    cluster.settle()
    assert not [v for v in cluster.core.list_persistent_volume().items if v.metadata.name == pvc.spec.volume_name]


def test_pvc_of_a_fixed_size_class_does_not_grow(cluster: Cluster):
    ns = cluster.namespace()
    client.StorageV1Api(cluster.api).create_storage_class({
        "metadata": {"name": f"fixed-{ns}"}, "provisioner": "example.com/fixed", "allowVolumeExpansion": False})
    claim = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": f"fixed-{ns}",
                                                    "resources": {"requests": {"storage": "1Gi"}}}}
    cluster.core.create_namespaced_persistent_volume_claim(ns, claim)
    cluster.settle(1)
    cluster.core.patch_namespaced_persistent_volume_claim("data", ns, {"spec": {"resources": {"requests": {
        "storage": "2Gi"}}}})
    cluster.settle(1)
    assert cluster.core.read_namespaced_persistent_volume_claim("data", ns).status.capacity["storage"] == "1Gi"
    assert "VolumeResizeFailed" in [e.reason for e in cluster.events(ns, "data")]


def test_endpoints_list_ready_pods(cluster: Cluster):
    ns = cluster.namespace()
    cluster.core.create_namespaced_service(ns, {"metadata": {"name": "web"}, "spec": {
        "selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})
    cluster.apps.create_namespaced_deployment(ns, deployment("web", replicas=2))
    cluster.settle()
    ep = cluster.core.read_namespaced_endpoints("web", ns)
    assert not ep.subsets or not ep.subsets[0].addresses  # created, not ready yet
    cluster.until(lambda: (s := cluster.core.read_namespaced_endpoints("web", ns).subsets)
                  and len(s[0].addresses or []) == 2)
    (subset,) = cluster.core.read_namespaced_endpoints("web", ns).subsets
    ips = {p.status.pod_ip for p in cluster.core.list_namespaced_pod(ns).items}
    assert {a.ip for a in subset.addresses} == ips and [(p.name, p.port) for p in subset.ports] == [("http", 8080)]
