"""OLM: Subscriptions resolve to InstallPlans, approved InstallPlans create CSVs, CSVs run their Deployments.

Mirrors operator-framework/operator-lifecycle-manager's catalog operator (subscription sync, resolver
steps, InstallPlan execution) and olm operator (CSV phases, install strategy, replacement, OperatorGroup
annotations), as far as a single-package catalog needs: the catalog itself is `simulator.olm_catalog`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from simulator.controllers.base import Context, Key, Obj, Watched, owned_by
from simulator.controllers.ownership import controller_ref
from simulator.controllers.recording import NORMAL, WARNING
from simulator.olm_catalog import CATALOG, CATALOG_NAMESPACE, PACKAGE, Catalog, default_catalog
from simulator.store.errors import AlreadyExists, NotFound

OLM = "operators.coreos.com/v1alpha1"
OLM_V1 = "operators.coreos.com/v1"
MERGE = "application/merge-patch+json"
APPLY = "application/apply-patch+yaml"
CATALOG_OPERATOR = "catalog-operator"
OLM_OPERATOR = "olm-operator"
TARGET_NAMESPACES = "olm.targetNamespaces"
SPEC_HASH = "olm.deployment-spec-hash"
NO_GROUP = "csv in namespace with no operatorgroups"
NOT_AVAILABLE = ('waiting for deployment {dep} to become ready: deployment "{dep}" not available: Deployment does '
                 "not have minimum availability.")
ROLLING_OUT = ("waiting for deployment {dep} to become ready: Waiting for rollout to finish: {updated} out of "
               "{replicas} new replicas have been updated...")
TOO_MANY_GROUPS = "csv created in namespace with multiple operatorgroups, can't pick one automatically"


def _in_namespace(api_version: str, kind: str, ctx: Context):
    """Map any event to every `kind` object in the event's namespace."""
    def keys(_type: str, obj: Obj) -> Iterable[Key]:
        ns = obj["metadata"].get("namespace", "")
        return [(ns, o["metadata"]["name"]) for o in ctx.list(api_version, kind, ns)]
    return keys


def _subscription_of(_type: str, plan: Obj) -> Iterable[Key]:
    meta = plan["metadata"]
    return [(meta["namespace"], r["name"]) for r in meta.get("ownerReferences") or () if r.get("kind") == "Subscription"]


