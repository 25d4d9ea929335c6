"""Every kind quayops touches, as data: group, version, plural, scope, subresources and verbs.

The simulator's discovery and URL routing read this table; so do the library's clients. Pure data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from quayops.kube import crds

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

# Groups only an OpenShift cluster (with OLM, NooBaa and the Prometheus operator) serves.
OPENSHIFT_ONLY_GROUPS = frozenset(
    {
        "route.openshift.io",
        "project.openshift.io",
        "objectbucket.io",
        "monitoring.coreos.com",
        "operators.coreos.com",
        "noobaa.io",
    }
)
PLATFORMS = ("openshift", "kubernetes")
# APIs an OpenShift cluster may lack (`quayops sim serve --without …`): the groups each name stands for.
OPTIONAL_APIS: Mapping[str, frozenset[str]] = MappingProxyType({
    "routes": frozenset({"route.openshift.io"}),
    "objectbucketclaims": frozenset({"objectbucket.io", "noobaa.io"}),
    "monitoring": frozenset({"monitoring.coreos.com"}),
})


@dataclass(frozen=True)
class Subresource:
    """What discovery says of `<plural>/<name>`: its verbs, and the kind it takes when not the parent's."""

    verbs: tuple[str, ...]
    kind: str | None = None
    group: str | None = None
    version: str | None = None


# As kube-apiserver lists them in its APIResourceLists.
SUBRESOURCES: Mapping[str, Subresource] = MappingProxyType({
    "status": Subresource(("get", "patch", "update")),
    "scale": Subresource(("get", "patch", "update"), kind="Scale", group="autoscaling", version="v1"),
    "log": Subresource(("get",)),
    "finalize": Subresource(("update",)),
    "exec": Subresource(("create", "get"), kind="PodExecOptions"),
    "attach": Subresource(("create", "get"), kind="PodAttachOptions"),
    "portforward": Subresource(("create", "get"), kind="PodPortForwardOptions"),
})


@dataclass(frozen=True)
class Kind:
    """One served kind at one version. `crd` holds the CRD's version schema when it is a custom resource."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    subresources: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    categories: tuple[str, ...] = ()
    # Another kind stores these objects (autoscaling/v1 HPAs are stored as v2, projects are namespaces).
    storage: tuple[str, str] | None = None
    crd: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def resource(self) -> str:
        """`plural.group`, the name kubectl and RBAC use."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def storage_key(self) -> tuple[str, str]:
        return self.storage or (self.group, self.plural)


def _core(kind: str, plural: str, namespaced: bool = True, **kw: Any) -> Kind:
    return Kind("", "v1", kind, plural, namespaced, **kw)


def _crd(group: str, version: str, kind: str, plural: str, schema: Mapping[str, Any], **kw: Any) -> Kind:
    return Kind(group, version, kind, plural, kw.pop("namespaced", True), crd=MappingProxyType(schema), **kw)


_ST = ("status",)
_SCALE = ("status", "scale")

