"""Version schemas of the custom resources quayops touches, as CRDs declare them. Pure data.

QuayRegistry follows quay-operator 3.7/3.8 `config/crd/bases/quay.redhat.com_quayregistries.yaml`
(operator-facts §1); the others keep the upstream top-level shape and leave spec and status open.
"""

from __future__ import annotations

from typing import Any

_STR = {"type": "string"}
_OPEN = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}

_ENV_VAR = {
    "type": "object",
    "description": "EnvVar represents an environment variable present in a Container.",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "description": "Name of the environment variable."},
        "value": _STR,
        "valueFrom": _OPEN,
    },
}

_CONDITION = {
    "type": "object",
    "description": "Condition is a single condition of a QuayRegistry.",
    "properties": {
        "type": _STR,
        "status": _STR,
        "reason": _STR,
        "message": _STR,
        "lastUpdateTime": {"type": "string", "format": "date-time"},
        "lastTransitionTime": {"type": "string", "format": "date-time"},
    },
}


def _version(spec: dict[str, Any], status: dict[str, Any], description: str,
             columns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "schema": {
            "openAPIV3Schema": {
                "type": "object",
                "description": description,
                "properties": {
                    "apiVersion": {"type": "string", "description": "APIVersion defines the versioned "
                                   "schema of this representation of an object."},
                    "kind": {"type": "string", "description": "Kind is a string value representing the "
                             "REST resource this object represents."},
                    "metadata": {"type": "object"},
                    "spec": spec,
                    "status": status,
                },
            }
        },
        "additionalPrinterColumns": [*(columns or []), _AGE],
    }


QUAYREGISTRY = _version(
    {
        "type": "object",
        "description": "QuayRegistrySpec defines the desired state of QuayRegistry.",
        "properties": {
            "configBundleSecret": {
                "type": "string",
                "description": "ConfigBundleSecret is the name of the Kubernetes `Secret` in the same "
                "namespace which contains the base Quay config and extra certs.",
            },
            "components": {
                "type": "array",
                "description": "Components declare how the Operator should handle backing Quay services.",
                "items": {
                    "type": "object",
                    "description": "Component describes how the Operator should handle a backing Quay "
                    "service.",
                    "required": ["kind", "managed"],
                    "properties": {
                        "kind": {"type": "string",
                                 "description": "Kind is the unique name of this type of component."},
                        "managed": {"type": "boolean",
                                    "description": "Managed indicates whether or not the Operator is "
                                    "responsible for the lifecycle of this component. Default is true."},
                        "overrides": {
                            "type": "object",
                            "description": "Overrides holds information regarding component specific "
                            "configurations.",
                            "properties": {
                                "volumeSize": {"anyOf": [{"type": "integer"}, {"type": "string"}],
                                               "x-kubernetes-int-or-string": True,
                                               "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
                                               r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)"
                                               r"|(\.[0-9]+))))?$"},
                                "env": {"type": "array", "items": _ENV_VAR},
                                "replicas": {"type": "integer", "format": "int32"},
                                "affinity": _OPEN,
                                "labels": _STRING_MAP,
                                "annotations": _STRING_MAP,
                            },
                        },
                    },
                },
            },
        },
    },
    {
        "type": "object",
        "description": "QuayRegistryStatus defines the observed state of QuayRegistry.",
        "properties": {
            "currentVersion": {"type": "string", "description": "CurrentVersion is the actual version "
                               "of Quay that is actively deployed."},
            "registryEndpoint": {"type": "string", "description": "RegistryEndpoint is the external "
                                 "access point for the Quay registry."},
            "lastUpdated": {"type": "string", "description": "LastUpdate is the timestamp when the "
                            "Operator last processed this instance."},
            "configEditorEndpoint": {"type": "string", "description": "ConfigEditorEndpoint is the "
                                     "external access point for a web-based reconfiguration interface."},
            "configEditorCredentialsSecret": {"type": "string", "description": "ConfigEditorCredentials"
                                              "Secret is the Secret with the config editor credentials."},
            "conditions": {"type": "array", "items": _CONDITION,
                           "description": "Conditions represent the conditions that a QuayRegistry can "
                           "have."},
        },
    },
    "QuayRegistry is the Schema for the quayregistries API.",
    [
        {"name": "Version", "type": "string", "jsonPath": ".status.currentVersion"},
        {"name": "Endpoint", "type": "string", "jsonPath": ".status.registryEndpoint", "priority": 1},
    ],
)