class Subscriptions:
    """The catalog operator's subscription sync: the next CSV on the channel becomes an InstallPlan."""

    name = "olm-subscriptions"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.catalog: Catalog = default_catalog()
        self.watches = (
            Watched(OLM, "Subscription"),
            Watched(OLM, "InstallPlan", _subscription_of),
            Watched(OLM, "ClusterServiceVersion", _in_namespace(OLM, "Subscription", ctx)),
            Watched(OLM, "CatalogSource", self._subscribers),
        )

    def _subscribers(self, _type: str, source: Obj) -> Iterable[Key]:
        meta = source["metadata"]
        return [(s["metadata"]["namespace"], s["metadata"]["name"]) for s in self.ctx.list(OLM, "Subscription")
                if (s.get("spec") or {}).get("source") == meta["name"]
                and (s.get("spec") or {}).get("sourceNamespace") == meta["namespace"]]

    def publish(self, channel: str, version: str, *, skip_range: str | None = None) -> dict[str, Any]:
        """A catalog update: `version` becomes the head of `channel`; subscriptions on it resolve again."""
        csv = self.catalog.publish(channel, version, skip_range=skip_range)
        kind = self.ctx.kind(OLM, "CatalogSource")
        self.ctx.store.patch(kind, CATALOG, {"status": {"connectionState": {
            "lastObservedState": "READY", "lastConnect": self.ctx.now()}}}, MERGE, namespace=CATALOG_NAMESPACE,
            subresource="status", field_manager=CATALOG_OPERATOR)
        return csv

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        sub = self.ctx.read(OLM, "Subscription", name, ns)
        if sub is None or sub["metadata"].get("deletionTimestamp"):
            return None
        spec, status = sub.get("spec") or {}, dict(sub.get("status") or {})
        source = self.ctx.read(OLM, "CatalogSource", spec.get("source", ""), spec.get("sourceNamespace", ""))
        if source is None or spec.get("name") != PACKAGE:
            message = (f"constraints not satisfiable: no operators found in package {spec.get('name')} in the "
                       f"catalog referenced by subscription {name}")
            return self._write(sub, {**status, "state": "", "conditions": [_condition(
                "ResolutionFailed", "True", "ConstraintsNotSatisfiable", message, self.ctx.now())]})
        channel = spec.get("channel") or self.catalog.default_channel
        plan = self._plan(sub)
        installed = status.get("installedCSV", "")
        if plan is not None and (plan.get("status") or {}).get("phase") == "Complete":
            target = (plan.get("spec") or {}).get("clusterServiceVersionNames", [""])[0]
            if self.ctx.read(OLM, "ClusterServiceVersion", target, ns) is not None:
                installed = target
        if installed:
            wanted = self.catalog.replacement(channel, installed)
            if wanted is not None:  # the resolver points `replaces` at what is installed (skipRange hops)
                wanted["spec"]["replaces"] = installed
        else:
            starting = spec.get("startingCSV")
            wanted = copy.deepcopy(self.catalog.find(channel, starting) if starting else self.catalog.head(channel))
        status.update({"catalogHealth": [{"catalogSourceRef": {
            "apiVersion": OLM, "kind": "CatalogSource", "name": source["metadata"]["name"],
            "namespace": source["metadata"]["namespace"], "uid": source["metadata"]["uid"]},
            "healthy": True, "lastUpdated": self.ctx.now()}]})
        if installed:
            status["installedCSV"] = installed
        if wanted is None:
            status.update(state="AtLatestKnown", currentCSV=installed or status.get("currentCSV", ""))
            status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "InstallPlanPending"]
            return self._write(sub, status)
        target = wanted["metadata"]["name"]
        if plan is None or (plan.get("spec") or {}).get("clusterServiceVersionNames") != [target]:
            plan = self._create_plan(sub, wanted, channel)
        phase = (plan.get("status") or {}).get("phase", "")
        status.update(state="UpgradePending", currentCSV=target, installPlanGeneration=plan["spec"]["generation"],
                      installPlanRef={"apiVersion": OLM, "kind": "InstallPlan", "name": plan["metadata"]["name"],
                                      "namespace": ns, "uid": plan["metadata"]["uid"],
                                      "resourceVersion": plan["metadata"]["resourceVersion"]},
                      installplan={"apiVersion": OLM, "kind": "InstallPlan", "name": plan["metadata"]["name"],
                                   "uuid": plan["metadata"]["uid"]})
        pending = _condition("InstallPlanPending", "True", phase, "", self.ctx.now())
        status["conditions"] = [c for c in status.get("conditions") or []
                                if c.get("type") not in ("InstallPlanPending", "ResolutionFailed")]
        if phase != "Complete":
            status["conditions"].append(pending)
        return self._write(sub, status)

    def _plan(self, sub: Obj) -> Obj | None:
        ref = (sub.get("status") or {}).get("installPlanRef") or {}
        return self.ctx.read(OLM, "InstallPlan", ref.get("name", ""), sub["metadata"]["namespace"]) if ref else None

    def _create_plan(self, sub: Obj, csv: Obj, channel: str) -> Obj:
        """An InstallPlan for `csv`, its resolved manifest in `status.plan` (approved when Automatic)."""
        ns, spec = sub["metadata"]["namespace"], sub.get("spec") or {}
        approval = spec.get("installPlanApproval") or "Automatic"
        generation = max((p["spec"].get("generation", 0) for p in self.ctx.list(OLM, "InstallPlan", ns)), default=0) + 1
        owner = {"apiVersion": OLM, "kind": "Subscription", "name": sub["metadata"]["name"],
                 "uid": sub["metadata"]["uid"], "blockOwnerDeletion": False, "controller": False}
        kind = self.ctx.kind(OLM, "InstallPlan")
        plan = self.ctx.store.create(kind, {
            "apiVersion": OLM, "kind": "InstallPlan",
            "metadata": {"generateName": "install-", "namespace": ns, "ownerReferences": [owner],
                         "labels": {f"operators.coreos.com/{PACKAGE}.{ns}": ""}},
            "spec": {"approval": approval, "approved": approval == "Automatic",
                     "clusterServiceVersionNames": [csv["metadata"]["name"]], "generation": generation},
        }, field_manager=CATALOG_OPERATOR)
        step = {"resolving": csv["metadata"]["name"], "status": "Unknown",
                "resource": {"group": "operators.coreos.com", "version": "v1alpha1", "kind": "ClusterServiceVersion",
                             "name": csv["metadata"]["name"], "manifest": json.dumps(csv, sort_keys=True),
                             "sourceName": spec.get("source"), "sourceNamespace": spec.get("sourceNamespace")}}
        return self.ctx.store.patch(kind, plan["metadata"]["name"], {"status": {
            "phase": "Installing" if approval == "Automatic" else "RequiresApproval", "catalogSources": [CATALOG],
            "plan": [step], "bundleLookups": [{"identifier": csv["metadata"]["name"], "replaces":
                                               csv["spec"].get("replaces", ""), "path": f"{PACKAGE}/{channel}"}]}},
            MERGE, namespace=ns, subresource="status", field_manager=CATALOG_OPERATOR)

    def _write(self, sub: Obj, status: dict[str, Any]) -> None:
        if status != (sub.get("status") or {}):
            status["lastUpdated"] = self.ctx.now()
            self.ctx.store.update(self.ctx.kind(OLM, "Subscription"), {**sub, "status": status},
                                  namespace=sub["metadata"]["namespace"], subresource="status",
                                  field_manager=CATALOG_OPERATOR)


