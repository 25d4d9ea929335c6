"""Field numbers of the Kubernetes protobuf messages `kubectl create <kind>` sends, as data.

Transcribed from go-to-protobuf's `generated.proto` files (the field numbers never change once released):
- k8s.io/api `core/v1/generated.proto` (kubernetes/api @ 35f2b3a2), `rbac/v1`, `networking/v1`
  (kubernetes/api @ 426b1b99);
- kubernetes/kubernetes `staging/src/k8s.io/api/apps/v1/generated.proto` (@ 0122c43a),
  `batch/v1` (@ 008b3652), `policy/v1` (@ 054d429d);
- kubernetes/kubernetes `staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto` (@ 04d76b7b),
  plus `managedFields = 17`, `ManagedFieldsEntry`, `Condition`, `runtime.Unknown`, `intstr.IntOrString` and
  `resource.Quantity` from apimachinery `pkg/apis/meta/v1`, `pkg/runtime`, `pkg/util/intstr` and
  `pkg/api/resource` `generated.proto`;
- `scheduling/v1` PriorityClass and `policy/v1` `unhealthyPodEvictionPolicy = 4` from their `types.go` tags.

Each message maps a field number to `(json name, type, flags)`. Types are proto scalars (`string`, `bytes`,
`bool`, `int32`, `int64`, `double`), another message of this table, or one of the well-known messages the
decoder converts itself (`meta.Time`, `meta.MicroTime`, `meta.Duration`, `meta.FieldsV1`,
`runtime.RawExtension`, `resource.Quantity`, `intstr.IntOrString`). Flags:
`r` repeated; `m` map<string, type>; `i` an embedded Go struct, inlined in JSON; `z` the zero value is
kept (a Go pointer such as `*int32 replicas`, or a field without `omitempty`): protobuf cannot tell
"unset" from zero, so other zero scalars are dropped as Go's JSON encoder drops them.
Fields and messages missing here (newer or exotic ones) are skipped by the decoder.
"""

from __future__ import annotations

Field = tuple[str, str, str]

_META = "meta.ObjectMeta"
_LOR = "core.LocalObjectReference"
_Q = "resource.Quantity"
_IOS = "intstr.IntOrString"
_SEL = "meta.LabelSelector"

_CONTAINER: dict[int, Field] = {
    1: ("name", "string", "z"), 2: ("image", "string", ""), 3: ("command", "string", "r"),
    4: ("args", "string", "r"), 5: ("workingDir", "string", ""), 6: ("ports", "core.ContainerPort", "r"),
    19: ("envFrom", "core.EnvFromSource", "r"), 7: ("env", "core.EnvVar", "r"),
    8: ("resources", "core.ResourceRequirements", ""), 9: ("volumeMounts", "core.VolumeMount", "r"),
    21: ("volumeDevices", "core.VolumeDevice", "r"), 10: ("livenessProbe", "core.Probe", ""),
    11: ("readinessProbe", "core.Probe", ""), 22: ("startupProbe", "core.Probe", ""),
    12: ("lifecycle", "core.Lifecycle", ""), 13: ("terminationMessagePath", "string", ""),
    20: ("terminationMessagePolicy", "string", ""), 14: ("imagePullPolicy", "string", ""),
    15: ("securityContext", "core.SecurityContext", ""), 16: ("stdin", "bool", ""),
    17: ("stdinOnce", "bool", ""), 18: ("tty", "bool", ""),
}
_HANDLER: dict[int, Field] = {
    1: ("exec", "core.ExecAction", ""), 2: ("httpGet", "core.HTTPGetAction", ""),
    3: ("tcpSocket", "core.TCPSocketAction", ""),
}
_REF_OPTIONAL: dict[int, Field] = {1: ("", _LOR, "i"), 2: ("optional", "bool", "z")}
_KEY_SELECTOR: dict[int, Field] = {1: ("", _LOR, "i"), 2: ("key", "string", "z"), 3: ("optional", "bool", "z")}
_PROJECTION: dict[int, Field] = {1: ("", _LOR, "i"), 2: ("items", "core.KeyToPath", "r"),
                                 4: ("optional", "bool", "z")}
_AFFINITY_TERMS: dict[int, Field] = {
    1: ("requiredDuringSchedulingIgnoredDuringExecution", "core.PodAffinityTerm", "r"),
    2: ("preferredDuringSchedulingIgnoredDuringExecution", "core.WeightedPodAffinityTerm", "r"),
}
_ROLE_BINDING: dict[int, Field] = {1: ("metadata", _META, ""), 2: ("subjects", "rbac.Subject", "r"),
                                   3: ("roleRef", "rbac.RoleRef", "")}

