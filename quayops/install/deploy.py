"""Deploy a registry (guide 4.1, 5.2, 8.1): the namespace or infra-node project, infra nodes labelled and tainted,
the QuayRegistry with the bundle's components, a user Route when route is unmanaged, and the result as tables."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

from quayops.errors import StepFailedError
from quayops.install import InstallParametersInvalid
from quayops.kube.client import Cluster
from quayops.model.quayregistry import API_VERSION, KIND
from quayops.reconcile import apply_registry, describe
from quayops.runbooks.secrets import mark_secret

INFRA_ROLE = "node-role.kubernetes.io/infra"
NODE_SELECTOR = "openshift.io/node-selector"
DEFAULT_TOLERATIONS = "scheduler.alpha.kubernetes.io/defaultTolerations"
INFRA_PROJECT = {NODE_SELECTOR: f"{INFRA_ROLE}=",  # guide 8.1.2
                 DEFAULT_TOLERATIONS: json.dumps([{"operator": "Exists", "effect": "NoSchedule", "key": INFRA_ROLE}])}


def ensure_namespace(cluster: Cluster, name: str, *, infra: bool = False) -> str:
    """Create the namespace (with the infra project annotations when `infra`); return created, exists or annotated."""
    annotations = INFRA_PROJECT if infra else {}
    live = cluster.find("v1", "Namespace", name)
    if live is None:
        cluster.create({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": name, **({"annotations": annotations} if annotations else {})}})
        return "created"
    current = live["metadata"].get("annotations") or {}
    if all(current.get(k) == v for k, v in annotations.items()):
        return "exists"
    cluster.patch("v1", "Namespace", name, {"metadata": {"annotations": annotations}})
    return "annotated"


def label_infra_nodes(cluster: Cluster, nodes: list[str]):
    """Label `node-role.kubernetes.io/infra=` and taint it NoSchedule (guide 8.1.1); idempotent. A DataFrame."""
    import pandas as pd

    missing = [n for n in nodes if cluster.find("v1", "Node", n) is None]
    if missing:
        raise InstallParametersInvalid(f"infra_nodes names nodes that do not exist: {', '.join(missing)}",
                                       field="infra_nodes", hint="List nodes from `oc get nodes`.")
    rows = []
    for name in nodes:
        node = cluster.get("v1", "Node", name)
        taints = list((node.get("spec") or {}).get("taints") or [])
        changed = INFRA_ROLE not in (node["metadata"].get("labels") or {})
        patch: dict = {"metadata": {"labels": {INFRA_ROLE: ""}}}
        if not any(t.get("key") == INFRA_ROLE and t.get("effect") == "NoSchedule" for t in taints):
            patch["spec"] = {"taints": [*taints, {"key": INFRA_ROLE, "effect": "NoSchedule"}]}
            changed = True
        cluster.patch("v1", "Node", name, patch)
        rows.append({"node": name, "label": f"{INFRA_ROLE}=", "taint": f"{INFRA_ROLE}:NoSchedule",
                     "action": "labelled and tainted" if changed else "already infra"})
    return pd.DataFrame(rows, columns=["node", "label", "taint", "action"])


def bundle_components(cluster: Cluster, *, namespace: str, bundle_secret: str) -> list[dict]:
    """The components 03-configure recorded on the bundle Secret (its `quayops.dev/components` annotation)."""
    from quayops.install.configure import COMPONENTS_ANNOTATION

    secret = cluster.find("v1", "Secret", bundle_secret, namespace=namespace)
    if secret is None:
        raise StepFailedError(f"config bundle Secret {namespace}/{bundle_secret} not found. Nothing was changed.",
                              step="deploy", hint="Run 03-configure first, or set bundle_secret to your Secret.")
    return json.loads((secret["metadata"].get("annotations") or {}).get(COMPONENTS_ANNOTATION) or "[]")


def deploy_registry(cluster: Cluster, *, name: str, namespace: str, bundle_secret: str, components: list[dict]) -> dict:
    """Create or update the QuayRegistry (guide 4.1 step 3–4); the operator fills in the components not listed."""
    registry = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name, "namespace": namespace},
                "spec": {"components": components} if components else {}}
    return apply_registry(cluster, registry, bundle_secret=bundle_secret)


def create_user_route(cluster: Cluster, *, name: str, namespace: str, bundle_secret: str) -> dict:
    """The Route a user makes when route is unmanaged (guide 3.4, 3.5.3): passthrough to Quay's HTTPS port at
    the bundle's SERVER_HOSTNAME."""
    from quayops.config.bundle import bundle_from_secret
    from quayops.config.loading import parse_config_yaml

    bundle = bundle_from_secret(cluster.get("v1", "Secret", bundle_secret, namespace=namespace))
    host = (parse_config_yaml(bundle.config_text or "") or {}).get("SERVER_HOSTNAME")
    if not host:
        raise StepFailedError("route is unmanaged but the bundle has no SERVER_HOSTNAME for the Route",
                              step="route", hint="Set hostname in 03-configure and run it again.")
    return cluster.apply({"apiVersion": "route.openshift.io/v1", "kind": "Route",
                          "metadata": {"name": f"{name}-quay", "namespace": namespace},
                          "spec": {"host": host, "to": {"kind": "Service", "name": f"{name}-quay-app"},
                                   "port": {"targetPort": "https"},
                                   "tls": {"termination": "passthrough", "insecureEdgeTerminationPolicy": "Redirect"}}},
                         force=True)


