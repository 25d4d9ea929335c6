"""Admission on every write: identity, schema (unknown fields, types, required), metadata rules,
kind rules and immutable fields, then defaulting. Messages follow kube-apiserver's validation.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
from collections.abc import Mapping
from typing import Any

from quayops.kube.kinds import Kind
from simulator.store import schemas
from simulator.store.documents import clone
from simulator.store.errors import BadRequest, Cause, invalid
from simulator.store.selectors import label_selector_to_string, match_labels, parse_label_selector

MAX_SECRET_BYTES = 1024 * 1024
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                  "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
                  "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_LABEL_NAME_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
                   "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
                   "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                    "'my_value',  or '12345', regex used for validation is "
                    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
_QUALIFIED_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                  "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                  "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
# Kinds whose names are RFC 1123 labels rather than subdomains (apimachinery ValidateNamespaceName etc.).
_LABEL_NAMED = {("", "Namespace"), ("", "Service"), ("project.openshift.io", "Project")}
_GO_TYPES = {"integer": "int64", "number": "float64", "boolean": "bool", "string": "string",
             "object": "map[string]interface {}", "array": "[]interface {}"}


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object",
               type(None): "null"}


def _json_type(value: Any) -> str:
    found = _JSON_TYPES.get(type(value))
    if found is not None:
        return found
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "null"


def _gv(api_version: str) -> str:
    return api_version


def check_identity(kind: Kind, obj: Any) -> None:
    """The body must be an object of the URL's apiVersion and kind (400, as the decoder refuses)."""
    if not isinstance(obj, Mapping):
        raise BadRequest("the body of the request was in an unknown format - accepted media types include: "
                         "application/json, application/yaml")
    # a body without apiVersion/kind takes them from the URL, as the API server's decoder defaults them
    api_version, obj_kind = obj.get("apiVersion"), obj.get("kind") or kind.kind
    if api_version and api_version != kind.api_version:
        raise BadRequest(f"the API version in the data ({api_version}) does not match the expected API "
                         f"version ({kind.api_version})")
    if obj_kind != kind.kind:
        raise BadRequest(f"the kind in the data ({obj_kind}) does not match the expected kind ({kind.kind})")
    if "metadata" in obj and not isinstance(obj["metadata"], Mapping):
        raise BadRequest("json: cannot unmarshal " + _json_type(obj["metadata"]) +
                         " into Go struct field Object.metadata of type v1.ObjectMeta")


def prune(obj: dict[str, Any], schema: Mapping[str, Any] | None, *, builtin: bool,
          kind: Kind) -> tuple[list[str], list[Cause]]:
    """Drop undeclared fields in place; return their paths and the type/required errors found.

    Built-in type errors are decode errors (400); custom resource ones are schema errors (422).
    """
    unknown: list[str] = []
    causes: list[Cause] = []
    _prune(obj, schema, "", unknown, causes, builtin, kind, top=True)
    if builtin:
        decode = [c for c in causes if c.reason == "FieldValueTypeInvalid"]
        if decode:
            raise BadRequest(decode[0].message)
    return unknown, causes


def _prune(value: Any, node: Mapping[str, Any] | None, path: str, unknown: list[str], causes: list[Cause],
           builtin: bool, kind: Kind, top: bool = False) -> None:
    if node is None or value is None:
        return
    types = schemas.types_of(node)
    actual = _json_type(value)
    if types and actual not in types and not (actual == "integer" and "number" in types):
        field = path.lstrip(".")
        if builtin:
            go = _GO_TYPES.get(next(iter(sorted(types))), "value")
            causes.append(Cause("FieldValueTypeInvalid",
                                f"json: cannot unmarshal {actual} into Go struct field "
                                f"{kind.kind}.{field} of type {go}", field))
        else:
            want = " or ".join(sorted(types))
            causes.append(Cause("FieldValueTypeInvalid",
                                f'Invalid value: "{actual}": {field} in body must be of type {want}: '
                                f'"{actual}"', field))
        return
    if isinstance(value, dict):
        if not builtin and not top:
            for req in node.get("required") or ():
                if req not in value:
                    causes.append(Cause("FieldValueRequired", "Required value", f"{path.lstrip('.')}.{req}"))
        if "enum" in node:
            return
        props = node.get("properties")
        keep = node.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in node
        for key in list(value):
            child = schemas.child(node, key)
            if child is None and props is not None and not keep:
                unknown.append(f"{path}.{key}".lstrip("."))
                del value[key]
                continue
            _prune(value[key], child, f"{path}.{key}", unknown, causes, builtin, kind)
    elif isinstance(value, list):
        item = schemas.items(node)
        for i, v in enumerate(value):
            _prune(v, item, f"{path}[{i}]", unknown, causes, builtin, kind)
    elif "enum" in node and not builtin and value not in node["enum"]:
        allowed = ", ".join(json.dumps(e) for e in node["enum"])
        causes.append(Cause("FieldValueNotSupported",
                            f'Unsupported value: {json.dumps(value)}: supported values: {allowed}',
                            path.lstrip(".")))


