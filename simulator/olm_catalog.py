"""The `redhat-operators` catalog's `quay-operator` package: channels stable-3.4 … stable-3.7 and their CSVs.

Shaped as the Red Hat index serves them (bundle/downstream/manifests in quay/quay-operator): name
`quay-operator.v<version>`, `replaces` the previous z-stream, `olm.skipRange`, `quay-version`, and one
install Deployment whose env carries QUAY_VERSION and RELATED_IMAGE_COMPONENT_*. Digests are made up.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from quayops.model.versions import Version, parse_version
from simulator.store import Store
from simulator.store.errors import AlreadyExists

CATALOG = "redhat-operators"
CATALOG_NAMESPACE = "openshift-marketplace"
PACKAGE = "quay-operator"
OPERATOR_POD_LABEL = {"name": "quay-operator-alm-owned"}
OPERATOR_CONTAINER = "quay-operator"
# channel → its z-streams, oldest first; each channel's skipRange starts where the catalog lets one jump from.
CHANNELS: dict[str, tuple[str, ...]] = {
    "stable-3.4": ("3.4.5", "3.4.6", "3.4.7"),
    "stable-3.5": ("3.5.5", "3.5.6", "3.5.7"),
    "stable-3.6": ("3.6.8", "3.6.9", "3.6.10"),
    "stable-3.7": ("3.7.12", "3.7.13", "3.7.14"),
}
SKIP_FROM = {"stable-3.4": "3.3.x", "stable-3.5": "3.4.x", "stable-3.6": "3.3.x", "stable-3.7": "3.4.x"}
DEFAULT_CHANNEL = "stable-3.7"
IMAGES = {
    "quay-operator": "registry.redhat.io/quay/quay-operator-rhel8",
    "RELATED_IMAGE_COMPONENT_QUAY": "registry.redhat.io/quay/quay-rhel8",
    "RELATED_IMAGE_COMPONENT_CLAIR": "registry.redhat.io/quay/clair-rhel8",
    "RELATED_IMAGE_COMPONENT_POSTGRES": "registry.redhat.io/rhel8/postgresql-10",
    "RELATED_IMAGE_COMPONENT_REDIS": "registry.redhat.io/rhel8/redis-6",
}


def image_for(what: str, version: str) -> str:
    """`<repository>@sha256:<digest>`: a stable made-up digest per image and release."""
    return f"{IMAGES[what]}@sha256:{hashlib.sha256(f'{what}:{version}'.encode()).hexdigest()}"


def csv_name(version: str) -> str:
    return f"{PACKAGE}.v{version}"


def render_csv(version: str, *, replaces: str | None, skip_range: str) -> dict[str, Any]:
    """One ClusterServiceVersion as the catalog holds it (no namespace, no status)."""
    name = csv_name(version)
    related = {k: image_for(k, version) for k in IMAGES}
    env = [
        {"name": "MY_POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "MY_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "WATCH_NAMESPACE",
         "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['olm.targetNamespaces']"}}},
        {"name": "QUAY_VERSION", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['quay-version']"}}},
        {"name": "QUAY_DEFAULT_BRANDING", "value": "redhat"},
        *({"name": k, "value": v} for k, v in related.items() if k.startswith("RELATED_IMAGE_")),
    ]
    deployment = {
        "name": name,
        "spec": {"replicas": 1, "selector": {"matchLabels": dict(OPERATOR_POD_LABEL)},
                 "template": {"metadata": {"labels": dict(OPERATOR_POD_LABEL), "name": "quay-operator-alm-owned"},
                              "spec": {"serviceAccountName": PACKAGE, "containers": [{
                                  "name": OPERATOR_CONTAINER, "image": related["quay-operator"],
                                  "command": ["/workspace/manager", "--namespace=$(WATCH_NAMESPACE)"],
                                  "env": env}]}}},
    }
    spec: dict[str, Any] = {
        "displayName": "Red Hat Quay", "version": version, "maturity": "stable",
        "provider": {"name": "Red Hat"},
        "customresourcedefinitions": {"owned": [
            {"name": "quayregistries.quay.redhat.com", "kind": "QuayRegistry", "version": "v1",
             "displayName": "Quay Registry"},
            {"name": "quayecosystems.redhatcop.redhat.io", "kind": "QuayEcosystem", "version": "v1alpha1",
             "displayName": "Quay Ecosystem"}]},
        "install": {"strategy": "deployment", "spec": {"deployments": [deployment]}},
        "installModes": [{"type": t, "supported": True}
                         for t in ("OwnNamespace", "SingleNamespace", "MultiNamespace", "AllNamespaces")],
        "relatedImages": [{"name": k.removeprefix("RELATED_IMAGE_").lower(), "image": v} for k, v in related.items()],
    }
    if replaces:
        spec["replaces"] = replaces
    return {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "ClusterServiceVersion",
            "metadata": {"name": name, "annotations": {
                "olm.skipRange": skip_range, "quay-version": f"v{version}", "capabilities": "Full Lifecycle",
                "categories": "Integration & Delivery", "containerImage": related["quay-operator"],
                "repository": "https://github.com/quay/quay-operator",
                "operators.operatorframework.io/internal-objects": '["quayecosystems.redhatcop.redhat.io"]'}},
            "spec": spec}


_BOUND = re.compile(r"^(>=|<=|>|<|=)?v?(\d+)\.(\d+)(?:\.(\d+|x))?$")


def in_range(version: str, skip_range: str) -> bool:
    """Whether `version` satisfies a semver range such as `>=3.4.x <3.7.14` (blang/semver, as OLM)."""
    v = parse_version(version)
    v = Version(v.major, v.minor, v.patch or 0)
    for term in skip_range.split():
        m = _BOUND.match(term)
        if m is None:
            return False
        op, major, minor, patch = m.groups()
        bound = Version(int(major), int(minor), 0 if patch in (None, "x") else int(patch))
        ok = {">=": v >= bound, ">": v > bound, "<=": v <= bound, "<": v < bound}.get(op or "=", v == bound)
        if not ok:
            return False
    return True


@dataclass
class Catalog:
    """A package's channels, each a list of CSVs oldest first; `publish` adds a newer one (a catalog update)."""

    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    default_channel: str = DEFAULT_CHANNEL

    def head(self, channel: str) -> dict[str, Any] | None:
        entries = self.channels.get(channel) or []
        return entries[-1] if entries else None

    def find(self, channel: str, name: str) -> dict[str, Any] | None:
        return next((c for c in self.channels.get(channel) or [] if c["metadata"]["name"] == name), None)

    def replacement(self, channel: str, installed: str) -> dict[str, Any] | None:
        """The newest CSV in `channel` that replaces or skips `installed` (OLM's next step on the update graph)."""
        version = installed.removeprefix(f"{PACKAGE}.v")
        for csv in reversed(self.channels.get(channel) or []):
            if csv["metadata"]["name"] == installed:
                return None
            skip = csv["metadata"].get("annotations", {}).get("olm.skipRange", "")
            if csv["spec"].get("replaces") == installed or (skip and in_range(version, skip)):
                return copy.deepcopy(csv)
        return None

    def publish(self, channel: str, version: str, *, skip_range: str | None = None) -> dict[str, Any]:
        """Add `version` at the head of `channel`, replacing the current head (as a catalog update does)."""
        head = self.head(channel)
        csv = render_csv(version, replaces=head["metadata"]["name"] if head else None,
                         skip_range=skip_range or f">={SKIP_FROM.get(channel, '3.4.x')} <{version}")
        self.channels.setdefault(channel, []).append(csv)
        return csv


