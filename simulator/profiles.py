"""Cluster profiles: the nodes, namespaces and platform objects a fresh cluster starts with.

`openshift` is a fresh OpenShift 4.x cluster like the guide's (8.1.1: 3 masters, 6 workers) with
OpenShift Data Foundation's NooBaa; `kubernetes` is a plain cluster without OpenShift APIs.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from simulator.olm_catalog import catalog_source
from simulator.store import Store
from simulator.store.errors import AlreadyExists

KUBELET_VERSION = "v1.36.0"
NOOBAA_NAMESPACE = "openshift-storage"
OBC_STORAGE_CLASS = "openshift-storage.noobaa.io"
OBC_PROVISIONER = "openshift-storage.noobaa.io/obc"


_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60, "n": 1e-9, "u": 1e-6,
           "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|)$")


@lru_cache(maxsize=4096)
def quantity(text: str | float) -> float:
    """A Kubernetes quantity (`2000m`, `8Gi`, `1.5`, `1e3`) as a float of base units (apimachinery `resource`)."""
    m = _QUANTITY.match(str(text).strip())
    if m is None:
        raise ValueError(f"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text!r}")
    return float(m.group(1)) * _SUFFIX[m.group(2)]


@dataclass(frozen=True)
class NodePool:
    """Nodes of one role and size; allocatable = capacity minus OpenShift's system-reserved defaults."""

    role: str
    count: int
    cpu: str
    memory: str
    labels: tuple[tuple[str, str], ...] = ()
    taints: tuple[tuple[str, str, str], ...] = ()  # (key, value, effect)
    reserved_cpu: str = "500m"
    reserved_memory: str = "1Gi"
    eviction_memory: str = "100Mi"

    def allocatable(self) -> dict[str, str]:
        cpu_m = int(quantity(self.cpu) * 1000 - quantity(self.reserved_cpu) * 1000)
        mem_ki = int((quantity(self.memory) - quantity(self.reserved_memory) - quantity(self.eviction_memory)) / 1024)
        return {"cpu": f"{cpu_m}m", "memory": f"{mem_ki}Ki", "pods": "250", "ephemeral-storage": "115470533646"}

    def capacity(self) -> dict[str, str]:
        mem_ki = int(quantity(self.memory) / 1024)
        return {"cpu": self.cpu, "memory": f"{mem_ki}Ki", "pods": "250", "ephemeral-storage": "125293548Ki"}