def _validate_name(kind: Kind, name: str, causes: list[Cause], field: str = "metadata.name") -> None:
    label = (kind.group, kind.kind) in _LABEL_NAMED
    pattern, msg, limit = ((_DNS1123_LABEL, _LABEL_NAME_MSG, 63) if label
                           else (_DNS1123_SUBDOMAIN, _SUBDOMAIN_MSG, 253))
    if kind.kind == "CustomResourceDefinition":
        return
    if not pattern.fullmatch(name):
        causes.append(Cause("FieldValueInvalid", f'Invalid value: "{name}": {msg}', field))
    elif len(name) > limit:
        causes.append(Cause("FieldValueInvalid", f'Invalid value: "{name}": must be no more than {limit} '
                            "characters", field))


def _validate_qualified(key: str, field: str, causes: list[Cause]) -> None:
    prefix, _, name = key.rpartition("/")
    if prefix and (not _DNS1123_SUBDOMAIN.fullmatch(prefix) or len(prefix) > 253):
        causes.append(Cause("FieldValueInvalid", f'Invalid value: "{key}": prefix part {_SUBDOMAIN_MSG}', field))
    if not _QUALIFIED_NAME.fullmatch(name) or len(name) > 63:
        causes.append(Cause("FieldValueInvalid", f'Invalid value: "{key}": {_QUALIFIED_MSG}', field))


def validate_metadata(kind: Kind, meta: Mapping[str, Any], causes: list[Cause]) -> None:
    name = meta.get("name") or ""
    if name:
        _validate_name(kind, name, causes)
    for key, value in (meta.get("labels") or {}).items():
        _validate_qualified(key, "metadata.labels", causes)
        if not isinstance(value, str) or not _LABEL_VALUE.fullmatch(value):
            causes.append(Cause("FieldValueInvalid", f'Invalid value: {json.dumps(value)}: {_LABEL_VALUE_MSG}',
                                "metadata.labels"))
        elif len(value) > 63:
            causes.append(Cause("FieldValueInvalid", f'Invalid value: "{value}": must be no more than 63 '
                                "characters", "metadata.labels"))
    annotations = meta.get("annotations") or {}
    for key in annotations:
        _validate_qualified(key.lower(), "metadata.annotations", causes)
    if sum(len(k) + len(str(v)) for k, v in annotations.items()) > 256 * 1024:
        causes.append(Cause("FieldValueTooLong", "Too long: must have at most 262144 bytes",
                            "metadata.annotations"))
    for finalizer in meta.get("finalizers") or ():
        if "/" not in finalizer and finalizer not in ("kubernetes", "orphan", "foregroundDeletion"):
            causes.append(Cause("FieldValueInvalid", f'Invalid value: "{finalizer}": name is neither a '
                                "standard finalizer name nor is it fully qualified", "metadata.finalizers"))


def _pod_spec_causes(spec: Any, prefix: str, causes: list[Cause]) -> None:
    if not isinstance(spec, Mapping):
        causes.append(Cause("FieldValueRequired", "Required value", prefix))
        return
    containers = spec.get("containers") or []
    if not containers:
        causes.append(Cause("FieldValueRequired", "Required value", f"{prefix}.containers"))
    seen: set[str] = set()
    for group in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(group) or []):
            if not c.get("name"):
                causes.append(Cause("FieldValueRequired", "Required value", f"{prefix}.{group}[{i}].name"))
            elif c["name"] in seen:
                causes.append(Cause("FieldValueDuplicate", f'Duplicate value: "{c["name"]}"',
                                    f"{prefix}.{group}[{i}].name"))
            else:
                seen.add(c["name"])
            if not c.get("image"):
                causes.append(Cause("FieldValueRequired", "Required value", f"{prefix}.{group}[{i}].image"))