def _condition(type_: str, status: str, reason: str, message: str, now: str) -> dict[str, Any]:
    condition = {"type": type_, "status": status, "reason": reason, "lastTransitionTime": now}
    if message:
        condition["message"] = message
    return condition


class InstallPlans:
    """The catalog operator's InstallPlan execution: once approved, each step's manifest is created."""

    name = "olm-installplans"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.watches = (Watched(OLM, "InstallPlan"),)

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        plan = self.ctx.read(OLM, "InstallPlan", name, ns)
        if plan is None or not (plan.get("status") or {}).get("plan"):
            return None
        status = plan["status"]
        if status.get("phase") == "Complete":
            return None
        kind = self.ctx.kind(OLM, "InstallPlan")
        if not (plan.get("spec") or {}).get("approved"):
            if status.get("phase") != "RequiresApproval":
                self.ctx.store.patch(kind, name, {"status": {"phase": "RequiresApproval"}}, MERGE, namespace=ns,
                                     subresource="status", field_manager=CATALOG_OPERATOR)
            return None
        steps = []
        for step in status["plan"]:
            manifest = json.loads(step["resource"]["manifest"])
            manifest["metadata"]["namespace"] = ns
            csv_kind = self.ctx.kind(OLM, "ClusterServiceVersion")
            try:
                self.ctx.store.create(csv_kind, manifest, field_manager=CATALOG_OPERATOR)
                steps.append({**step, "status": "Created"})
            except AlreadyExists:
                steps.append({**step, "status": "Present"})
        self.ctx.store.patch(kind, name, {"status": {
            "phase": "Complete", "plan": steps, "startTime": status.get("startTime") or self.ctx.now(),
            "conditions": [_condition("Installed", "True", "", "", self.ctx.now())]}}, MERGE, namespace=ns,
            subresource="status", field_manager=CATALOG_OPERATOR)
        return None