@dataclass(frozen=True)
class StorageClassSpec:
    name: str
    provisioner: str
    default: bool = False
    expandable: bool = True
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ClusterProfile:
    """The shape of one simulated cluster; `bootstrap(store)` creates it (again after a reset)."""

    name: str
    platform: str
    cluster_name: str
    pools: tuple[NodePool, ...]
    apps_domain: str
    namespaces: tuple[str, ...] = ()
    storage_classes: tuple[StorageClassSpec, ...] = ()
    with_noobaa: bool = False
    without: tuple[str, ...] = ()  # optional APIs the cluster lacks (`quayops.kube.kinds.OPTIONAL_APIS`)
    # further bootstrap steps (the OLM catalog joins here)
    extra: tuple[Callable[[Store, ClusterProfile], None], ...] = field(default=(), compare=False)

    @property
    def router_hostname(self) -> str:
        """`status.ingress[].routerCanonicalHostname` of the default IngressController."""
        return f"router-default.{self.apps_domain}"

    def with_workers(self, *, count: int | None = None, cpu: str | None = None,
                     memory: str | None = None) -> ClusterProfile:
        """The same cluster with its worker pool resized (the guide's 8Gi/2000m shown not to fit, …)."""
        pools = tuple(replace(p, count=p.count if count is None else count, cpu=cpu or p.cpu,
                              memory=memory or p.memory) if p.role == "worker" else p for p in self.pools)
        return replace(self, pools=pools)

    def lacking(self, apis: Iterable[str]) -> ClusterProfile:
        """The same cluster without these optional APIs; without bucket claims there is no NooBaa either."""
        without = tuple(sorted({*self.without, *apis}))
        if "objectbucketclaims" not in without:
            return replace(self, without=without)
        return replace(self, without=without, with_noobaa=False, storage_classes=tuple(
            sc for sc in self.storage_classes if sc.provisioner != OBC_PROVISIONER))

    def node_names(self) -> list[str]:
        return [name for pool in self.pools for name, _ in _pool_nodes(self, pool)]

    def bootstrap(self, store: Store) -> None:
        """Create this profile's nodes, namespaces and platform objects in `store` (idempotent)."""
        for ns in self.namespaces:
            _ensure(store, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for i, pool in enumerate(self.pools):
            for j, (name, zone) in enumerate(_pool_nodes(self, pool)):
                _ensure(store, _node(self, pool, name, zone=zone, ip=f"10.0.{i}.{10 + j}", now=store.now()))
        for sc in self.storage_classes:
            meta: dict[str, Any] = {"name": sc.name}
            if sc.default:
                meta["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
            _ensure(store, {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": meta,
                            "provisioner": sc.provisioner, "reclaimPolicy": "Delete",
                            "volumeBindingMode": "Immediate", "allowVolumeExpansion": sc.expandable,
                            **({"parameters": dict(sc.parameters)} if sc.parameters else {})})
        if self.platform == "openshift":
            _ensure(store, {"apiVersion": "operators.coreos.com/v1", "kind": "OperatorGroup",
                            "metadata": {"name": "global-operators", "namespace": "openshift-operators"},
                            "spec": {}, "status": {"namespaces": [""], "lastUpdated": store.now()}})
            _ensure(store, catalog_source(store.now()))
        if self.with_noobaa:
            _bootstrap_noobaa(store, self)
        for hook in self.extra:
            hook(store, self)


def _pool_nodes(profile: ClusterProfile, pool: NodePool) -> list[tuple[str, str]]:
    """(name, zone) per node: control-plane nodes by index, workers spread over zones b, c, d."""
    if pool.role in ("master", "control-plane"):
        return [(f"{profile.cluster_name}-{pool.role}-{i}", "b") for i in range(pool.count)]
    zones = "bcd"
    return [(f"{profile.cluster_name}-{pool.role}-{zones[i % 3]}-{i}", zones[i % 3]) for i in range(pool.count)]


def _ensure(store: Store, obj: dict[str, Any]) -> None:
    """Create `obj` unless it exists; its `status` is written through the status subresource after."""
    kind = store.kind(obj["apiVersion"], obj["kind"])
    meta = obj["metadata"]
    status = obj.pop("status", None) if "status" in kind.subresources else None
    try:
        created = store.create(kind, obj, field_manager="cluster-bootstrap")
    except AlreadyExists:
        return
    if status is not None:
        store.update(kind, {**created, "status": status}, namespace=meta.get("namespace"),
                     subresource="status", field_manager="cluster-bootstrap")


def _node(profile: ClusterProfile, pool: NodePool, name: str, *, zone: str, ip: str, now: str) -> dict[str, Any]:
    labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
              "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
              f"node-role.kubernetes.io/{pool.role}": "",
              "topology.kubernetes.io/region": "us-east1",
              "topology.kubernetes.io/zone": f"us-east1-{zone}",
              **dict(pool.labels)}
    if profile.platform == "openshift":
        labels["node.openshift.io/os_id"] = "rhcos"
    taints = [{"key": k, "effect": e, **({"value": v} if v else {})} for k, v, e in pool.taints]
    conditions = [
        {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
         "message": "kubelet has sufficient memory available"},
        {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure",
         "message": "kubelet has no disk pressure"},
        {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID",
         "message": "kubelet has sufficient PID available"},
        {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"},
    ]
    return {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
        "spec": {"providerID": f"simulator://{profile.cluster_name}/{name}", **({"taints": taints} if taints else {})},
        "status": {"capacity": pool.capacity(), "allocatable": pool.allocatable(),
                   "conditions": [{**c, "lastHeartbeatTime": now, "lastTransitionTime": now} for c in conditions],
                   "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                   "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": KUBELET_VERSION,
                                "kubeProxyVersion": "", "bootID": _node_uuid(name, "boot"),
                                "machineID": _node_uuid(name, "machine").replace("-", ""),
                                "systemUUID": _node_uuid(name, "system"),
                                "containerRuntimeVersion": "cri-o://1.36.0", "kernelVersion": "5.14.0",
                                "osImage": "Red Hat Enterprise Linux CoreOS" if profile.platform == "openshift"
                                else "Ubuntu 24.04 LTS"}},
    }


def _node_uuid(node: str, what: str) -> str:
    """A stable uuid per node (the same names give the same ids, run after run)."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"{node}/{what}".encode()).digest()[:16], version=4))


def _bootstrap_noobaa(store: Store, profile: ClusterProfile) -> None:
    ns = NOOBAA_NAMESPACE
    _ensure(store, {"apiVersion": "noobaa.io/v1alpha1", "kind": "NooBaa",
                    "metadata": {"name": "noobaa", "namespace": ns, "labels": {"app": "noobaa"}}, "spec": {},
                    "status": {"phase": "Ready", "services": {"serviceS3": {"internalDNS": [f"https://s3.{ns}.svc:443"],
                                                                 "externalDNS": [f"https://s3-{ns}.{profile.apps_domain}"]}}}})
    _ensure(store, {"apiVersion": "noobaa.io/v1alpha1", "kind": "BucketClass",
                    "metadata": {"name": "noobaa-default-bucket-class", "namespace": ns, "labels": {"app": "noobaa"}},
                    "spec": {"placementPolicy": {"tiers": [{"backingStores": ["noobaa-default-backing-store"]}]}},
                    "status": {"phase": "Ready"}})
    _ensure(store, {"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": "s3", "namespace": ns, "labels": {"app": "noobaa"}},
                    "spec": {"selector": {"noobaa-s3": "noobaa"},
                             "ports": [{"name": "s3", "port": 80, "targetPort": 6001},
                                       {"name": "s3-https", "port": 443, "targetPort": 6443}]}})
    if store.resources.by_gvk("route.openshift.io/v1", "Route") is None:
        return  # a cluster without the Route API (`--without routes`)
    _ensure(store, {"apiVersion": "route.openshift.io/v1", "kind": "Route",
                    "metadata": {"name": "s3", "namespace": ns, "labels": {"app": "noobaa"}},
                    "spec": {"to": {"kind": "Service", "name": "s3", "weight": 100},
                             "port": {"targetPort": "s3-https"},
                             "tls": {"termination": "reencrypt", "insecureEdgeTerminationPolicy": "Allow"},
                             "wildcardPolicy": "None"}})


_MASTER_TAINT = (("node-role.kubernetes.io/master", "", "NoSchedule"),)

PROFILES: dict[str, ClusterProfile] = {
    "openshift": ClusterProfile(
        name="openshift", platform="openshift", cluster_name="sim",
        pools=(NodePool("master", 3, "8", "32Gi", taints=_MASTER_TAINT),
               NodePool("worker", 6, "8", "32Gi")),
        apps_domain="apps.sim.example.com",
        namespaces=("openshift-operators", "openshift-marketplace", "openshift-monitoring",
                    "openshift-user-workload-monitoring", "openshift-config-managed", "openshift-config",
                    "openshift-ingress", NOOBAA_NAMESPACE),
        storage_classes=(StorageClassSpec("standard-csi", "pd.csi.storage.gke.io", default=True),
                         StorageClassSpec("ocs-storagecluster-ceph-rbd", "openshift-storage.rbd.csi.ceph.com"),
                         StorageClassSpec("ocs-storagecluster-cephfs", "openshift-storage.cephfs.csi.ceph.com"),
                         StorageClassSpec(OBC_STORAGE_CLASS, OBC_PROVISIONER, expandable=False,
                                          parameters=(("bucketclass", "noobaa-default-bucket-class"),))),
        with_noobaa=True,
    ),
    "kubernetes": ClusterProfile(
        name="kubernetes", platform="kubernetes", cluster_name="sim",
        pools=(NodePool("control-plane", 1, "4", "16Gi",
                        taints=(("node-role.kubernetes.io/control-plane", "", "NoSchedule"),)),
               NodePool("worker", 3, "8", "32Gi")),
        apps_domain="apps.sim.example.com",
        storage_classes=(StorageClassSpec("standard", "rancher.io/local-path", default=True, expandable=False),),
    ),
}


def profile_for(platform: str) -> ClusterProfile:
    """The default profile of a platform (`openshift` or `kubernetes`)."""
    try:
        return PROFILES[platform]
    except KeyError:
        raise ValueError(f"unknown cluster profile {platform!r}: expected one of {', '.join(PROFILES)}") from None