def _go_selector(selector: Mapping[str, Any]) -> str:
    labels = ", ".join(f'"{k}":"{v}"' for k, v in sorted((selector.get("matchLabels") or {}).items()))
    return (f"v1.LabelSelector{{MatchLabels:map[string]string{{{labels}}}, "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}")


def _workload_causes(obj: Mapping[str, Any], causes: list[Cause], *, selector_required: bool = True) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        causes.append(Cause("FieldValueRequired", "Required value", "spec"))
        return
    selector = spec.get("selector")
    template = spec.get("template") or {}
    if selector_required and not selector:
        causes.append(Cause("FieldValueRequired", "Required value", "spec.selector"))
    elif selector:
        if not (selector.get("matchLabels") or selector.get("matchExpressions")):
            causes.append(Cause("FieldValueInvalid", "Invalid value: " + _go_selector(selector) +
                                ": empty selector is invalid for deployment", "spec.selector"))
        labels = (template.get("metadata") or {}).get("labels") or {}
        reqs = parse_label_selector(label_selector_to_string(selector))
        if not match_labels(reqs, {"metadata": {"labels": labels}}):
            shown = ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items()))
            causes.append(Cause("FieldValueInvalid", f"Invalid value: map[string]string{{{shown}}}: "
                                "`selector` does not match template `labels`", "spec.template.metadata.labels"))
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        causes.append(Cause("FieldValueInvalid", f"Invalid value: {replicas}: must be greater than or equal "
                            "to 0", "spec.replicas"))
    _pod_spec_causes(template.get("spec"), "spec.template.spec", causes)


def _data_causes(obj: Mapping[str, Any], causes: list[Cause], *, secret: bool) -> None:
    total = 0
    for field in ("data", "stringData", "binaryData"):
        for key, value in (obj.get(field) or {}).items():
            if not _CONFIG_KEY.fullmatch(key) or len(key) > 253:
                causes.append(Cause("FieldValueInvalid", f'Invalid value: "{key}": a valid config key must '
                                    "consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
                                    "'KEY_NAME',  or 'key-name', regex used for validation is "
                                    "'[-._a-zA-Z0-9]+')", f"{field}[{key}]"))
            if secret and field == "data" or field == "binaryData":
                try:
                    total += len(base64.b64decode(value or "", validate=True))
                except (binascii.Error, ValueError, TypeError):
                    raise BadRequest(f"illegal base64 data at input byte 0 in {field}[{key}]") from None
            else:
                total += len(str(value or "").encode())
    if total > MAX_SECRET_BYTES:
        causes.append(Cause("FieldValueTooLong", f"Too long: may not be more than {MAX_SECRET_BYTES} bytes",
                            "data"))