QUAYECOSYSTEM = _version(_OPEN, _OPEN, "QuayEcosystem is the Schema for the quayecosystems API "
                         "(redhat-cop quay-operator, before QuayRegistry).")

OBJECTBUCKETCLAIM = _version(
    {
        "type": "object",
        "properties": {
            "storageClassName": _STR,
            "bucketName": _STR,
            "generateBucketName": _STR,
            "objectBucketName": _STR,
            "additionalConfig": _OPEN,
        },
    },
    {"type": "object", "properties": {"phase": _STR}},
    "ObjectBucketClaim is the Schema for the objectbucketclaims API.",
    [
        {"name": "Storage-Class", "type": "string", "jsonPath": ".spec.storageClassName"},
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
    ],
)
OBJECTBUCKET = _version(_OPEN, _OPEN, "ObjectBucket is the Schema for the objectbuckets API.", [
    {"name": "Storage-Class", "type": "string", "jsonPath": ".spec.storageClassName"},
    {"name": "Claim-Namespace", "type": "string", "jsonPath": ".spec.claimRef.namespace"},
    {"name": "Claim-Name", "type": "string", "jsonPath": ".spec.claimRef.name"},
    {"name": "Reclaim-Policy", "type": "string", "jsonPath": ".spec.reclaimPolicy"},
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
])
SERVICEMONITOR = _version(_OPEN, _OPEN, "ServiceMonitor defines monitoring for a set of services.")
PROMETHEUSRULE = _version(_OPEN, _OPEN, "PrometheusRule defines recording and alerting rules for a "
                          "Prometheus instance.")
SUBSCRIPTION = _version(_OPEN, _OPEN, "Subscription keeps operators up to date by tracking changes to "
                        "Catalogs.", [
    {"name": "Package", "type": "string", "jsonPath": ".spec.name"},
    {"name": "Source", "type": "string", "jsonPath": ".spec.source"},
    {"name": "Channel", "type": "string", "jsonPath": ".spec.channel"},
])
INSTALLPLAN = _version(_OPEN, _OPEN, "InstallPlan defines the installation of a set of operators.", [
    {"name": "CSV", "type": "string", "jsonPath": ".spec.clusterServiceVersionNames[0]"},
    {"name": "Approval", "type": "string", "jsonPath": ".spec.approval"},
    {"name": "Approved", "type": "boolean", "jsonPath": ".spec.approved"},
])
CSV = _version(_OPEN, _OPEN, "ClusterServiceVersion is a Custom Resource of type `ClusterServiceVersionSpec`.", [
    {"name": "Display", "type": "string", "jsonPath": ".spec.displayName"},
    {"name": "Version", "type": "string", "jsonPath": ".spec.version"},
    {"name": "Replaces", "type": "string", "jsonPath": ".spec.replaces"},
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
])
CATALOGSOURCE = _version(_OPEN, _OPEN, "CatalogSource is a repository of CSVs, CRDs, and operator "
                         "packages.", [
    {"name": "Display", "type": "string", "jsonPath": ".spec.displayName"},
    {"name": "Type", "type": "string", "jsonPath": ".spec.sourceType"},
    {"name": "Publisher", "type": "string", "jsonPath": ".spec.publisher"},
])
OPERATORGROUP = _version(_OPEN, _OPEN, "OperatorGroup is the unit of multitenancy for OLM managed "
                         "operators.")
NOOBAA = _version(_OPEN, _OPEN, "NooBaa is the Schema for the NooBaas API.", [
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
])
BACKINGSTORE = _version(_OPEN, _OPEN, "BackingStore is the Schema for the backingstores API.", [
    {"name": "Type", "type": "string", "jsonPath": ".spec.type"},
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
])
BUCKETCLASS = _version(_OPEN, _OPEN, "BucketClass is the Schema for the bucketclasses API.", [
    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
])
