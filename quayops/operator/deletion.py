"""Deleting a QuayRegistry: the finalizer's clean-up, then its removal.

Mirrors quay-operator controllers/quay/quayregistry_controller.go manageQuayDeletion and finalizeQuay
(operator-facts §12). Everything else goes through ownerReference garbage collection.
"""

from __future__ import annotations

from quayops.operator.plan import FINALIZER, ObjectRef, Observed, Patch, Plan, Step
from quayops.operator.rendering.monitoring import GRAFANA_NAMESPACE

CLUSTER_MONITORING_LABEL = "openshift.io/cluster-monitoring"
MANAGED_LABEL = "quay-operator/managed-label"


def plan_deletion(observed: Observed) -> Plan:
    """Reconcile step 2: with the finalizer, clean up (all-namespaces installs only), then remove it.

    Clean-up: (a) the namespace's monitoring labels when the operator set them and this is the
    namespace's only QuayRegistry; (b) the Grafana dashboard ConfigMap in `openshift-config-managed`.
    No requeue either way.
    """
    registry = observed.registry
    meta = registry["metadata"]
    if FINALIZER not in (meta.get("finalizers") or []):
        return Plan(Step.DELETION, requeue_after=None)
    patches, deletes = [], []
    if not observed.platform.watch_namespace:
        labels = ((observed.namespace or {}).get("metadata") or {}).get("labels") or {}
        if MANAGED_LABEL in labels and observed.registries_in_namespace == 1:
            patches.append(Patch(ObjectRef("v1", "Namespace", meta["namespace"], ""),
                                 {"metadata": {"labels": {CLUSTER_MONITORING_LABEL: None, MANAGED_LABEL: None}}}))
        deletes.append(ObjectRef("v1", "ConfigMap", f"{meta['name']}-grafana-dashboard-quay", GRAFANA_NAMESPACE))
    return Plan(Step.DELETION, requeue_after=None, delete=tuple(deletes), patch=tuple(patches),
                remove_finalizer=FINALIZER)
