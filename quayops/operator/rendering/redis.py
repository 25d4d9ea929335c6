"""The managed `redis` component's 3 objects. Mirrors quay-operator kustomize/components/redis
(operator-facts §5.2)."""

from __future__ import annotations

from quayops.operator.rendering.base import Context, deployment, resources, service, service_account


def render(ctx: Context) -> list[dict]:
    pod = {"serviceAccountName": ctx.n("quay-redis"), "containers": [{
        "name": "redis-master", "image": ctx.image("RELATED_IMAGE_COMPONENT_REDIS"),
        "ports": [{"containerPort": 6379, "protocol": "TCP"}],
        "resources": resources("500m", "1Gi", "4000m", "16Gi"),
    }]}
    return [
        deployment(ctx, "quay-redis", "redis", "redis", "redis", pod, replicas=1),
        service(ctx, "quay-redis", "redis", "redis", "redis",
                [{"name": "redis", "port": 6379, "targetPort": 6379, "protocol": "TCP"}]),
        service_account(ctx, "quay-redis", "redis"),
    ]
