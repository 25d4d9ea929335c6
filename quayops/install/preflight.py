"""Preflight of an install (guide 1.6, 2, 3.4, 3.5, 8.1): each check as a row with pass/warn/fail, what was found,
what is needed and the fix. `check_install` is pure; `gather_facts` reads the cluster; nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field

from quayops.errors import PreconditionFailed
from quayops.kube.client import Cluster
from quayops.kube.errors import ForbiddenError
from quayops.operator.checks import quantity_value

PASS, WARN, FAIL = "pass", "warn", "fail"
COLUMNS = ["check", "result", "found", "need", "fix", "guide"]
QUAY_POD_CPU_MILLI, QUAY_POD_MEMORY = 2000, 8 * 1024**3  # guide 1.6.2, per Quay application pod
HPA_MIN_QUAY = 2  # the managed HPA keeps at least two quay-app pods (guide 4.1.2)
MIN_OPENSHIFT = (4, 5)  # guide 1.6.1
OPENSHIFT_TO_KUBERNETES = 13  # OpenShift 4.x ships Kubernetes 1.(x+13): 4.5 → 1.18
INFRA_ROLE = "node-role.kubernetes.io/infra"


@dataclass
class ClusterFacts:
    """What the checks read: server version, served kinds per group version, nodes, pods' requests, RBAC."""

    kubernetes: tuple[int, int]
    git_version: str
    served: dict[str, set[str]]
    nodes: list[dict]
    requested: dict[str, tuple[int, int]] = field(default_factory=dict)  # node → (milli-CPU, bytes) requested
    can_create_namespaces: bool = True
    forbidden_reason: str = ""


@dataclass(frozen=True)
class Check:
    check: str
    result: str
    found: str
    need: str
    fix: str
    guide: str


def gather_facts(cluster: Cluster) -> ClusterFacts:
    """Read what the checks need; the namespace permission is tried as a server-side dry run (nothing persists)."""
    version = cluster.server_version()
    minor = int("".join(ch for ch in str(version.get("minor", "0")) if ch.isdigit()) or 0)
    served = {gv: cluster.served_kinds(gv) for gv in (
        "route.openshift.io/v1", "objectbucket.io/v1alpha1", "monitoring.coreos.com/v1",
        "operators.coreos.com/v1alpha1", "project.openshift.io/v1")}
    nodes = cluster.list("v1", "Node").get("items") or []
    requested: dict[str, tuple[int, int]] = {}
    for pod in cluster.list("v1", "Pod").get("items") or []:
        node = (pod.get("spec") or {}).get("nodeName")
        if not node or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        cpu, mem = requested.get(node, (0, 0))
        for container in (pod.get("spec") or {}).get("containers") or []:
            req = (container.get("resources") or {}).get("requests") or {}
            cpu, mem = cpu + milli_cpu(req.get("cpu", "0")), mem + memory_bytes(req.get("memory", "0"))
        requested[node] = (cpu, mem)
    facts = ClusterFacts((int(version.get("major", 0) or 0), minor), str(version.get("gitVersion", "")), served,
                         nodes, requested)
    try:
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "quayops-preflight-probe"}},
                       dry_run=True)
    except ForbiddenError as e:
        facts.can_create_namespaces, facts.forbidden_reason = False, e.message
    return facts


def check_install(facts: ClusterFacts, *, objectstorage_managed: bool = True, monitoring: bool = True,
                  infra_nodes: tuple[str, ...] | list[str] = ()) -> list[Check]:
    """Every check of guide 1.6 and the platform APIs the components need, in the order a reader follows."""
    routes = "Route" in facts.served.get("route.openshift.io/v1", set())
    checks = [_version(facts, routes), _namespaces(facts), _capacity(facts, infra_nodes)]
    if infra_nodes:
        checks.append(_infra(facts, infra_nodes))
    checks.append(_bucket_claims(facts, objectstorage_managed))
    checks.append(Check("Route API", PASS if routes else WARN,
                        "route.openshift.io/v1 served" if routes else "no route.openshift.io/v1",
                        "Routes for the managed route and tls components",
                        "" if routes else "route and tls default to unmanaged: expose Quay yourself and give "
                        "SERVER_HOSTNAME and a TLS pair in 03-configure", "3.4, 3.5.3"))
    prom = {"ServiceMonitor", "PrometheusRule"} <= facts.served.get("monitoring.coreos.com/v1", set())
    checks.append(Check("Prometheus-operator APIs", PASS if prom or not monitoring else WARN,
                        "ServiceMonitor, PrometheusRule served" if prom else "monitoring.coreos.com/v1 missing",
                        "for the managed monitoring component" if monitoring else "not needed: monitoring off",
                        "" if prom or not monitoring else "monitoring defaults to unmanaged: enable the cluster "
                        "monitoring stack, or accept no Quay dashboard", "3.5.4, 7.1"))
    olm = "Subscription" in facts.served.get("operators.coreos.com/v1alpha1", set())
    checks.append(Check("OLM APIs", PASS if olm else FAIL,
                        "Subscription, InstallPlan, ClusterServiceVersion served" if olm else "no OLM",
                        "OperatorHub (OLM) to install the Quay Operator",
                        "" if olm else "install OLM, or deploy the operator from its manifests", "2"))
    return checks


def preflight_table(checks: list[Check]):
    """The checks as a DataFrame with the columns check, result, found, need, fix, guide."""
    import pandas as pd

    return pd.DataFrame([c.__dict__ for c in checks], columns=COLUMNS)


