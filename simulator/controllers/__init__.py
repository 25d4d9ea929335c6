"""The cluster's controllers: each reads and writes the Store (never HTTP) and is driven by a Runner.

`REGISTRY` lists them in the order a Runner steps them; later controllers (OLM, the Quay Operator)
join by adding a `Registration`. Import rule: controllers import `simulator.store`, never `apiserver`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass

from simulator.controllers.base import Context, Controller, Runner

__all__ = ["REGISTRY", "Context", "Controller", "Registration", "Runner", "build_controllers"]


@dataclass(frozen=True)
class Registration:
    """One controller: `module:Class` taking a Context, and the platforms it runs on."""

    name: str
    target: str
    platforms: tuple[str, ...] = ("openshift", "kubernetes")

    def build(self, ctx: Context) -> Controller:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)(ctx)


_OPENSHIFT = ("openshift",)

REGISTRY: list[Registration] = [
    Registration("nodes", "simulator.controllers.nodes:NodeLifecycle"),
    Registration("volumes", "simulator.controllers.volumes:Volumes"),
    Registration("cronjobs", "simulator.controllers.cronjobs:CronJobs"),
    Registration("jobs", "simulator.controllers.jobs:Jobs"),
    Registration("horizontalpodautoscalers", "simulator.controllers.hpa:HorizontalPodAutoscalers"),
    Registration("deployments", "simulator.controllers.deployments:Deployments"),
    Registration("statefulsets", "simulator.controllers.statefulsets:StatefulSets"),
    Registration("replicasets", "simulator.controllers.replicasets:ReplicaSets"),
    Registration("scheduler", "simulator.controllers.scheduler:Scheduler"),
    Registration("kubelet", "simulator.controllers.pods:Kubelet"),
    Registration("endpoints", "simulator.controllers.endpoints:Endpoints"),
    Registration("routes", "simulator.controllers.routes:Router", _OPENSHIFT),
    Registration("objectbucketclaims", "simulator.controllers.bucketclaims:BucketClaims", _OPENSHIFT),
    Registration("olm-subscriptions", "simulator.controllers.olm:Subscriptions", _OPENSHIFT),
    Registration("olm-installplans", "simulator.controllers.olm:InstallPlans", _OPENSHIFT),
    Registration("olm-operator", "simulator.controllers.olm:ClusterServiceVersions", _OPENSHIFT),
    Registration("quay-operator", "simulator.controllers.quay_operator:QuayOperator"),
    Registration("quay-operator-status", "simulator.controllers.quay_operator:QuayRegistryStatus"),
    Registration("quayecosystem-migration", "simulator.controllers.quayecosystem:QuayEcosystems"),
]


def build_controllers(ctx: Context, names: Iterable[str] | None = None) -> list[Controller]:
    """The registered controllers for the context's platform (all of them, or those named)."""
    wanted = None if names is None else set(names)
    return [r.build(ctx) for r in REGISTRY
            if ctx.profile.platform in r.platforms and (wanted is None or r.name in wanted)]