def default_catalog() -> Catalog:
    """The catalog as the simulator starts with it."""
    catalog = Catalog()
    for channel, versions in CHANNELS.items():
        for version in versions:
            catalog.publish(channel, version)
    return catalog


def channel_for(version: str) -> str:
    """The channel that ships `version` (`3.7.14` → `stable-3.7`)."""
    return f"stable-{parse_version(version).minor_name}"


def catalog_source(now: str) -> dict[str, Any]:
    """The `redhat-operators` CatalogSource as a fresh OpenShift 4.x cluster has it."""
    return {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "CatalogSource",
            "metadata": {"name": CATALOG, "namespace": CATALOG_NAMESPACE},
            "spec": {"sourceType": "grpc", "image": "registry.redhat.io/redhat/redhat-operator-index:v4.10",
                     "displayName": "Red Hat Operators", "publisher": "Red Hat", "priority": -100,
                     "updateStrategy": {"registryPoll": {"interval": "10m0s"}}},
            "status": {"connectionState": {"address": f"{CATALOG}.{CATALOG_NAMESPACE}.svc:50051",
                                           "lastConnect": now, "lastObservedState": "READY"}}}


LATEST = CHANNELS[DEFAULT_CHANNEL][-1]


def render_subscription(version: str = LATEST, *, namespace: str = "openshift-operators",
                        approval: str = "Automatic") -> dict[str, Any]:
    """A Subscription to `quay-operator` at `version` (its channel, startingCSV), as the install guide writes it."""
    return {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "Subscription",
            "metadata": {"name": PACKAGE, "namespace": namespace},
            "spec": {"channel": channel_for(version), "installPlanApproval": approval, "name": PACKAGE,
                     "source": CATALOG, "sourceNamespace": CATALOG_NAMESPACE, "startingCSV": csv_name(version)}}


def subscribe_at_bootstrap(version: str = LATEST):
    """A profile bootstrap step: the Subscription in `openshift-operators` (all namespaces), for OLM to install."""
    if version not in {v for versions in CHANNELS.values() for v in versions}:
        raise ValueError(f"no quay-operator {version} in the catalog: expected one of "
                         f"{', '.join(v for vs in CHANNELS.values() for v in vs)}")

    def bootstrap(store: Store, _profile: object) -> None:
        sub = render_subscription(version)
        try:
            store.create(store.kind_of(sub), sub, field_manager="cluster-bootstrap")
        except AlreadyExists:
            pass
    return bootstrap
