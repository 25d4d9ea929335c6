"""The Quay Operator's QuayEcosystem migration controller: `quayops.operator.migration`'s decision, carried out.

Mirrors quay-operator controllers/redhatcop/quayecosystem_controller.go (operator-facts §11): the new
bundle Secret and QuayRegistry are created, then the QuayEcosystem is labelled migration-complete.
"""

from __future__ import annotations

from collections.abc import Iterable

from quayops.model.conditions import EcosystemReason
from quayops.operator.migration import (
    MIGRATION_COMPLETE_LABEL,
    OLD_CONFIG_SECRET,
    plan_ecosystem_failure,
    plan_ecosystem_migration,
)
from quayops.operator.plan import FIELD_OWNER
from simulator.controllers.base import Context, Key, Obj, Watched
from simulator.controllers.quay_operator import detect_operator, is_operator_pod, now_of
from simulator.store.errors import StatusError

ECOSYSTEM = ("redhatcop.redhat.io/v1alpha1", "QuayEcosystem")
MERGE = "application/merge-patch+json"


class QuayEcosystems:
    """QuayEcosystems labelled `quay-operator/migrate: "true"` become QuayRegistries while an operator runs."""

    name = "quayecosystem-migration"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.watches = (Watched(*ECOSYSTEM), Watched("v1", "Pod", self._all))

    def _all(self, _type: str, pod: Obj) -> Iterable[Key]:
        if not is_operator_pod(pod):
            return ()
        return [(e["metadata"]["namespace"], e["metadata"]["name"]) for e in self.ctx.list(*ECOSYSTEM)]

    def reconcile(self, key: Key) -> float | None:
        ns, name = key
        if detect_operator(self.ctx, ns) is None:
            return None
        ecosystem = self.ctx.get(*ECOSYSTEM, name, ns)
        if ecosystem is None or ecosystem["metadata"].get("deletionTimestamp"):
            return None
        now = now_of(self.ctx)
        decision = plan_ecosystem_migration(ecosystem, self.ctx.read("v1", "Secret", OLD_CONFIG_SECRET, ns),
                                            random=self.ctx.rng, now=now)
        status = decision.status
        if decision.registry is not None:
            try:
                for obj in (decision.bundle, decision.registry):
                    self.ctx.store.create(self.ctx.kind(obj["apiVersion"], obj["kind"]), obj, field_manager=FIELD_OWNER)
            except StatusError as e:
                status = plan_ecosystem_failure(ecosystem, EcosystemReason.QUAY_REGISTRY_CREATION_ERROR, e.message,
                                                now=now)
            else:
                try:
                    ecosystem = self.ctx.store.patch(
                        self.ctx.kind(*ECOSYSTEM), name, {"metadata": {"labels": {MIGRATION_COMPLETE_LABEL: "true"}}},
                        MERGE, namespace=ns, field_manager=FIELD_OWNER)
                except StatusError as e:
                    status = plan_ecosystem_failure(ecosystem, EcosystemReason.QUAY_ECOSYSTEM_LABEL_ERROR, e.message,
                                                    now=now)
        if status is not None and status != (ecosystem.get("status") or {}):
            self.ctx.store.update(self.ctx.kind(*ECOSYSTEM), {**ecosystem, "status": status}, namespace=ns,
                                  subresource="status", field_manager=FIELD_OWNER)
        return None
