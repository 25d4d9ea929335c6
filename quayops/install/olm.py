"""Install the Quay Operator through OLM (guide 2, 8.1.3, 8.4): OperatorGroup and Subscription, the InstallPlan
approval, the CSV's phase, and image overrides in the CSV env (digests only)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from quayops.errors import StepFailedError
from quayops.install import InstallParametersInvalid
from quayops.kube.client import Cluster
from quayops.kube.watching import wait_for

OLM, OLM_V1 = "operators.coreos.com/v1alpha1", "operators.coreos.com/v1"
PACKAGE, CATALOG, CATALOG_NAMESPACE = "quay-operator", "redhat-operators", "openshift-marketplace"
ALL_NAMESPACES = "openshift-operators"  # where OperatorHub installs for all namespaces (global-operators group)
# The QuayRegistry operator's channels in the guide's span (3.4 introduced it, the guide is 3.7).
CHANNELS = ("stable-3.4", "stable-3.5", "stable-3.6", "stable-3.7")
APPROVALS = ("Automatic", "Manual")
RELATED_IMAGES = ("RELATED_IMAGE_COMPONENT_QUAY", "RELATED_IMAGE_COMPONENT_CLAIR", "RELATED_IMAGE_COMPONENT_POSTGRES",
                  "RELATED_IMAGE_COMPONENT_REDIS")  # guide 8.4.1
DIGEST = re.compile(r"^[a-z0-9][^\s@]*@sha256:[0-9a-f]{64}$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class OperatorInstall:
    """What to create: the Subscription, and an OperatorGroup when installing into one namespace."""

    namespace: str
    channel: str
    approval: str
    all_namespaces: bool
    image_overrides: dict[str, str] = field(default_factory=dict)

    @property
    def operator_group(self) -> dict | None:
        if self.all_namespaces:
            return None  # openshift-operators carries the cluster's global-operators group
        return {"apiVersion": OLM_V1, "kind": "OperatorGroup",
                "metadata": {"name": self.namespace, "namespace": self.namespace},
                "spec": {"targetNamespaces": [self.namespace]}}

    @property
    def subscription(self) -> dict:
        return {"apiVersion": OLM, "kind": "Subscription", "metadata": {"name": PACKAGE, "namespace": self.namespace},
                "spec": {"channel": self.channel, "installPlanApproval": self.approval, "name": PACKAGE,
                         "source": CATALOG, "sourceNamespace": CATALOG_NAMESPACE}}


def plan_operator_install(*, channel: str, all_namespaces: bool = True, namespace: str = "",
                          approval: str = "Automatic", image_overrides: dict[str, str] | None = None) -> OperatorInstall:
    """Check the install parameters and return what to create; InstallParametersInvalid names what to change."""
    if channel not in CHANNELS:
        raise InstallParametersInvalid(
            f"channel {channel!r} is not a Quay Operator channel quayops supports (guide 2)", field="channel",
            hint=f"Set channel to one of {', '.join(CHANNELS)}; stable-3.7 is the guide's.")
    if approval not in APPROVALS:
        raise InstallParametersInvalid(f"approval {approval!r} is neither Automatic nor Manual", field="approval",
                                       hint="Set approval to Automatic (advised) or Manual.")
    target = ALL_NAMESPACES if all_namespaces else namespace
    if not _NAMESPACE.match(target or ""):
        raise InstallParametersInvalid(f"namespace {target!r} is not a valid namespace name", field="namespace",
                                       hint="Use lowercase letters, digits and '-', e.g. quay-registry.")
    return OperatorInstall(target, channel, approval, all_namespaces, check_image_overrides(image_overrides or {}))


def check_image_overrides(overrides: dict[str, str]) -> dict[str, str]:
    """The overrides by env name (`quay` → RELATED_IMAGE_COMPONENT_QUAY), each a digest reference (guide 8.4)."""
    checked = {}
    for key, image in overrides.items():
        name = key if key.startswith("RELATED_IMAGE_") else f"RELATED_IMAGE_COMPONENT_{key.upper()}"
        if name not in RELATED_IMAGES:
            raise InstallParametersInvalid(f"image override {key!r} names no operator image", field="image_overrides",
                                           hint=f"Use quay, clair, postgres or redis ({', '.join(RELATED_IMAGES)}).")
        if not isinstance(image, str) or not DIGEST.match(image):
            raise InstallParametersInvalid(
                f"image override {name}={image!r} is not pinned by digest; the guide requires @sha256:, never a tag "
                "(8.4.1)", field="image_overrides",
                hint="Use repository@sha256:<64 hex>; `skopeo inspect docker://IMAGE` prints the digest.")
        checked[name] = image
    return checked


def apply_operator_install(cluster: Cluster, install: OperatorInstall) -> list[dict]:
    """Create the namespace (one-namespace install), the OperatorGroup if the namespace has none, the Subscription.

    Idempotent: what exists is kept (rows say `exists`), so a rerun resumes. Returns one row per object.
    """
    rows = []
    if cluster.find("v1", "Namespace", install.namespace) is None:
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": install.namespace}})
        rows.append({"object": f"Namespace {install.namespace}", "action": "created"})
    groups = cluster.list(OLM_V1, "OperatorGroup", namespace=install.namespace).get("items") or []
    if install.operator_group is not None and not groups:
        cluster.create(install.operator_group)
        rows.append({"object": f"OperatorGroup {install.namespace}/{install.namespace}", "action": "created"})
    else:
        for group in groups:
            targets = (group.get("spec") or {}).get("targetNamespaces") or ["(all namespaces)"]
            rows.append({"object": f"OperatorGroup {install.namespace}/{group['metadata']['name']}",
                         "action": f"exists, targets {', '.join(targets)}"})
    sub = install.subscription
    live = cluster.find(OLM, "Subscription", PACKAGE, namespace=install.namespace)
    if live is None:
        cluster.create(sub)
        action = "created"
    elif (live.get("spec") or {}).get("channel") != install.channel:
        raise StepFailedError(
            f"Subscription {install.namespace}/{PACKAGE} exists on channel {live['spec'].get('channel')}, not "
            f"{install.channel}; changing channels is an upgrade. Nothing was changed.", step="subscribe",
            hint="Use the upgrade runbook, or set channel to the installed one.")
    else:
        action = "exists"
    rows.append({"object": f"Subscription {install.namespace}/{PACKAGE} ({install.channel}, {install.approval})",
                 "action": action})
    return rows


def wait_for_operator(cluster: Cluster, install: OperatorInstall, *, approve: bool = False, timeout: float = 300,
                      report: Callable[[str], None] | None = print) -> dict:
    """Follow Subscription → InstallPlan → CSV until the CSV is Succeeded; return the CSV.

    A Manual InstallPlan is approved only when `approve`; otherwise StepFailedError says how to approve it.
    """
    ns, deadline = install.namespace, time.monotonic() + timeout
    plan = _wait_for_plan(cluster, ns, deadline=deadline, report=report)
    phase = (plan.get("status") or {}).get("phase")
    name = plan["metadata"]["name"]
    if not (plan.get("spec") or {}).get("approved"):
        if not approve:
            raise StepFailedError(
                f"InstallPlan {ns}/{name} for {', '.join(plan['spec'].get('clusterServiceVersionNames') or [])} "
                f"waits for approval ({phase}). The Subscription exists; nothing is installed yet.", step="approve",
                hint=f"Rerun with approve_install_plan=True, or: oc patch installplan {name} -n {ns} --type merge "
                     "-p '{\"spec\":{\"approved\":true}}'")
        cluster.patch(OLM, "InstallPlan", name, {"spec": {"approved": True}}, namespace=ns)
        if report:
            report(f"approved InstallPlan {name}")
    csv_name = (plan["spec"].get("clusterServiceVersionNames") or [""])[0]
    return _wait_for_csv(cluster, ns, csv_name, deadline=deadline, report=report)


def _wait_for_plan(cluster: Cluster, ns: str, *, deadline: float, report) -> dict:
    def has_plan(sub: dict | None) -> bool:
        return bool(((sub or {}).get("status") or {}).get("installPlanRef"))

    def on_change(sub: dict | None) -> None:
        status = (sub or {}).get("status") or {}
        if report and status.get("state"):
            report(f"Subscription {PACKAGE}: {status.get('state')} {status.get('currentCSV', '')}".rstrip())

    sub = wait_for(cluster, OLM, "Subscription", PACKAGE, namespace=ns, condition=has_plan,
                   timeout=max(1.0, deadline - time.monotonic()), on_change=on_change,
                   describe=lambda s: "OLM has not resolved an InstallPlan: is the CatalogSource "
                                      f"{CATALOG_NAMESPACE}/{CATALOG} READY?")
    return cluster.get(OLM, "InstallPlan", sub["status"]["installPlanRef"]["name"], namespace=ns)


def _wait_for_csv(cluster: Cluster, ns: str, name: str, *, deadline: float, report) -> dict:
    seen = []

    def on_change(csv: dict | None) -> None:
        status = (csv or {}).get("status") or {}
        line = f"ClusterServiceVersion {name}: {status.get('phase', 'absent')} {status.get('message', '')}".rstrip()
        if report and csv is not None and (not seen or seen[-1] != line):
            seen.append(line)
            report(line)

    return wait_for(cluster, OLM, "ClusterServiceVersion", name, namespace=ns,
                    condition=lambda c: ((c or {}).get("status") or {}).get("phase") == "Succeeded",
                    timeout=max(1.0, deadline - time.monotonic()), on_change=on_change,
                    describe=lambda c: f"phase {((c or {}).get('status') or {}).get('phase', 'absent')}: "
                                       f"{((c or {}).get('status') or {}).get('message', '')}")


def apply_image_overrides(cluster: Cluster, csv: dict, overrides: dict[str, str], *, timeout: float = 120,
                          report: Callable[[str], None] | None = print) -> dict:
    """Set RELATED_IMAGE_COMPONENT_* in the CSV's operator container env (guide 8.4.2) and wait until the
    operator runs with them; every QuayRegistry then uses these images. Returns the CSV."""
    overrides = check_image_overrides(overrides)
    if not overrides:
        return csv
    ns, name = csv["metadata"]["namespace"], csv["metadata"]["name"]
    deployments = csv["spec"]["install"]["spec"]["deployments"]
    container = deployments[0]["spec"]["template"]["spec"]["containers"][0]
    env = [e for e in container.get("env") or [] if e.get("name") not in overrides]
    env += [{"name": k, "value": v} for k, v in overrides.items()]
    path = "/spec/install/spec/deployments/0/spec/template/spec/containers/0/env"
    cluster.patch(OLM, "ClusterServiceVersion", name, [{"op": "replace", "path": path, "value": env}], namespace=ns,
                  patch_type="json")
    if report:
        report(f"ClusterServiceVersion {name}: env set for {', '.join(overrides)}")

    def rolled(dep: dict | None) -> bool:
        spec = ((dep or {}).get("spec") or {}).get("template", {}).get("spec", {})
        live = {e["name"]: e.get("value") for c in spec.get("containers") or [] for e in c.get("env") or []}
        status = (dep or {}).get("status") or {}
        return all(live.get(k) == v for k, v in overrides.items()) and status.get("updatedReplicas", 0) >= 1 \
            and status.get("availableReplicas", 0) >= 1 and status.get("observedGeneration", 0) >= \
            (dep or {}).get("metadata", {}).get("generation", 0)

    wait_for(cluster, "apps/v1", "Deployment", deployments[0]["name"], namespace=ns, condition=rolled, timeout=timeout,
             describe=lambda d: "the operator Deployment has not rolled out with the new env")
    return _wait_for_csv(cluster, ns, name, deadline=time.monotonic() + timeout, report=report)


def describe_operator(cluster: Cluster, namespace: str):
    """Subscription, InstallPlans, CSV and the operator's images as a DataFrame (object, state, detail)."""
    import pandas as pd

    rows = []
    sub = cluster.find(OLM, "Subscription", PACKAGE, namespace=namespace)
    if sub is not None:
        status = sub.get("status") or {}
        rows.append({"object": f"Subscription {PACKAGE}", "state": status.get("state", ""),
                     "detail": f"channel {sub['spec'].get('channel')}, {sub['spec'].get('installPlanApproval')}, "
                               f"installed {status.get('installedCSV', '-')}"})
    for plan in cluster.list(OLM, "InstallPlan", namespace=namespace).get("items") or []:
        rows.append({"object": "InstallPlan", "state": (plan.get("status") or {}).get("phase", ""),
                     "detail": f"{', '.join(plan['spec'].get('clusterServiceVersionNames') or [])}, "
                               f"approval {plan['spec'].get('approval')}, approved {plan['spec'].get('approved')}"})
    for csv in cluster.list(OLM, "ClusterServiceVersion", namespace=namespace).get("items") or []:
        if not csv["metadata"]["name"].startswith(f"{PACKAGE}."):
            continue
        targets = (csv["metadata"].get("annotations") or {}).get("olm.targetNamespaces", "")
        rows.append({"object": f"ClusterServiceVersion {csv['metadata']['name']}",
                     "state": (csv.get("status") or {}).get("phase", ""),
                     "detail": f"watches {targets or 'all namespaces'}"})
        container = csv["spec"]["install"]["spec"]["deployments"][0]["spec"]["template"]["spec"]["containers"][0]
        for e in container.get("env") or []:
            if e.get("name") in RELATED_IMAGES:
                rows.append({"object": e["name"], "state": "digest" if DIGEST.match(e.get("value", "")) else "TAG",
                             "detail": e.get("value", "")})
    return pd.DataFrame(rows, columns=["object", "state", "detail"])
