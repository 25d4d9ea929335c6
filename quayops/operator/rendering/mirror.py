"""The managed `mirror` component's Deployment. Mirrors quay-operator kustomize/components/mirror
(operator-facts §5.2)."""

from __future__ import annotations

from quayops.operator.rendering.base import Context, anti_affinity, deployment, proxy_env, resources


def render(ctx: Context, quay_app: dict) -> list[dict]:
    app_pod = quay_app["spec"]["template"]["spec"]
    app_env = {e["name"]: e for e in app_pod["containers"][0]["env"]}
    env = [app_env["QE_K8S_CONFIG_SECRET"], app_env["QE_K8S_NAMESPACE"], {"name": "DEBUGLOG", "value": "false"},
           {"name": "ENSURE_NO_MIGRATION", "value": "true"},
           *proxy_env(app_env["HTTP_PROXY"]["valueFrom"]["secretKeyRef"]["name"])]
    pod = {
        "serviceAccountName": ctx.n("quay-app"),
        "affinity": anti_affinity("quay-mirror"),
        "volumes": app_pod["volumes"],
        "initContainers": [{
            "name": "quay-mirror-init", "image": ctx.image("RELATED_IMAGE_COMPONENT_QUAY"),
            "command": ["sh", "-c", (f"curl -k --silent --fail http://{ctx.n('quay-app')}/health/instance "
                                    "&& exit 0 || sleep 5; exit 1")],
        }],
        "containers": [{
            "name": "quay-mirror", "image": ctx.image("RELATED_IMAGE_COMPONENT_QUAY"),
            "args": ["repomirror-nomigrate"], "env": env,
            "resources": resources("500m", "512Mi", "1000m", "2Gi"),
            "volumeMounts": app_pod["containers"][0]["volumeMounts"],
        }],
    }
    return [deployment(ctx, "quay-mirror", "mirror", "quay-mirror", "quay-mirror", pod, recreate=True)]