KINDS: tuple[Kind, ...] = (
    _core("Namespace", "namespaces", False, subresources=("status", "finalize"), short_names=("ns",),
          verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    _core("Node", "nodes", False, subresources=_ST, short_names=("no",)),
    _core("Pod", "pods", subresources=("attach", "exec", "log", "portforward", "status"), short_names=("po",),
          categories=("all",)),
    _core("Service", "services", subresources=_ST, short_names=("svc",), categories=("all",),
          verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")),
    _core("Endpoints", "endpoints", short_names=("ep",)),
    _core("Secret", "secrets"),
    _core("ConfigMap", "configmaps", short_names=("cm",)),
    _core("ServiceAccount", "serviceaccounts", short_names=("sa",)),
    _core("PersistentVolumeClaim", "persistentvolumeclaims", subresources=_ST, short_names=("pvc",)),
    _core("PersistentVolume", "persistentvolumes", False, subresources=_ST, short_names=("pv",)),
    _core("Event", "events", short_names=("ev",)),
    Kind("apps", "v1", "Deployment", "deployments", True, _SCALE, ("deploy",), categories=("all",)),
    Kind("apps", "v1", "ReplicaSet", "replicasets", True, _SCALE, ("rs",), categories=("all",)),
    Kind("apps", "v1", "StatefulSet", "statefulsets", True, _SCALE, ("sts",), categories=("all",)),
    Kind("batch", "v1", "Job", "jobs", True, _ST, categories=("all",)),
    Kind("batch", "v1", "CronJob", "cronjobs", True, _ST, ("cj",), categories=("all",)),
    Kind("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, _ST, ("hpa",),
         categories=("all",)),
    Kind("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, _ST, ("hpa",),
         categories=("all",), storage=("autoscaling", "horizontalpodautoscalers")),
    Kind("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    Kind("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    Kind("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, (), ("sc",)),
    Kind("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False, _ST,
         ("crd", "crds")),
    Kind("route.openshift.io", "v1", "Route", "routes", True, _ST),
    Kind("project.openshift.io", "v1", "Project", "projects", False,
         verbs=("create", "delete", "get", "list", "patch", "update", "watch"), storage=("", "namespaces")),
    # Custom resources registered at start (their CRDs are objects in the store, built from these rows).
    _crd("quay.redhat.com", "v1", "QuayRegistry", "quayregistries", crds.QUAYREGISTRY, subresources=_ST),
    _crd("redhatcop.redhat.io", "v1alpha1", "QuayEcosystem", "quayecosystems", crds.QUAYECOSYSTEM,
         subresources=_ST),
    _crd("objectbucket.io", "v1alpha1", "ObjectBucketClaim", "objectbucketclaims", crds.OBJECTBUCKETCLAIM,
         subresources=_ST, short_names=("obc", "obcs")),
    _crd("objectbucket.io", "v1alpha1", "ObjectBucket", "objectbuckets", crds.OBJECTBUCKET,
         subresources=_ST, short_names=("ob", "obs"), namespaced=False),
    _crd("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", crds.SERVICEMONITOR,
         short_names=("smon",)),
    _crd("monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules", crds.PROMETHEUSRULE,
         short_names=("promrule",)),
    _crd("operators.coreos.com", "v1alpha1", "Subscription", "subscriptions", crds.SUBSCRIPTION,
         subresources=_ST, short_names=("sub", "subs"), categories=("olm",)),
    _crd("operators.coreos.com", "v1alpha1", "InstallPlan", "installplans", crds.INSTALLPLAN,
         subresources=_ST, short_names=("ip",), categories=("olm",)),
    _crd("operators.coreos.com", "v1alpha1", "ClusterServiceVersion", "clusterserviceversions", crds.CSV,
         subresources=_ST, short_names=("csv", "csvs"), categories=("olm",)),
    _crd("operators.coreos.com", "v1alpha1", "CatalogSource", "catalogsources", crds.CATALOGSOURCE,
         subresources=_ST, short_names=("catsrc",), categories=("olm",)),
    _crd("operators.coreos.com", "v1", "OperatorGroup", "operatorgroups", crds.OPERATORGROUP,
         subresources=_ST, short_names=("og",), categories=("olm",)),
    _crd("noobaa.io", "v1alpha1", "NooBaa", "noobaas", crds.NOOBAA, subresources=_ST, short_names=("nb",)),
    _crd("noobaa.io", "v1alpha1", "BackingStore", "backingstores", crds.BACKINGSTORE, subresources=_ST),
    _crd("noobaa.io", "v1alpha1", "BucketClass", "bucketclasses", crds.BUCKETCLASS, subresources=_ST),
)


def kinds_for(platform: str, *, without: Iterable[str] = ()) -> tuple[Kind, ...]:
    """The kinds a cluster of this platform profile serves, less the `OPTIONAL_APIS` named in `without`."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}: expected one of {', '.join(PLATFORMS)}")
    dropped = set() if platform == "openshift" else set(OPENSHIFT_ONLY_GROUPS)
    for name in without:
        if name not in OPTIONAL_APIS:
            raise ValueError(f"unknown API {name!r} to go without: expected some of {', '.join(OPTIONAL_APIS)}")
        dropped |= OPTIONAL_APIS[name]
    return tuple(k for k in KINDS if k.group not in dropped) if dropped else KINDS


def find_kind(api_version: str, kind: str) -> Kind | None:
    """The table row for an object's apiVersion and kind, or None."""
    for k in KINDS:
        if k.api_version == api_version and k.kind == kind:
            return k
    return None