def run_preflight(cluster: Cluster, **options):
    """Gather the facts and run every check; a DataFrame (see `check_install` for the options)."""
    return preflight_table(check_install(gather_facts(cluster), **options))


def require_preflight(table) -> None:
    """Raise PreconditionFailed naming each failed check and its fix; warnings pass."""
    failed = table[table["result"] == FAIL]
    if len(failed):
        lines = "; ".join(f"{r.check}: {r.found} (need {r.need}) — {r.fix}" for r in failed.itertuples())
        raise PreconditionFailed(f"preflight failed {len(failed)} check(s): {lines}. Nothing was changed.",
                                 step="preflight", hint="Fix these, then run 01-preflight again.")


def _version(facts: ClusterFacts, openshift: bool) -> Check:
    major, minor = facts.kubernetes
    need = f"OpenShift ≥ {MIN_OPENSHIFT[0]}.{MIN_OPENSHIFT[1]} (Kubernetes ≥ 1.{MIN_OPENSHIFT[1] + OPENSHIFT_TO_KUBERNETES})"
    if not openshift:
        return Check("cluster version", WARN, f"Kubernetes {facts.git_version} without OpenShift APIs", need,
                     "the guide supports OpenShift only; route, tls and objectstorage must be unmanaged", "1.6.1")
    ocp = f"OpenShift 4.{minor - OPENSHIFT_TO_KUBERNETES}" if major == 1 and minor > OPENSHIFT_TO_KUBERNETES else "?"
    ok = (major, minor) >= (1, MIN_OPENSHIFT[1] + OPENSHIFT_TO_KUBERNETES)
    return Check("cluster version", PASS if ok else FAIL, f"{ocp} (Kubernetes {facts.git_version})", need,
                 "" if ok else "upgrade the cluster to OpenShift 4.5 or later", "1.6.1")


def _namespaces(facts: ClusterFacts) -> Check:
    ok = facts.can_create_namespaces
    return Check("create namespaces", PASS if ok else FAIL, "allowed (dry run)" if ok else facts.forbidden_reason,
                 "a privileged account that can create namespaces cluster-wide",
                 "" if ok else "log in as a cluster administrator (oc login) or use that account's kubeconfig context",
                 "1.6.1")


def _schedulable(node: dict, *, infra: bool) -> bool:
    """Ready and without NoSchedule taints, except the infra taint when Quay goes to infra nodes."""
    spec, status = node.get("spec") or {}, node.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    taints = [t for t in spec.get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")
              and not (infra and t.get("key") == INFRA_ROLE)]
    return ready and not spec.get("unschedulable") and not taints


def _capacity(facts: ClusterFacts, infra_nodes) -> Check:
    nodes = [n for n in facts.nodes if (n["metadata"]["name"] in infra_nodes if infra_nodes else True)
             and _schedulable(n, infra=bool(infra_nodes))]
    fits = 0
    for node in nodes:
        alloc = (node.get("status") or {}).get("allocatable") or {}
        used_cpu, used_mem = facts.requested.get(node["metadata"]["name"], (0, 0))
        free_cpu, free_mem = milli_cpu(alloc.get("cpu", "0")) - used_cpu, memory_bytes(alloc.get("memory", "0")) - used_mem
        fits += max(0, min(free_cpu // QUAY_POD_CPU_MILLI, free_mem // QUAY_POD_MEMORY))
    where = "infra nodes" if infra_nodes else "schedulable nodes"
    ok = fits >= HPA_MIN_QUAY
    return Check("room for Quay pods", PASS if ok else FAIL, f"{fits} quay-app pods fit on {len(nodes)} {where}",
                 f"≥ {HPA_MIN_QUAY} quay-app pods (HPA minimum) of 2000m CPU and 8Gi memory each",
                 "" if ok else "add worker nodes or free capacity (each Quay pod requests 2000m and 8Gi)",
                 "1.6.2, 4.1.2")


def _infra(facts: ClusterFacts, infra_nodes) -> Check:
    names = {n["metadata"]["name"] for n in facts.nodes}
    missing = sorted(set(infra_nodes) - names)
    return Check("infra nodes", FAIL if missing else PASS,
                 f"missing: {', '.join(missing)}" if missing else f"{len(infra_nodes)} nodes present",
                 "the nodes 04-deploy labels and taints as infra",
                 f"name existing nodes (oc get nodes); these do not exist: {', '.join(missing)}" if missing else "",
                 "8.1.1")


def _bucket_claims(facts: ClusterFacts, managed: bool) -> Check:
    served = "ObjectBucketClaim" in facts.served.get("objectbucket.io/v1alpha1", set())
    if not managed:
        return Check("ObjectBucketClaim API", PASS, "served" if served else "not served",
                     "not needed: objectstorage unmanaged", "", "1.6.3, 3.2.1")
    return Check("ObjectBucketClaim API", PASS if served else FAIL,
                 "objectbucket.io/v1alpha1 served" if served else "no ObjectBucketClaim API",
                 "for managed objectstorage", "" if served else "install OpenShift Data Foundation (NooBaa), or "
                 "choose an unmanaged storage driver in 03-configure", "1.6.3, 3.2.2")


def milli_cpu(quantity: str | float) -> int:
    """A CPU quantity in millicores: `2`, `500m`, `1.5`."""
    return int((quantity_value(quantity) or 0) * 1000)


def memory_bytes(quantity: str | int) -> int:
    """A memory quantity in bytes: `8Gi`, `32899876Ki`, `512M`."""
    return int(quantity_value(quantity) or 0)
