"""What the cluster offers the operator, as its start-up and per-reconcile probes would find it.

Mirrors the capability probes of quay-operator controllers/quay/features.go (operator-facts §3.1) and
the operator's `--namespace` flag (§14). Defaults mean OpenShift 4.x with ODF, all-namespaces install.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    """Cluster capabilities; every field defaults to "present"."""

    # The probe Route `<name>-test-route` could be created and got an ingress.
    routes: bool = True
    # ObjectBucketClaims can be listed (ODF / NooBaa installed).
    object_bucket_claims: bool = True
    # ServiceMonitor and PrometheusRule can be listed (Prometheus-operator APIs).
    monitoring: bool = True
    # Namespace `openshift-config-managed` (where the Grafana dashboard goes) exists.
    grafana_namespace: bool = True
    # The operator's `--namespace` (WATCH_NAMESPACE); empty means all namespaces.
    watch_namespace: str = ""
    # Apps domain: the probe route's routerCanonicalHostname without `router-<routerName>.`.
    cluster_hostname: str = "apps.cluster.example.com"
    # PEM chain served on the probe route's host:443 (the cluster wildcard certificate).
    cluster_wildcard_cert: bytes = b""

    @property
    def supports_monitoring(self) -> bool:
        """SupportsMonitoring: all-namespaces install, the Prometheus APIs and the Grafana namespace."""
        return not self.watch_namespace and self.monitoring and self.grafana_namespace


def server_hostname(config: dict, *, name: str, namespace: str, platform: Platform) -> str:
    """ServerHostname: the user's SERVER_HOSTNAME, else the route host the cluster would give, else "".

    Mirrors checkRoutesAvailable in controllers/quay/features.go (operator-facts §6.2).
    """
    user = config.get("SERVER_HOSTNAME")
    if isinstance(user, str) and user:
        return user
    if platform.routes:
        return f"{name}-quay-{namespace}.{platform.cluster_hostname}"
    return ""


def buildman_hostname(config: dict) -> str:
    """The config's BUILDMAN_HOSTNAME, or "" (a non-string value panics upstream; treated as unset)."""
    value = config.get("BUILDMAN_HOSTNAME")
    return value if isinstance(value, str) else ""


# The Red Hat Quay 3.7 CSV's relatedImages. The digests are PLACEHOLDERS (all zeros), not the
# published ones; the image repositories are the CSV's.
PLACEHOLDER_DIGEST = "sha256:" + "0" * 64
CSV_3_7_RELATED_IMAGES = {
    "RELATED_IMAGE_COMPONENT_QUAY": f"registry.redhat.io/quay/quay-rhel8@{PLACEHOLDER_DIGEST}",
    "RELATED_IMAGE_COMPONENT_CLAIR": f"registry.redhat.io/quay/clair-rhel8@{PLACEHOLDER_DIGEST}",
    "RELATED_IMAGE_COMPONENT_REDIS": f"registry.redhat.io/rhel8/redis-6@{PLACEHOLDER_DIGEST}",
    "RELATED_IMAGE_COMPONENT_POSTGRES": f"registry.redhat.io/rhel8/postgresql-10@{PLACEHOLDER_DIGEST}",
}


@dataclass(frozen=True)
class OperatorEnv:
    """The operator process's settings (main.go and the CSV, operator-facts §14)."""

    quay_version: str = "v3.7.0"
    # QUAY_DEFAULT_BRANDING; "redhat" switches the base config's titles and logo.
    branding: str = "redhat"
    # MY_POD_NAMESPACE and DEV_OPERATOR_ENDPOINT: where the config editor reaches the operator.
    pod_namespace: str = "openshift-operators"
    dev_endpoint: str = ""
    skip_resource_requests: bool = False
    related_images: tuple[tuple[str, str], ...] = tuple(CSV_3_7_RELATED_IMAGES.items())
    # The operator's own proxy env, passed on to Quay and Clair.
    http_proxy: str = ""
    https_proxy: str = ""
    no_proxy: str = ""

    @property
    def service_endpoint(self) -> str:
        """The `quay-operator-service-endpoint` annotation value."""
        if self.dev_endpoint:
            return self.dev_endpoint
        if self.pod_namespace:
            return f"http://quay-operator.{self.pod_namespace}.svc.cluster.local:7071"
        return "http://quay-operator:7071"
