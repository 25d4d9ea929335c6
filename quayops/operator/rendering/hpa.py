"""The managed `horizontalpodautoscaler` component's 3 HPAs (autoscaling/v2). Mirrors quay-operator
kustomize/components/horizontalpodautoscaler (operator-facts §5.2). Rendered even for unmanaged clair or
mirror: the 3.8 filter meant to drop those never fires (§4)."""

from __future__ import annotations

from quayops.operator.rendering.base import Context, obj

BOUNDS = (("quay-app", 2, 20), ("clair-app", 2, 10), ("quay-mirror", 2, 20))


def render(ctx: Context) -> list[dict]:
    return [
        obj("autoscaling/v2", "HorizontalPodAutoscaler", ctx.n(target), component="horizontalpodautoscaler",
            spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": ctx.n(target)},
                "minReplicas": low, "maxReplicas": high,
                "metrics": [{"type": "Resource", "resource": {
                    "name": resource, "target": {"type": "Utilization", "averageUtilization": 90}}}
                    for resource in ("cpu", "memory")],
            })
        for target, low, high in BOUNDS
    ]
