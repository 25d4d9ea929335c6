"""The managed `postgres` component's 7 objects. Mirrors quay-operator kustomize/components/postgres
and pkg/kustomize/secrets.go componentConfigFilesFor (operator-facts §5.2)."""

from __future__ import annotations

from urllib.parse import urlsplit

from quayops.operator.rendering.base import (
    Context,
    deployment,
    obj,
    pvc,
    resources,
    secret,
    service,
    service_account,
)

CREATE_EXTENSIONS = (
    "#!/bin/bash\n"
    "echo \"attempting to create pg_trgm extension if it does not exist\"\n"
    "_psql () { psql --set ON_ERROR_STOP=1 \"$@\" ; }\n"
    "echo \"CREATE EXTENSION IF NOT EXISTS pg_trgm;\" | _psql -d $POSTGRESQL_DATABASE\n"
)


def render(ctx: Context) -> list[dict]:
    uri = urlsplit(ctx.keys.DB_URI)
    config = secret(ctx, "postgres-config-secret", {
        "database-username": uri.username or "", "database-password": uri.password or "",
        "database-name": uri.path[1:], "database-root-password": ctx.keys.DB_ROOT_PW}, component="postgres")
    bootstrap = secret(ctx, "postgres-bootstrap", {"create-extensions.sh": CREATE_EXTENSIONS}, component="postgres")
    env_from = [("POSTGRESQL_USER", "database-username"), ("POSTGRESQL_DATABASE", "database-name"),
                ("POSTGRESQL_PASSWORD", "database-password"), ("POSTGRESQL_ADMIN_PASSWORD", "database-root-password")]
    pod = {
        "serviceAccountName": ctx.n("quay-database"),
        "terminationGracePeriodSeconds": 180,
        "volumes": [
            {"name": "postgres-data", "persistentVolumeClaim": {"claimName": ctx.n("quay-database")}},
            {"name": "postgres-conf-sample", "configMap": {"name": ctx.n("postgres-conf-sample")}},
            {"name": "postgres-bootstrap", "secret": {"secretName": bootstrap["metadata"]["name"],
                                                      "defaultMode": 0o755}},
        ],
        "containers": [{
            "name": "postgres", "image": ctx.image("RELATED_IMAGE_COMPONENT_POSTGRES"),
            "ports": [{"containerPort": 5432, "protocol": "TCP"}],
            "env": [{"name": n, "valueFrom": {"secretKeyRef": {"name": config["metadata"]["name"], "key": k}}}
                    for n, k in env_from]
            + [{"name": "POSTGRESQL_SHARED_BUFFERS", "value": "256MB"},
               {"name": "POSTGRESQL_MAX_CONNECTIONS", "value": "2000"}],
            "resources": {"requests": resources("500m", "2Gi")["requests"]},
            "volumeMounts": [
                {"name": "postgres-data", "mountPath": "/var/lib/pgsql/data"},
                {"name": "postgres-conf-sample", "mountPath": "/usr/share/pgsql/postgresql.conf.sample",
                 "subPath": "postgresql.conf.sample"},
                {"name": "postgres-bootstrap", "mountPath": "/opt/app-root/src/postgresql-start"},
            ],
        }],
    }
    return [
        deployment(ctx, "quay-database", "postgres", "postgres", "postgres", pod, replicas=1, recreate=True),
        pvc(ctx, "quay-database", "postgres", "postgres"),
        service(ctx, "quay-database", "postgres", "postgres", "postgres",
                [{"name": "postgres", "port": 5432, "targetPort": 5432, "protocol": "TCP"}]),
        service_account(ctx, "quay-database", "postgres"),
        obj("v1", "ConfigMap", ctx.n("postgres-conf-sample"), component="postgres",
            data={"postgresql.conf.sample": "huge_pages = off\n"}),
        config,
        bootstrap,
    ]
