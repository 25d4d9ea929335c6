"""The managed `clairpostgres` component's 5 objects. Mirrors quay-operator
kustomize/components/clairpostgres (operator-facts §5.2)."""

from __future__ import annotations

from quayops.operator.rendering.base import Context, deployment, obj, pvc, resources, service, service_account


def render(ctx: Context) -> list[dict]:
    pod = {
        "serviceAccountName": ctx.n("clair-postgres"),
        "volumes": [
            {"name": "postgres-data", "persistentVolumeClaim": {"claimName": ctx.n("clair-postgres")}},
            {"name": "clair-postgres-conf-sample", "configMap": {"name": ctx.n("clair-postgres-conf-sample")}},
        ],
        "containers": [{
            "name": "postgres", "image": ctx.image("RELATED_IMAGE_COMPONENT_POSTGRES"),
            "ports": [{"containerPort": 5432, "protocol": "TCP"}],
            "env": [{"name": n, "value": "postgres"} for n in
                    ("POSTGRESQL_USER", "POSTGRESQL_DATABASE", "POSTGRESQL_PASSWORD", "POSTGRESQL_ADMIN_PASSWORD")]
            + [{"name": "POSTGRESQL_MAX_CONNECTIONS", "value": "1000"}],
            "resources": {"requests": resources("500m", "2Gi")["requests"]},
            "volumeMounts": [
                {"name": "postgres-data", "mountPath": "/var/lib/pgsql/data"},
                {"name": "clair-postgres-conf-sample", "mountPath": "/usr/share/pgsql/postgresql.conf.sample",
                 "subPath": "postgresql.conf.sample"},
            ],
        }],
    }
    return [
        deployment(ctx, "clair-postgres", "clair-postgres", "clair-postgres", "clair-postgres", pod,
                   replicas=1, recreate=True),
        pvc(ctx, "clair-postgres", "clair-postgres", "clair-postgres"),
        service(ctx, "clair-postgres", "clair-postgres", "clair-postgres", "clair-postgres",
                [{"name": "postgres", "port": 5432, "targetPort": 5432, "protocol": "TCP"}]),
        service_account(ctx, "clair-postgres", "clair-postgres"),
        obj("v1", "ConfigMap", ctx.n("clair-postgres-conf-sample"), component="clair-postgres",
            data={"postgresql.conf.sample": "huge_pages = off\n"}),
    ]
