"""`target` → a `kubernetes` ApiClient. A target is a kubeconfig context name (the simulator writes one
called `simulator`), `in-cluster`, or None for the current context; nothing branches on which it is."""

from __future__ import annotations

import os

from quayops.errors import ClusterError


def connect(target: str | None = None, *, kubeconfig: str | os.PathLike | None = None):
    """An ApiClient for the target. Raises ClusterError naming the context when it cannot be loaded."""
    from kubernetes import client, config

    try:
        if target == "in-cluster":
            config.load_incluster_config()
            return client.ApiClient()
        # KUBECONFIG is read now, not when the kubernetes package was imported (it may have changed since)
        path = str(kubeconfig) if kubeconfig else os.environ.get("KUBECONFIG") or None
        return config.new_client_from_config(config_file=path, context=target or None)
    except (config.ConfigException, OSError, TypeError) as e:
        where = f"context {target!r}" if target else "the current context"
        raise ClusterError(
            f"cannot load {where} from kubeconfig {kubeconfig or os.environ.get('KUBECONFIG', '~/.kube/config')}: {e}",
            field="target",
            hint="Pass a context from `kubectl config get-contexts`, or start `quayops sim serve`.",
        ) from e


def read_secret(api_client, namespace: str, name: str) -> dict:
    """A Secret as a plain dict (data still base64), for Bundle readers."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        obj = client.CoreV1Api(api_client).read_namespaced_secret(name, namespace)
    except ApiException as e:
        raise ClusterError(
            f"cannot read Secret {namespace}/{name}: {e.reason} ({e.status})", component="Secret", field=name
        ) from e
    return api_client.sanitize_for_serialization(obj)