def validate(kind: Kind, obj: Mapping[str, Any]) -> list[Cause]:
    """Kind rules for a new or updated object (validation.go of each API group)."""
    causes: list[Cause] = []
    validate_metadata(kind, obj.get("metadata") or {}, causes)
    key = (kind.group, kind.kind)
    if key in {("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet")}:
        _workload_causes(obj, causes)
    elif key == ("", "Pod"):
        _pod_spec_causes(obj.get("spec"), "spec", causes)
    elif key == ("batch", "Job"):
        _workload_causes(obj, causes, selector_required=False)
    elif key in {("", "Secret"), ("", "ConfigMap")}:
        _data_causes(obj, causes, secret=kind.kind == "Secret")
    elif key == ("", "Service"):
        for i, port in enumerate((obj.get("spec") or {}).get("ports") or []):
            if not isinstance(port.get("port"), int) or not 0 < port["port"] < 65536:
                causes.append(Cause("FieldValueInvalid", f"Invalid value: {port.get('port')}: must be between "
                                    "1 and 65535, inclusive", f"spec.ports[{i}].port"))
    elif key == ("route.openshift.io", "Route"):
        to = (obj.get("spec") or {}).get("to") or {}
        if not to.get("name"):
            causes.append(Cause("FieldValueRequired", "Required value", "spec.to.name"))
    elif key == ("apiextensions.k8s.io", "CustomResourceDefinition"):
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        expected = f"{names.get('plural', '')}.{spec.get('group', '')}"
        if obj.get("metadata", {}).get("name") != expected:
            causes.append(Cause("FieldValueInvalid", f'Invalid value: "{obj["metadata"].get("name")}": must be '
                                'spec.names.plural+"."+spec.group', "metadata.name"))
        if not names.get("kind"):
            causes.append(Cause("FieldValueRequired", "Required value", "spec.names.kind"))
        if not spec.get("versions"):
            causes.append(Cause("FieldValueRequired", "Required value", "spec.versions"))
        elif sum(1 for v in spec["versions"] if v.get("storage")) != 1:
            causes.append(Cause("FieldValueInvalid", "Invalid value: must have exactly one version marked as "
                                "storage version", "spec.versions"))
    return causes


def _immutable(field: str, value: Any) -> Cause:
    shown = _go_selector(value) if field.endswith("selector") and isinstance(value, Mapping) else json.dumps(value)
    return Cause("FieldValueInvalid", f"Invalid value: {shown}: field is immutable", field)