MESSAGES: dict[str, dict[int, Field]] = {
    # ---- k8s.io/apimachinery/pkg/apis/meta/v1 ----
    "meta.ObjectMeta": {
        1: ("name", "string", ""), 2: ("generateName", "string", ""), 3: ("namespace", "string", ""),
        4: ("selfLink", "string", ""), 5: ("uid", "string", ""), 6: ("resourceVersion", "string", ""),
        7: ("generation", "int64", ""), 8: ("creationTimestamp", "meta.Time", ""),
        9: ("deletionTimestamp", "meta.Time", ""), 10: ("deletionGracePeriodSeconds", "int64", "z"),
        11: ("labels", "string", "m"), 12: ("annotations", "string", "m"),
        13: ("ownerReferences", "meta.OwnerReference", "r"), 14: ("finalizers", "string", "r"),
        17: ("managedFields", "meta.ManagedFieldsEntry", "r"),
    },
    "meta.OwnerReference": {
        5: ("apiVersion", "string", "z"), 1: ("kind", "string", "z"), 3: ("name", "string", "z"),
        4: ("uid", "string", "z"), 6: ("controller", "bool", "z"), 7: ("blockOwnerDeletion", "bool", "z"),
    },
    "meta.ManagedFieldsEntry": {
        1: ("manager", "string", ""), 2: ("operation", "string", ""), 3: ("apiVersion", "string", ""),
        4: ("time", "meta.Time", ""), 6: ("fieldsType", "string", ""), 7: ("fieldsV1", "meta.FieldsV1", ""),
        8: ("subresource", "string", ""),
    },
    "meta.LabelSelector": {1: ("matchLabels", "string", "m"),
                           2: ("matchExpressions", "meta.LabelSelectorRequirement", "r")},
    "meta.LabelSelectorRequirement": {1: ("key", "string", "z"), 2: ("operator", "string", "z"),
                                      3: ("values", "string", "r")},
    "meta.Condition": {
        1: ("type", "string", "z"), 2: ("status", "string", "z"), 3: ("observedGeneration", "int64", ""),
        4: ("lastTransitionTime", "meta.Time", ""), 5: ("reason", "string", "z"), 6: ("message", "string", "z"),
    },
    "meta.DeleteOptions": {
        1: ("gracePeriodSeconds", "int64", "z"), 2: ("preconditions", "meta.Preconditions", ""),
        3: ("orphanDependents", "bool", "z"), 4: ("propagationPolicy", "string", "z"),
        5: ("dryRun", "string", "r"),
    },
    "meta.Preconditions": {1: ("uid", "string", "z"), 2: ("resourceVersion", "string", "z")},

    # ---- k8s.io/api/core/v1 ----
    "core.Namespace": {1: ("metadata", _META, ""), 2: ("spec", "core.NamespaceSpec", ""),
                       3: ("status", "core.NamespaceStatus", "")},
    "core.NamespaceSpec": {1: ("finalizers", "string", "r")},
    "core.NamespaceStatus": {1: ("phase", "string", ""), 2: ("conditions", "core.NamespaceCondition", "r")},
    "core.NamespaceCondition": {1: ("type", "string", "z"), 2: ("status", "string", "z"),
                                4: ("lastTransitionTime", "meta.Time", ""), 5: ("reason", "string", ""),
                                6: ("message", "string", "")},
    "core.Secret": {1: ("metadata", _META, ""), 5: ("immutable", "bool", "z"), 2: ("data", "bytes", "m"),
                    4: ("stringData", "string", "m"), 3: ("type", "string", "")},
    "core.ConfigMap": {1: ("metadata", _META, ""), 4: ("immutable", "bool", "z"), 2: ("data", "string", "m"),
                       3: ("binaryData", "bytes", "m")},
    "core.ServiceAccount": {1: ("metadata", _META, ""), 2: ("secrets", "core.ObjectReference", "r"),
                            3: ("imagePullSecrets", _LOR, "r"),
                            4: ("automountServiceAccountToken", "bool", "z")},
    "core.ObjectReference": {
        1: ("kind", "string", ""), 2: ("namespace", "string", ""), 3: ("name", "string", ""),
        4: ("uid", "string", ""), 5: ("apiVersion", "string", ""), 6: ("resourceVersion", "string", ""),
        7: ("fieldPath", "string", ""),
    },
    "core.LocalObjectReference": {1: ("name", "string", "")},
    "core.TypedLocalObjectReference": {1: ("apiGroup", "string", "z"), 2: ("kind", "string", "z"),
                                       3: ("name", "string", "z")},
    "core.Service": {1: ("metadata", _META, ""), 2: ("spec", "core.ServiceSpec", ""),
                     3: ("status", "core.ServiceStatus", "")},
    "core.ServiceSpec": {
        1: ("ports", "core.ServicePort", "r"), 2: ("selector", "string", "m"), 3: ("clusterIP", "string", ""),
        18: ("clusterIPs", "string", "r"), 4: ("type", "string", ""), 5: ("externalIPs", "string", "r"),
        7: ("sessionAffinity", "string", ""), 8: ("loadBalancerIP", "string", ""),
        9: ("loadBalancerSourceRanges", "string", "r"), 10: ("externalName", "string", ""),
        11: ("externalTrafficPolicy", "string", ""), 12: ("healthCheckNodePort", "int32", ""),
        13: ("publishNotReadyAddresses", "bool", ""),
        14: ("sessionAffinityConfig", "core.SessionAffinityConfig", ""), 19: ("ipFamilies", "string", "r"),
        17: ("ipFamilyPolicy", "string", "z"), 20: ("allocateLoadBalancerNodePorts", "bool", "z"),
        21: ("loadBalancerClass", "string", "z"), 22: ("internalTrafficPolicy", "string", "z"),
    },
    "core.ServicePort": {
        1: ("name", "string", ""), 2: ("protocol", "string", ""), 6: ("appProtocol", "string", "z"),
        3: ("port", "int32", "z"), 4: ("targetPort", _IOS, ""), 5: ("nodePort", "int32", ""),
    },
    "core.SessionAffinityConfig": {1: ("clientIP", "core.ClientIPConfig", "")},
    "core.ClientIPConfig": {1: ("timeoutSeconds", "int32", "z")},
    "core.ServiceStatus": {1: ("loadBalancer", "core.LoadBalancerStatus", ""),
                           2: ("conditions", "meta.Condition", "r")},
    "core.LoadBalancerStatus": {1: ("ingress", "core.LoadBalancerIngress", "r")},
    "core.LoadBalancerIngress": {1: ("ip", "string", ""), 2: ("hostname", "string", ""),
                                 4: ("ports", "core.PortStatus", "r")},
    "core.PortStatus": {1: ("port", "int32", "z"), 2: ("protocol", "string", "z"), 3: ("error", "string", "z")},
    "core.ResourceQuota": {1: ("metadata", _META, ""), 2: ("spec", "core.ResourceQuotaSpec", ""),
                           3: ("status", "core.ResourceQuotaStatus", "")},
    "core.ResourceQuotaSpec": {1: ("hard", _Q, "m"), 2: ("scopes", "string", "r"),
                               3: ("scopeSelector", "core.ScopeSelector", "")},
    "core.ResourceQuotaStatus": {1: ("hard", _Q, "m"), 2: ("used", _Q, "m")},
    "core.ScopeSelector": {1: ("matchExpressions", "core.ScopedResourceSelectorRequirement", "r")},
    "core.ScopedResourceSelectorRequirement": {1: ("scopeName", "string", "z"), 2: ("operator", "string", "z"),
                                               3: ("values", "string", "r")},
    "core.PersistentVolumeClaim": {1: ("metadata", _META, ""), 2: ("spec", "core.PersistentVolumeClaimSpec", "")},
    "core.PersistentVolumeClaimSpec": {
        1: ("accessModes", "string", "r"), 4: ("selector", _SEL, ""),
        2: ("resources", "core.ResourceRequirements", ""), 3: ("volumeName", "string", ""),
        5: ("storageClassName", "string", "z"), 6: ("volumeMode", "string", "z"),
        7: ("dataSource", "core.TypedLocalObjectReference", ""),
    },
    "core.PersistentVolumeClaimTemplate": {1: ("metadata", _META, ""),
                                           2: ("spec", "core.PersistentVolumeClaimSpec", "")},
    "core.Pod": {1: ("metadata", _META, ""), 2: ("spec", "core.PodSpec", "")},
    "core.PodTemplateSpec": {1: ("metadata", _META, ""), 2: ("spec", "core.PodSpec", "")},
    "core.PodSpec": {
        1: ("volumes", "core.Volume", "r"), 20: ("initContainers", "core.Container", "r"),
        2: ("containers", "core.Container", "r"), 34: ("ephemeralContainers", "core.EphemeralContainer", "r"),
        3: ("restartPolicy", "string", ""), 4: ("terminationGracePeriodSeconds", "int64", "z"),
        5: ("activeDeadlineSeconds", "int64", "z"), 6: ("dnsPolicy", "string", ""),
        7: ("nodeSelector", "string", "m"), 8: ("serviceAccountName", "string", ""),
        9: ("serviceAccount", "string", ""), 21: ("automountServiceAccountToken", "bool", "z"),
        10: ("nodeName", "string", ""), 11: ("hostNetwork", "bool", ""), 12: ("hostPID", "bool", ""),
        13: ("hostIPC", "bool", ""), 27: ("shareProcessNamespace", "bool", "z"),
        14: ("securityContext", "core.PodSecurityContext", ""), 15: ("imagePullSecrets", _LOR, "r"),
        16: ("hostname", "string", ""), 17: ("subdomain", "string", ""), 18: ("affinity", "core.Affinity", ""),
        19: ("schedulerName", "string", ""), 22: ("tolerations", "core.Toleration", "r"),
        23: ("hostAliases", "core.HostAlias", "r"), 24: ("priorityClassName", "string", ""),
        25: ("priority", "int32", "z"), 26: ("dnsConfig", "core.PodDNSConfig", ""),
        28: ("readinessGates", "core.PodReadinessGate", "r"), 29: ("runtimeClassName", "string", "z"),
        30: ("enableServiceLinks", "bool", "z"), 31: ("preemptionPolicy", "string", "z"),
        32: ("overhead", _Q, "m"), 33: ("topologySpreadConstraints", "core.TopologySpreadConstraint", "r"),
        35: ("setHostnameAsFQDN", "bool", "z"),
    },
    "core.Container": _CONTAINER,
    "core.EphemeralContainer": {1: ("", "core.EphemeralContainerCommon", "i"),
                                2: ("targetContainerName", "string", "")},
    "core.EphemeralContainerCommon": _CONTAINER,
    "core.ContainerPort": {1: ("name", "string", ""), 2: ("hostPort", "int32", ""),
                           3: ("containerPort", "int32", "z"), 4: ("protocol", "string", ""),
                           5: ("hostIP", "string", "")},
    "core.EnvFromSource": {1: ("prefix", "string", ""), 2: ("configMapRef", "core.ConfigMapEnvSource", ""),
                           3: ("secretRef", "core.SecretEnvSource", "")},
    "core.ConfigMapEnvSource": _REF_OPTIONAL,
    "core.SecretEnvSource": _REF_OPTIONAL,
    "core.EnvVar": {1: ("name", "string", "z"), 2: ("value", "string", ""), 3: ("valueFrom", "core.EnvVarSource", "")},
    "core.EnvVarSource": {
        1: ("fieldRef", "core.ObjectFieldSelector", ""), 2: ("resourceFieldRef", "core.ResourceFieldSelector", ""),
        3: ("configMapKeyRef", "core.ConfigMapKeySelector", ""), 4: ("secretKeyRef", "core.SecretKeySelector", ""),
    },
    "core.ObjectFieldSelector": {1: ("apiVersion", "string", ""), 2: ("fieldPath", "string", "z")},
    "core.ResourceFieldSelector": {1: ("containerName", "string", ""), 2: ("resource", "string", "z"),
                                   3: ("divisor", _Q, "")},
    "core.ConfigMapKeySelector": _KEY_SELECTOR,
    "core.SecretKeySelector": _KEY_SELECTOR,
    "core.ResourceRequirements": {1: ("limits", _Q, "m"), 2: ("requests", _Q, "m")},
    "core.VolumeMount": {1: ("name", "string", "z"), 2: ("readOnly", "bool", ""), 3: ("mountPath", "string", "z"),
                         4: ("subPath", "string", ""), 5: ("mountPropagation", "string", "z"),
                         6: ("subPathExpr", "string", "")},
    "core.VolumeDevice": {1: ("name", "string", "z"), 2: ("devicePath", "string", "z")},
    "core.Probe": {
        1: ("", "core.Handler", "i"), 2: ("initialDelaySeconds", "int32", ""), 3: ("timeoutSeconds", "int32", ""),
        4: ("periodSeconds", "int32", ""), 5: ("successThreshold", "int32", ""),
        6: ("failureThreshold", "int32", ""), 7: ("terminationGracePeriodSeconds", "int64", "z"),
    },
    "core.Handler": _HANDLER,  # ProbeHandler / LifecycleHandler in newer releases, same numbers
    "core.Lifecycle": {1: ("postStart", "core.Handler", ""), 2: ("preStop", "core.Handler", "")},
    "core.ExecAction": {1: ("command", "string", "r")},
    "core.HTTPGetAction": {1: ("path", "string", ""), 2: ("port", _IOS, ""), 3: ("host", "string", ""),
                           4: ("scheme", "string", ""), 5: ("httpHeaders", "core.HTTPHeader", "r")},
    "core.HTTPHeader": {1: ("name", "string", "z"), 2: ("value", "string", "z")},
    "core.TCPSocketAction": {1: ("port", _IOS, ""), 2: ("host", "string", "")},
    "core.SecurityContext": {
        1: ("capabilities", "core.Capabilities", ""), 2: ("privileged", "bool", "z"),
        3: ("seLinuxOptions", "core.SELinuxOptions", ""),
        10: ("windowsOptions", "core.WindowsSecurityContextOptions", ""), 4: ("runAsUser", "int64", "z"),
        8: ("runAsGroup", "int64", "z"), 5: ("runAsNonRoot", "bool", "z"),
        6: ("readOnlyRootFilesystem", "bool", "z"), 7: ("allowPrivilegeEscalation", "bool", "z"),
        9: ("procMount", "string", "z"), 11: ("seccompProfile", "core.SeccompProfile", ""),
    },
    "core.Capabilities": {1: ("add", "string", "r"), 2: ("drop", "string", "r")},
    "core.SELinuxOptions": {1: ("user", "string", ""), 2: ("role", "string", ""), 3: ("type", "string", ""),
                            4: ("level", "string", "")},
    "core.WindowsSecurityContextOptions": {1: ("gmsaCredentialSpecName", "string", "z"),
                                           2: ("gmsaCredentialSpec", "string", "z"),
                                           3: ("runAsUserName", "string", "z")},
    "core.SeccompProfile": {1: ("type", "string", "z"), 2: ("localhostProfile", "string", "z")},
    "core.PodSecurityContext": {
        1: ("seLinuxOptions", "core.SELinuxOptions", ""),
        8: ("windowsOptions", "core.WindowsSecurityContextOptions", ""), 2: ("runAsUser", "int64", "z"),
        6: ("runAsGroup", "int64", "z"), 3: ("runAsNonRoot", "bool", "z"), 4: ("supplementalGroups", "int64", "r"),
        5: ("fsGroup", "int64", "z"), 7: ("sysctls", "core.Sysctl", "r"),
        9: ("fsGroupChangePolicy", "string", "z"), 10: ("seccompProfile", "core.SeccompProfile", ""),
    },
    "core.Sysctl": {1: ("name", "string", "z"), 2: ("value", "string", "z")},
    "core.Affinity": {1: ("nodeAffinity", "core.NodeAffinity", ""), 2: ("podAffinity", "core.PodAffinity", ""),
                      3: ("podAntiAffinity", "core.PodAntiAffinity", "")},
    "core.NodeAffinity": {
        1: ("requiredDuringSchedulingIgnoredDuringExecution", "core.NodeSelector", ""),
        2: ("preferredDuringSchedulingIgnoredDuringExecution", "core.PreferredSchedulingTerm", "r"),
    },
    "core.NodeSelector": {1: ("nodeSelectorTerms", "core.NodeSelectorTerm", "r")},
    "core.NodeSelectorTerm": {1: ("matchExpressions", "core.NodeSelectorRequirement", "r"),
                              2: ("matchFields", "core.NodeSelectorRequirement", "r")},
    "core.NodeSelectorRequirement": {1: ("key", "string", "z"), 2: ("operator", "string", "z"),
                                     3: ("values", "string", "r")},
    "core.PreferredSchedulingTerm": {1: ("weight", "int32", "z"), 2: ("preference", "core.NodeSelectorTerm", "")},
    "core.PodAffinity": _AFFINITY_TERMS,
    "core.PodAntiAffinity": _AFFINITY_TERMS,
    "core.PodAffinityTerm": {1: ("labelSelector", _SEL, ""), 2: ("namespaces", "string", "r"),
                             3: ("topologyKey", "string", "z"), 4: ("namespaceSelector", _SEL, "")},
    "core.WeightedPodAffinityTerm": {1: ("weight", "int32", "z"), 2: ("podAffinityTerm", "core.PodAffinityTerm", "")},
    "core.Toleration": {1: ("key", "string", ""), 2: ("operator", "string", ""), 3: ("value", "string", ""),
                        4: ("effect", "string", ""), 5: ("tolerationSeconds", "int64", "z")},
    "core.HostAlias": {1: ("ip", "string", ""), 2: ("hostnames", "string", "r")},
    "core.PodDNSConfig": {1: ("nameservers", "string", "r"), 2: ("searches", "string", "r"),
                          3: ("options", "core.PodDNSConfigOption", "r")},
    "core.PodDNSConfigOption": {1: ("name", "string", ""), 2: ("value", "string", "z")},
    "core.PodReadinessGate": {1: ("conditionType", "string", "z")},
    "core.TopologySpreadConstraint": {1: ("maxSkew", "int32", "z"), 2: ("topologyKey", "string", "z"),
                                      3: ("whenUnsatisfiable", "string", "z"), 4: ("labelSelector", _SEL, "")},
    "core.Volume": {1: ("name", "string", "z"), 2: ("", "core.VolumeSource", "i")},
    "core.VolumeSource": {
        1: ("hostPath", "core.HostPathVolumeSource", ""), 2: ("emptyDir", "core.EmptyDirVolumeSource", ""),
        6: ("secret", "core.SecretVolumeSource", ""), 7: ("nfs", "core.NFSVolumeSource", ""),
        10: ("persistentVolumeClaim", "core.PersistentVolumeClaimVolumeSource", ""),
        16: ("downwardAPI", "core.DownwardAPIVolumeSource", ""),
        19: ("configMap", "core.ConfigMapVolumeSource", ""), 26: ("projected", "core.ProjectedVolumeSource", ""),
        28: ("csi", "core.CSIVolumeSource", ""), 29: ("ephemeral", "core.EphemeralVolumeSource", ""),
    },
    "core.HostPathVolumeSource": {1: ("path", "string", "z"), 2: ("type", "string", "z")},
    "core.EmptyDirVolumeSource": {1: ("medium", "string", ""), 2: ("sizeLimit", _Q, "")},
    "core.SecretVolumeSource": {1: ("secretName", "string", ""), 2: ("items", "core.KeyToPath", "r"),
                                3: ("defaultMode", "int32", "z"), 4: ("optional", "bool", "z")},
    "core.ConfigMapVolumeSource": {1: ("", _LOR, "i"), 2: ("items", "core.KeyToPath", "r"),
                                   3: ("defaultMode", "int32", "z"), 4: ("optional", "bool", "z")},
    "core.KeyToPath": {1: ("key", "string", "z"), 2: ("path", "string", "z"), 3: ("mode", "int32", "z")},
    "core.NFSVolumeSource": {1: ("server", "string", "z"), 2: ("path", "string", "z"), 3: ("readOnly", "bool", "")},
    "core.PersistentVolumeClaimVolumeSource": {1: ("claimName", "string", "z"), 2: ("readOnly", "bool", "")},
    "core.DownwardAPIVolumeSource": {1: ("items", "core.DownwardAPIVolumeFile", "r"),
                                     2: ("defaultMode", "int32", "z")},
    "core.DownwardAPIVolumeFile": {1: ("path", "string", "z"), 2: ("fieldRef", "core.ObjectFieldSelector", ""),
                                   3: ("resourceFieldRef", "core.ResourceFieldSelector", ""),
                                   4: ("mode", "int32", "z")},
    "core.ProjectedVolumeSource": {1: ("sources", "core.VolumeProjection", "r"), 2: ("defaultMode", "int32", "z")},
    "core.VolumeProjection": {
        1: ("secret", "core.SecretProjection", ""), 2: ("downwardAPI", "core.DownwardAPIProjection", ""),
        3: ("configMap", "core.ConfigMapProjection", ""),
        4: ("serviceAccountToken", "core.ServiceAccountTokenProjection", ""),
    },
    "core.SecretProjection": _PROJECTION,
    "core.ConfigMapProjection": _PROJECTION,
    "core.DownwardAPIProjection": {1: ("items", "core.DownwardAPIVolumeFile", "r")},
    "core.ServiceAccountTokenProjection": {1: ("audience", "string", ""), 2: ("expirationSeconds", "int64", "z"),
                                           3: ("path", "string", "z")},
    "core.CSIVolumeSource": {1: ("driver", "string", "z"), 2: ("readOnly", "bool", "z"),
                             3: ("fsType", "string", "z"), 4: ("volumeAttributes", "string", "m"),
                             5: ("nodePublishSecretRef", _LOR, "")},
    "core.EphemeralVolumeSource": {1: ("volumeClaimTemplate", "core.PersistentVolumeClaimTemplate", "")},

    # ---- k8s.io/api/apps/v1 ----
    "apps.Deployment": {1: ("metadata", _META, ""), 2: ("spec", "apps.DeploymentSpec", ""),
                        3: ("status", "apps.DeploymentStatus", "")},
    "apps.DeploymentSpec": {
        1: ("replicas", "int32", "z"), 2: ("selector", _SEL, ""), 3: ("template", "core.PodTemplateSpec", ""),
        4: ("strategy", "apps.DeploymentStrategy", ""), 5: ("minReadySeconds", "int32", ""),
        6: ("revisionHistoryLimit", "int32", "z"), 7: ("paused", "bool", ""),
        9: ("progressDeadlineSeconds", "int32", "z"), 10: ("podReplacementPolicy", "string", "z"),
    },
    "apps.DeploymentStrategy": {1: ("type", "string", ""), 2: ("rollingUpdate", "apps.RollingUpdateDeployment", "")},
    "apps.RollingUpdateDeployment": {1: ("maxUnavailable", _IOS, ""), 2: ("maxSurge", _IOS, "")},
    "apps.DeploymentStatus": {
        1: ("observedGeneration", "int64", ""), 2: ("replicas", "int32", ""), 3: ("updatedReplicas", "int32", ""),
        7: ("readyReplicas", "int32", ""), 4: ("availableReplicas", "int32", ""),
        5: ("unavailableReplicas", "int32", ""), 9: ("terminatingReplicas", "int32", "z"),
        6: ("conditions", "apps.DeploymentCondition", "r"), 8: ("collisionCount", "int32", "z"),
    },
    "apps.DeploymentCondition": {
        1: ("type", "string", "z"), 2: ("status", "string", "z"), 6: ("lastUpdateTime", "meta.Time", ""),
        7: ("lastTransitionTime", "meta.Time", ""), 4: ("reason", "string", ""), 5: ("message", "string", ""),
    },

    # ---- k8s.io/api/batch/v1 ----
    "batch.Job": {1: ("metadata", _META, ""), 2: ("spec", "batch.JobSpec", "")},
    "batch.JobSpec": {
        1: ("parallelism", "int32", "z"), 2: ("completions", "int32", "z"),
        3: ("activeDeadlineSeconds", "int64", "z"), 7: ("backoffLimit", "int32", "z"),
        12: ("backoffLimitPerIndex", "int32", "z"), 13: ("maxFailedIndexes", "int32", "z"),
        4: ("selector", _SEL, ""), 5: ("manualSelector", "bool", "z"), 6: ("template", "core.PodTemplateSpec", ""),
        8: ("ttlSecondsAfterFinished", "int32", "z"), 9: ("completionMode", "string", "z"),
        10: ("suspend", "bool", "z"), 14: ("podReplacementPolicy", "string", "z"), 15: ("managedBy", "string", "z"),
    },
    "batch.JobTemplateSpec": {1: ("metadata", _META, ""), 2: ("spec", "batch.JobSpec", "")},
    "batch.CronJob": {1: ("metadata", _META, ""), 2: ("spec", "batch.CronJobSpec", ""),
                      3: ("status", "batch.CronJobStatus", "")},
    "batch.CronJobSpec": {
        1: ("schedule", "string", "z"), 8: ("timeZone", "string", "z"), 2: ("startingDeadlineSeconds", "int64", "z"),
        3: ("concurrencyPolicy", "string", ""), 4: ("suspend", "bool", "z"),
        5: ("jobTemplate", "batch.JobTemplateSpec", ""), 6: ("successfulJobsHistoryLimit", "int32", "z"),
        7: ("failedJobsHistoryLimit", "int32", "z"),
    },
    "batch.CronJobStatus": {1: ("active", "core.ObjectReference", "r"), 4: ("lastScheduleTime", "meta.Time", ""),
                            5: ("lastSuccessfulTime", "meta.Time", "")},

    # ---- k8s.io/api/rbac/v1 ----
    "rbac.Role": {1: ("metadata", _META, ""), 2: ("rules", "rbac.PolicyRule", "r")},
    "rbac.ClusterRole": {1: ("metadata", _META, ""), 2: ("rules", "rbac.PolicyRule", "r"),
                         3: ("aggregationRule", "rbac.AggregationRule", "")},
    "rbac.AggregationRule": {1: ("clusterRoleSelectors", _SEL, "r")},
    "rbac.PolicyRule": {1: ("verbs", "string", "r"), 2: ("apiGroups", "string", "r"), 3: ("resources", "string", "r"),
                        4: ("resourceNames", "string", "r"), 5: ("nonResourceURLs", "string", "r")},
    "rbac.RoleBinding": _ROLE_BINDING,
    "rbac.ClusterRoleBinding": _ROLE_BINDING,
    "rbac.RoleRef": {1: ("apiGroup", "string", "z"), 2: ("kind", "string", "z"), 3: ("name", "string", "z")},
    "rbac.Subject": {1: ("kind", "string", "z"), 2: ("apiGroup", "string", ""), 3: ("name", "string", "z"),
                     4: ("namespace", "string", "")},

    # ---- k8s.io/api/networking/v1 ----
    "networking.Ingress": {1: ("metadata", _META, ""), 2: ("spec", "networking.IngressSpec", "")},
    "networking.IngressSpec": {
        4: ("ingressClassName", "string", "z"), 1: ("defaultBackend", "networking.IngressBackend", ""),
        2: ("tls", "networking.IngressTLS", "r"), 3: ("rules", "networking.IngressRule", "r"),
    },
    "networking.IngressBackend": {4: ("service", "networking.IngressServiceBackend", ""),
                                  3: ("resource", "core.TypedLocalObjectReference", "")},
    "networking.IngressServiceBackend": {1: ("name", "string", "z"), 2: ("port", "networking.ServiceBackendPort", "")},
    "networking.ServiceBackendPort": {1: ("name", "string", ""), 2: ("number", "int32", "")},
    "networking.IngressTLS": {1: ("hosts", "string", "r"), 2: ("secretName", "string", "")},
    "networking.IngressRule": {1: ("host", "string", ""), 2: ("", "networking.IngressRuleValue", "i")},
    "networking.IngressRuleValue": {1: ("http", "networking.HTTPIngressRuleValue", "")},
    "networking.HTTPIngressRuleValue": {1: ("paths", "networking.HTTPIngressPath", "r")},
    "networking.HTTPIngressPath": {1: ("path", "string", ""), 3: ("pathType", "string", "z"),
                                   2: ("backend", "networking.IngressBackend", "")},

    # ---- k8s.io/api/policy/v1 ----
    "policy.PodDisruptionBudget": {1: ("metadata", _META, ""), 2: ("spec", "policy.PodDisruptionBudgetSpec", "")},
    "policy.PodDisruptionBudgetSpec": {1: ("minAvailable", _IOS, ""), 2: ("selector", _SEL, ""),
                                       3: ("maxUnavailable", _IOS, ""),
                                       4: ("unhealthyPodEvictionPolicy", "string", "z")},

    # ---- k8s.io/api/scheduling/v1 ----
    "scheduling.PriorityClass": {1: ("metadata", _META, ""), 2: ("value", "int32", "z"),
                                 3: ("globalDefault", "bool", ""), 4: ("description", "string", ""),
                                 5: ("preemptionPolicy", "string", "z")},
}