class ClusterServiceVersions:
    """The OLM operator: a CSV's OperatorGroup annotations, its Deployments, its phase, its replacement."""

    name = "olm-operator"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.watches = (
            Watched(OLM, "ClusterServiceVersion", self._self_and_replaced),
            Watched("apps/v1", "Deployment", owned_by("ClusterServiceVersion")),
            Watched(OLM_V1, "OperatorGroup", self._group_keys),
        )

    def _self_and_replaced(self, _type: str, csv: Obj) -> Iterable[Key]:
        meta = csv["metadata"]
        replaces = (csv.get("spec") or {}).get("replaces")
        return [(meta["namespace"], meta["name"]), *([(meta["namespace"], replaces)] if replaces else [])]

    def _group_keys(self, etype: str, group: Obj) -> Iterable[Key]:
        """An OperatorGroup's own status, and every CSV in its namespace (key prefixed by `og:`)."""
        ns = group["metadata"]["namespace"]
        return [(ns, f"og:{group['metadata']['name']}"),
                *((ns, c["metadata"]["name"]) for c in self.ctx.list(OLM, "ClusterServiceVersion", ns))]

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        if name.startswith("og:"):
            return self._group_status(ns, name.removeprefix("og:"))
        csv = self.ctx.read(OLM, "ClusterServiceVersion", name, ns)
        if csv is None or csv["metadata"].get("deletionTimestamp"):
            return None
        groups = self.ctx.list(OLM_V1, "OperatorGroup", ns)
        if len(groups) != 1:
            reason, message = ("NoOperatorGroup", NO_GROUP) if not groups else ("TooManyOperatorGroups", TOO_MANY_GROUPS)
            return self._phase(csv, "Failed", reason, message, WARNING)
        group = groups[0]
        targets = ",".join((group.get("spec") or {}).get("targetNamespaces") or [])
        wanted = {"olm.operatorGroup": group["metadata"]["name"], "olm.operatorNamespace": ns, TARGET_NAMESPACES: targets}
        annotations = csv["metadata"].get("annotations") or {}
        kind = self.ctx.kind(OLM, "ClusterServiceVersion")
        if any(annotations.get(k) != v for k, v in wanted.items()):
            csv = self.ctx.store.patch(kind, name, {"metadata": {"annotations": wanted}}, MERGE, namespace=ns,
                                       field_manager=OLM_OPERATOR)
        successor = next((c for c in self.ctx.list(OLM, "ClusterServiceVersion", ns)
                          if (c.get("spec") or {}).get("replaces") == name), None)
        if successor is not None:
            if (successor.get("status") or {}).get("phase") == "Succeeded":
                self._phase(csv, "Deleting", "Replaced", "has been replaced by a newer ClusterServiceVersion "
                            "that has successfully installed.")
                self.ctx.store.delete(kind, name, ns)
                return None
            return self._phase(csv, "Replacing", "BeingReplaced",
                               f"being replaced by csv: {successor['metadata']['name']}")
        phase = (csv.get("status") or {}).get("phase", "")
        if phase in ("", "Failed"):
            self._phase(csv, "Pending", "RequirementsUnknown", "requirements not yet checked")
            self._phase(self._fresh(csv), "InstallReady", "AllRequirementsMet", "all requirements found, attempting install")
            csv = self._fresh(csv)
        applied, waiting = self._install(csv)
        if waiting:
            if phase == "Succeeded" and not applied:
                return self._phase(csv, "Failed", "ComponentUnhealthy", f"installing: {waiting}", WARNING)
            return self._phase(csv, "Installing", "InstallWaiting", f"installing: {waiting}")
        return self._phase(csv, "Succeeded", "InstallSucceeded", "install strategy completed with no errors")

    def _fresh(self, csv: Obj) -> Obj:
        return self.ctx.read(OLM, "ClusterServiceVersion", csv["metadata"]["name"], csv["metadata"]["namespace"]) or csv

    def _install(self, csv: Obj) -> tuple[bool, str]:
        """Create or update the install strategy's Deployments: (whether one was written, what is not ready)."""
        ns = csv["metadata"]["namespace"]
        annotations = {k: v for k, v in (csv["metadata"].get("annotations") or {}).items()
                       if k != "kubectl.kubernetes.io/last-applied-configuration"}
        kind = self.ctx.kind("apps/v1", "Deployment")
        for entry in ((csv.get("spec") or {}).get("install") or {}).get("spec", {}).get("deployments") or []:
            spec = copy.deepcopy(entry["spec"])
            template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
            template_meta["annotations"] = {**annotations, **(template_meta.get("annotations") or {})}
            digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
            dep_name = entry["name"]
            current = self.ctx.read("apps/v1", "Deployment", dep_name, ns)
            if current is None or (current["metadata"].get("labels") or {}).get(SPEC_HASH) != digest:
                self.ctx.store.patch(kind, dep_name, {
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": dep_name, "namespace": ns, "ownerReferences": [controller_ref(csv)],
                                 "labels": {SPEC_HASH: digest, "olm.owner": csv["metadata"]["name"],
                                            "olm.owner.kind": "ClusterServiceVersion", "olm.owner.namespace": ns,
                                            f"operators.coreos.com/{PACKAGE}.{ns}": ""}},
                    "spec": spec}, APPLY, namespace=ns, field_manager=OLM_OPERATOR, force=True)
                return True, NOT_AVAILABLE.format(dep=dep_name)
            dstatus = current.get("status") or {}
            replicas = (current.get("spec") or {}).get("replicas", 1)
            if dstatus.get("observedGeneration", 0) < current["metadata"].get("generation", 1) \
                    or dstatus.get("updatedReplicas", 0) < replicas:
                return False, ROLLING_OUT.format(dep=dep_name, updated=dstatus.get("updatedReplicas", 0), replicas=replicas)
            if dstatus.get("availableReplicas", 0) < replicas or dstatus.get("replicas", 0) > replicas:
                return False, NOT_AVAILABLE.format(dep=dep_name)
        return False, ""

    def _phase(self, csv: Obj, phase: str, reason: str, message: str, type_: str = NORMAL) -> None:
        """Move the CSV to `phase` (a condition appended per transition, an Event), unless it is there."""
        status = dict(csv.get("status") or {})
        if (status.get("phase"), status.get("reason"), status.get("message")) == (phase, reason, message):
            return
        now = self.ctx.now()
        entry = {"phase": phase, "reason": reason, "message": message, "lastUpdateTime": now, "lastTransitionTime": now}
        status.update(entry, conditions=[*(status.get("conditions") or []), entry][-20:])
        status.setdefault("requirementStatus", [])
        try:
            self.ctx.store.update(self.ctx.kind(OLM, "ClusterServiceVersion"), {**csv, "status": status},
                                  namespace=csv["metadata"]["namespace"], subresource="status", field_manager=OLM_OPERATOR)
        except NotFound:
            return
        self.ctx.events.record(csv, type_, reason, message, component="operator-lifecycle-manager")

    def _group_status(self, ns: str, name: str) -> None:
        group = self.ctx.read(OLM_V1, "OperatorGroup", name, ns)
        if group is None:
            return
        namespaces = list((group.get("spec") or {}).get("targetNamespaces") or [""])
        if (group.get("status") or {}).get("namespaces") != namespaces:
            self.ctx.store.patch(self.ctx.kind(OLM_V1, "OperatorGroup"), name, {"status": {
                "namespaces": namespaces, "lastUpdated": self.ctx.now()}}, MERGE, namespace=ns, subresource="status",
                field_manager=OLM_OPERATOR)