def validate_update(kind: Kind, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cause]:
    """Rules that compare with the stored object: immutable fields and finalizers on deletion."""
    causes = validate(kind, new)
    key = (kind.group, kind.kind)
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if key in {("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("batch", "Job")} \
            and old_spec.get("selector") != new_spec.get("selector"):
        causes.append(_immutable("spec.selector", new_spec.get("selector")))
    if key == ("batch", "Job") and old_spec.get("template") != new_spec.get("template"):
        causes.append(Cause("FieldValueInvalid", "Invalid value: core.PodTemplateSpec{...}: field is immutable",
                            "spec.template"))
    if key in {("", "Secret"), ("", "ConfigMap")} and old.get("immutable"):
        for field in ("data", "binaryData"):
            if old.get(field) != new.get(field):
                causes.append(Cause("FieldValueForbidden", "Forbidden: field is immutable when `immutable` is "
                                    "set", field))
        if new.get("immutable") is not True:
            causes.append(Cause("FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set",
                                "immutable"))
    if key == ("", "Secret") and old.get("type") != new.get("type"):
        causes.append(_immutable("type", new.get("type")))
    if key == ("", "Service") and old_spec.get("clusterIP") \
            and new_spec.get("clusterIP") not in (None, "", old_spec["clusterIP"]):
        causes.append(Cause("FieldValueInvalid", f'Invalid value: "{new_spec["clusterIP"]}": field is '
                            "immutable", "spec.clusterIPs[0]"))
    if key == ("", "PersistentVolumeClaim"):
        mutable = ("resources", "volumeName")
        if ({k: v for k, v in old_spec.items() if k not in mutable}
                != {k: v for k, v in new_spec.items() if k not in mutable}):
            causes.append(Cause("FieldValueForbidden", "Forbidden: spec is immutable after creation except "
                                "resources.requests and volumeAttributesClassName for bound claims", "spec"))
    if key == ("", "Pod"):
        def mutable_view(spec: Mapping[str, Any]) -> Any:
            view = clone(dict(spec))
            for group in ("containers", "initContainers"):
                for c in view.get(group) or []:
                    c.pop("image", None)
            for field in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds",
                          "schedulingGates", "nodeName"):
                view.pop(field, None)
            return view
        if mutable_view(old_spec) != mutable_view(new_spec):
            causes.append(Cause("FieldValueForbidden", "Forbidden: pod updates may not change fields other "
                                "than `spec.containers[*].image`,`spec.initContainers[*].image`,"
                                "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                                "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if "
                                "it was previously negative)", "spec"))
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    if old_meta.get("deletionTimestamp"):
        added = set(new_meta.get("finalizers") or ()) - set(old_meta.get("finalizers") or ())
        if added:
            causes.append(Cause("FieldValueForbidden", "Forbidden: no new finalizers can be added if the object "
                                f"is being deleted, found new finalizers {json.dumps(sorted(added))}",
                                "metadata.finalizers"))
    return causes


def refuse(kind: Kind, name: str, causes: list[Cause]) -> None:
    if causes:
        raise invalid(kind.kind, kind.group, name, causes)


_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def generate_suffix(rng: random.Random, n: int = 5) -> str:
    """apimachinery's `utilrand.String(5)` alphabet (no vowels, no ambiguous digits)."""
    return "".join(rng.choice(_NAME_CHARS) for _ in range(n))


def default(kind: Kind, obj: dict[str, Any], rng: random.Random) -> None:
    """Defaults the API server fills in on create (the ones clients and kubectl rely on)."""
    key = (kind.group, kind.kind)
    spec = obj.get("spec")
    if key == ("", "Namespace"):
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
        labels = obj["metadata"].setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    elif key == ("", "Pod") and isinstance(spec, dict):
        _default_pod_spec(spec)
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    elif key == ("", "Secret"):
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None) or {}
        data = obj.setdefault("data", {}) if string_data else obj.get("data")
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()
    elif key == ("", "Service") and isinstance(spec, dict):
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec.get("clusterIP") != "None":
            spec.setdefault("clusterIP", f"172.30.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
        spec["clusterIPs"] = [spec["clusterIP"]]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
        obj["status"] = {"loadBalancer": {}}
    elif key in {("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet")} and isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        if kind.kind == "Deployment":
            spec.setdefault("progressDeadlineSeconds", 600)
            strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
            if strategy.get("type", "RollingUpdate") == "RollingUpdate":
                strategy.setdefault("type", "RollingUpdate")
                strategy.setdefault("rollingUpdate", {"maxSurge": "25%", "maxUnavailable": "25%"})
        if kind.kind == "StatefulSet":
            spec.setdefault("podManagementPolicy", "OrderedReady")
            spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        if isinstance(spec.get("template"), dict) and isinstance(spec["template"].get("spec"), dict):
            _default_pod_spec(spec["template"]["spec"])
    elif key == ("batch", "Job") and isinstance(spec, dict):
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completions", 1)
        spec.setdefault("parallelism", 1)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
        if not spec.get("selector") and not spec.get("manualSelector"):
            uid = obj["metadata"]["uid"]
            spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
            template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
            labels = template_meta.setdefault("labels", {})
            labels.update({"batch.kubernetes.io/controller-uid": uid, "controller-uid": uid,
                           "batch.kubernetes.io/job-name": obj["metadata"]["name"],
                           "job-name": obj["metadata"]["name"]})
        template_spec = (spec.get("template") or {}).get("spec")
        if isinstance(template_spec, dict):
            _default_pod_spec(template_spec, restart_policy="Never")
    elif key == ("batch", "CronJob") and isinstance(spec, dict):
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
    elif key == ("", "PersistentVolumeClaim"):
        obj["status"] = {"phase": "Pending"}
        if isinstance(spec, dict):
            spec.setdefault("volumeMode", "Filesystem")
    elif key == ("", "PersistentVolume"):
        obj["status"] = {"phase": "Pending"}
    elif key == ("apiextensions.k8s.io", "CustomResourceDefinition") and isinstance(spec, dict):
        names = spec.get("names") or {}
        names.setdefault("singular", names.get("kind", "").lower())
        names.setdefault("listKind", names.get("kind", "") + "List")
        obj["status"] = {
            "acceptedNames": dict(names),
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found"},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted"},
            ],
            "storedVersions": [v["name"] for v in spec.get("versions") or [] if v.get("storage")],
        }


def _default_pod_spec(spec: dict[str, Any], restart_policy: str = "Always") -> None:
    spec.setdefault("restartPolicy", restart_policy)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    for group in ("initContainers", "containers"):
        for c in spec.get(group) or []:
            c.setdefault("imagePullPolicy", "Always" if str(c.get("image", "")).endswith(":latest")
                         or ":" not in str(c.get("image", "")).rsplit("/", 1)[-1] else "IfNotPresent")
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            c.setdefault("resources", {})
            for port in c.get("ports") or []:
                port.setdefault("protocol", "TCP")