# The envelope's (apiVersion, kind) → the message its `raw` bytes hold.
ROOTS: dict[tuple[str, str], str] = {
    ("v1", "Namespace"): "core.Namespace",
    ("v1", "Secret"): "core.Secret",
    ("v1", "ConfigMap"): "core.ConfigMap",
    ("v1", "ServiceAccount"): "core.ServiceAccount",
    ("v1", "Service"): "core.Service",
    ("v1", "Pod"): "core.Pod",
    ("v1", "PersistentVolumeClaim"): "core.PersistentVolumeClaim",
    ("v1", "ResourceQuota"): "core.ResourceQuota",
    ("v1", "DeleteOptions"): "meta.DeleteOptions",
    ("meta.k8s.io/v1", "DeleteOptions"): "meta.DeleteOptions",
    ("apps/v1", "Deployment"): "apps.Deployment",
    ("batch/v1", "Job"): "batch.Job",
    ("batch/v1", "CronJob"): "batch.CronJob",
    ("rbac.authorization.k8s.io/v1", "Role"): "rbac.Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "rbac.RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "rbac.ClusterRole",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "rbac.ClusterRoleBinding",
    ("networking.k8s.io/v1", "Ingress"): "networking.Ingress",
    ("policy/v1", "PodDisruptionBudget"): "policy.PodDisruptionBudget",
    ("scheduling.k8s.io/v1", "PriorityClass"): "scheduling.PriorityClass",
}