def wait_for_endpoint(session, endpoint: str, *, timeout: float = 120,
                      report: Callable[[str], None] | None = print) -> int:
    """Poll `<endpoint>/health/instance` through the route until it answers 200; return the status."""
    import requests

    deadline, last = time.monotonic() + timeout, ""
    while True:
        try:
            status = session.get(f"{endpoint}/health/instance", timeout=10).status_code
            state = f"HTTP {status}"
        except requests.RequestException as e:
            status, state = 0, type(e).__name__
        if status == 200:
            if report:
                report(f"{endpoint}/health/instance: HTTP 200")
            return status
        if report and state != last:
            report(f"{endpoint}/health/instance: {state}, waiting")
            last = state
        if time.monotonic() > deadline:
            raise StepFailedError(f"{endpoint} does not answer after {timeout:.0f} s ({state}). The registry is "
                                  "deployed; only its route does not answer.", step="endpoint",
                                  hint="Check the Route and the quay-app pods; rerun this runbook to resume.")
        time.sleep(0.5)


def registry_tables(cluster: Cluster, *, name: str, namespace: str, reveal_password: bool = False) -> dict:
    """What a deployed registry consists of, as DataFrames: components, workloads (pods per Deployment and the
    roles of the nodes they run on), hpa, routes, endpoints and the config-editor credentials (guide 4.1.1,
    4.1.2, 5.2). The password is shown only when `reveal_password`; otherwise only where it lives."""
    import pandas as pd

    desc = describe(cluster, name, namespace=namespace)
    nodes = {n["metadata"]["name"]: n for n in cluster.list("v1", "Node").get("items") or []}
    pods = cluster.list("v1", "Pod", namespace=namespace).get("items") or []
    workloads = []
    for dep in sorted(cluster.list("apps/v1", "Deployment", namespace=namespace).get("items") or [],
                      key=lambda d: d["metadata"]["name"]):
        dname = dep["metadata"]["name"]
        if not dname.startswith(f"{name}-"):
            continue
        mine = [p for p in pods if p["metadata"]["name"].startswith(f"{dname}-")
                and (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
        roles = sorted({_role(nodes.get((p.get("spec") or {}).get("nodeName", ""))) for p in mine})
        status = dep.get("status") or {}
        workloads.append({"deployment": dname, "replicas": (dep.get("spec") or {}).get("replicas", 1),
                          "ready": status.get("readyReplicas", 0), "node roles": ", ".join(roles)})
    hpas = [{"hpa": h["metadata"]["name"], "min": h["spec"].get("minReplicas"), "max": h["spec"].get("maxReplicas"),
             "target": h["spec"]["scaleTargetRef"]["name"]}
            for h in cluster.list("autoscaling/v2", "HorizontalPodAutoscaler", namespace=namespace).get("items") or []]
    routes = [{"route": r["metadata"]["name"], "host": r["spec"].get("host", ""),
               "termination": ((r["spec"].get("tls") or {}).get("termination") or "none"),
               "service": r["spec"]["to"]["name"]}
              for r in cluster.list("route.openshift.io/v1", "Route", namespace=namespace).get("items") or []]
    registry = cluster.get(API_VERSION, KIND, name, namespace=namespace)
    return {"components": desc.components, "workloads": pd.DataFrame(workloads),
            "hpa": pd.DataFrame(sorted(hpas, key=lambda h: h["hpa"]), columns=["hpa", "min", "max", "target"]),
            "routes": pd.DataFrame(sorted(routes, key=lambda r: r["route"]),
                                   columns=["route", "host", "termination", "service"]),
            "endpoints": desc.endpoints,
            "config editor": config_editor_credentials(cluster, registry, reveal_password=reveal_password)}


def config_editor_credentials(cluster: Cluster, registry: dict, *, reveal_password: bool = False):
    """Where the config editor's credentials live (guide 5.2): Secret, username, and the password only if asked."""
    import pandas as pd

    namespace = registry["metadata"]["namespace"]
    secret_name = (registry.get("status") or {}).get("configEditorCredentialsSecret", "")
    data = (cluster.get("v1", "Secret", secret_name, namespace=namespace).get("data") or {}) if secret_name else {}
    decoded = {k: base64.b64decode(v).decode() for k, v in data.items()}
    password = decoded.get("password", "")
    if not reveal_password and password:
        mark_secret(password)
    shown = password if reveal_password else (
        f"(hidden: oc get secret {secret_name} -n {namespace} -o jsonpath='{{.data.password}}' | base64 -d)")
    return pd.DataFrame([{"what": "endpoint", "value": (registry.get("status") or {}).get("configEditorEndpoint", "")},
                         {"what": "Secret", "value": f"{namespace}/{secret_name}"},
                         {"what": "username", "value": decoded.get("username", "")},
                         {"what": "password", "value": shown}], columns=["what", "value"])


def _role(node: dict | None) -> str:
    labels = (node or {}).get("metadata", {}).get("labels") or {}
    return "infra" if INFRA_ROLE in labels else "worker" if "node-role.kubernetes.io/worker" in labels else "other"
