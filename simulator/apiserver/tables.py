"""`meta.k8s.io/v1 Table` responses, so `kubectl get` prints the columns people know.

Columns and cell rules follow kubernetes `pkg/printers/internalversion/printers.go`; custom resources
use their CRD's additionalPrinterColumns.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from quayops.kube.kinds import Kind
from simulator.store.selectors import label_selector_to_string

Row = list[Any]
Column = tuple[str, str, int, str]  # name, type, priority, description


def human_duration(seconds: float) -> str:
    """apimachinery `duration.HumanDuration`."""
    s = int(seconds)
    if s < 0:
        return "<invalid>"
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = s // 3600
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    d = h // 24
    if h < 24 * 8:
        return f"{d}d{h % 24}h" if h % 24 else f"{d}d"
    if d < 365 * 2:
        return f"{d}d"
    if d < 365 * 8:
        return f"{d // 365}y{d % 365}d" if d % 365 else f"{d // 365}y"
    return f"{d // 365}y"


def _age(ts: str | None, now: float) -> str:
    if not ts:
        return "<unknown>"
    then = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").timestamp() - time.timezone
    return human_duration(now - then)


def _get(obj: Mapping[str, Any], *path: Any, default: Any = None) -> Any:
    cur: Any = obj
    for p in path:
        if isinstance(cur, Mapping):
            cur = cur.get(p)
        elif isinstance(cur, list) and isinstance(p, int) and -len(cur) <= p < len(cur):
            cur = cur[p]
        else:
            return default
        if cur is None:
            return default
    return cur


def _pod_row(o: Mapping[str, Any], now: float) -> Row:
    statuses = _get(o, "status", "containerStatuses", default=[])
    total = len(_get(o, "spec", "containers", default=[]))
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(c.get("restartCount", 0) for c in statuses)
    reason = _get(o, "status", "reason") or _get(o, "status", "phase", default="")
    for c in statuses:
        waiting = _get(c, "state", "waiting", "reason")
        terminated = _get(c, "state", "terminated", "reason")
        if waiting:
            reason = waiting
        elif terminated:
            reason = terminated
    if _get(o, "metadata", "deletionTimestamp"):
        reason = "Terminating"
    gates = _get(o, "spec", "readinessGates", default=[])
    return [f"{ready}/{total}", reason, restarts, _age(_get(o, "metadata", "creationTimestamp"), now),
            _get(o, "status", "podIP", default="<none>"), _get(o, "spec", "nodeName", default="<none>"),
            _get(o, "status", "nominatedNodeName", default="<none>"),
            f"0/{len(gates)}" if gates else "<none>"]


def _containers(o: Mapping[str, Any]) -> tuple[str, str]:
    cs = _get(o, "spec", "template", "spec", "containers", default=[])
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def _deployment_row(o: Mapping[str, Any], now: float) -> Row:
    names, images = _containers(o)
    return [f"{_get(o, 'status', 'readyReplicas', default=0)}/{_get(o, 'spec', 'replicas', default=0)}",
            _get(o, "status", "updatedReplicas", default=0), _get(o, "status", "availableReplicas", default=0),
            _age(_get(o, "metadata", "creationTimestamp"), now), names, images,
            label_selector_to_string(_get(o, "spec", "selector"))]


def _replicaset_row(o: Mapping[str, Any], now: float) -> Row:
    names, images = _containers(o)
    return [_get(o, "spec", "replicas", default=0), _get(o, "status", "replicas", default=0),
            _get(o, "status", "readyReplicas", default=0), _age(_get(o, "metadata", "creationTimestamp"), now),
            names, images, label_selector_to_string(_get(o, "spec", "selector"))]


def _statefulset_row(o: Mapping[str, Any], now: float) -> Row:
    names, images = _containers(o)
    return [f"{_get(o, 'status', 'readyReplicas', default=0)}/{_get(o, 'spec', 'replicas', default=0)}",
            _age(_get(o, "metadata", "creationTimestamp"), now), names, images]


def _job_row(o: Mapping[str, Any], now: float) -> Row:
    conditions = {c.get("type"): c.get("status") for c in _get(o, "status", "conditions", default=[])}
    status = ("Complete" if conditions.get("Complete") == "True" else "Failed" if conditions.get("Failed") ==
              "True" else "Suspended" if _get(o, "spec", "suspend") else "Running")
    completions = _get(o, "spec", "completions")
    succeeded = _get(o, "status", "succeeded", default=0)
    start, end = _get(o, "status", "startTime"), _get(o, "status", "completionTime")
    duration = ""
    if start:
        started = datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").timestamp() - time.timezone
        finished = (datetime.strptime(end, "%Y-%m-%dT%H:%M:%SZ").timestamp() - time.timezone) if end else now
        duration = human_duration(finished - started)
    names, images = _containers(o)
    return [status, f"{succeeded}/{completions}" if completions is not None else f"{succeeded}/1 of 1",
            duration, _age(_get(o, "metadata", "creationTimestamp"), now), names, images,
            label_selector_to_string(_get(o, "spec", "selector"))]


def _cronjob_row(o: Mapping[str, Any], now: float) -> Row:
    last = _get(o, "status", "lastScheduleTime")
    return [_get(o, "spec", "schedule", default=""), _get(o, "spec", "timeZone", default="<none>"),
            str(bool(_get(o, "spec", "suspend", default=False))), len(_get(o, "status", "active", default=[])),
            _age(last, now) if last else "<none>", _age(_get(o, "metadata", "creationTimestamp"), now)]


def _hpa_row(o: Mapping[str, Any], now: float) -> Row:
    ref = _get(o, "spec", "scaleTargetRef", default={})
    targets = []
    current = _get(o, "status", "currentMetrics", default=[])
    for i, metric in enumerate(_get(o, "spec", "metrics", default=[])):
        res = metric.get("resource") or {}
        target = _get(res, "target", "averageUtilization")
        if target is None and "targetCPUUtilizationPercentage" not in _get(o, "spec", default={}):
            target = _get(res, "target", "averageValue")
        now_value = _get(current, i, "resource", "current", "averageUtilization")
        name = res.get("name", metric.get("type", "")).lower()
        targets.append(f"{name}: {f'{now_value}%' if now_value is not None else '<unknown>'}/{target}%")
    v1_target = _get(o, "spec", "targetCPUUtilizationPercentage")
    if v1_target is not None:
        cur = _get(o, "status", "currentCPUUtilizationPercentage")
        targets.append(f"cpu: {f'{cur}%' if cur is not None else '<unknown>'}/{v1_target}%")
    return [f"{ref.get('kind', '')}/{ref.get('name', '')}", ", ".join(targets) or "<none>",
            _get(o, "spec", "minReplicas", default="<unset>"), _get(o, "spec", "maxReplicas", default=0),
            _get(o, "status", "currentReplicas", default=0), _age(_get(o, "metadata", "creationTimestamp"), now)]


def _route_row(o: Mapping[str, Any], now: float) -> Row:
    spec = o.get("spec") or {}
    host = spec.get("host") or _get(o, "status", "ingress", 0, "host", default="")
    admitted = any(c.get("type") == "Admitted" and c.get("status") == "True"
                   for i in _get(o, "status", "ingress", default=[]) for c in i.get("conditions") or [])
    if not admitted and host:
        host += " ... 1 rejected" if _get(o, "status", "ingress") else ""
    services = [_get(spec, "to", "name", default="")] + [b.get("name", "") for b in spec.get("alternateBackends")
                                                         or []]
    tls = spec.get("tls") or {}
    termination = tls.get("termination", "")
    if tls.get("insecureEdgeTerminationPolicy"):
        termination += "/" + tls["insecureEdgeTerminationPolicy"]
    port = _get(spec, "port", "targetPort", default="<all>")
    return [host, spec.get("path", ""), ",".join(services), port, termination,
            spec.get("wildcardPolicy", "None")]


def _service_row(o: Mapping[str, Any], now: float) -> Row:
    spec = o.get("spec") or {}
    ports = ",".join(f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/"
                     f"{p.get('protocol', 'TCP')}" for p in spec.get("ports") or []) or "<none>"
    external = ",".join(i.get("ip") or i.get("hostname", "") for i in
                        _get(o, "status", "loadBalancer", "ingress", default=[]))
    if not external:
        external = "<pending>" if spec.get("type") == "LoadBalancer" else "<none>"
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or "<none>"
    return [spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"), external, ports,
            _age(_get(o, "metadata", "creationTimestamp"), now), selector]


def _event_row(o: Mapping[str, Any], now: float) -> Row:
    last = o.get("lastTimestamp") or o.get("eventTime") or _get(o, "metadata", "creationTimestamp")
    inv = o.get("involvedObject") or {}
    return [_age(last, now), o.get("type", ""), o.get("reason", ""),
            f"{inv.get('kind', '').lower()}/{inv.get('name', '')}", o.get("message", "")]


def _pvc_row(o: Mapping[str, Any], now: float) -> Row:
    modes = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
    access = ",".join(modes.get(m, m) for m in _get(o, "status", "accessModes", default=[]))
    return [_get(o, "status", "phase", default=""), _get(o, "spec", "volumeName", default=""),
            _get(o, "status", "capacity", "storage", default=""), access,
            _get(o, "spec", "storageClassName", default="<unset>"),
            _get(o, "spec", "volumeAttributesClassName", default="<unset>"),
            _age(_get(o, "metadata", "creationTimestamp"), now), _get(o, "spec", "volumeMode", default="")]


def _simple(*paths: tuple[str, ...]) -> Callable[[Mapping[str, Any], float], Row]:
    def row(o: Mapping[str, Any], now: float) -> Row:
        return [_get(o, *p, default="") if p != ("AGE",) else _age(_get(o, "metadata", "creationTimestamp"), now)
                for p in paths]
    return row


def _count(field: str) -> Callable[[Mapping[str, Any], float], Row]:
    def row(o: Mapping[str, Any], now: float) -> Row:
        return [len(o.get(field) or {}) + len(o.get("binaryData") or {}) * (field == "data"),
                _age(_get(o, "metadata", "creationTimestamp"), now)]
    return row


def _secret_row(o: Mapping[str, Any], now: float) -> Row:
    return [o.get("type", ""), len(o.get("data") or {}), _age(_get(o, "metadata", "creationTimestamp"), now)]


def _node_row(o: Mapping[str, Any], now: float) -> Row:
    ready = next((c for c in _get(o, "status", "conditions", default=[]) if c.get("type") == "Ready"), None)
    status = "Ready" if ready and ready.get("status") == "True" else "NotReady" if ready else "Unknown"
    if _get(o, "spec", "unschedulable"):
        status += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in (_get(o, "metadata", "labels", default={}))
                   if k.startswith("node-role.kubernetes.io/"))
    return [status, ",".join(roles) or "<none>", _age(_get(o, "metadata", "creationTimestamp"), now),
            _get(o, "status", "nodeInfo", "kubeletVersion", default="")]


def _endpoints_row(o: Mapping[str, Any], now: float) -> Row:
    eps = [f"{a.get('ip')}:{p.get('port')}" for s in o.get("subsets") or [] for a in s.get("addresses") or []
           for p in s.get("ports") or [{}]]
    shown = ",".join(eps[:3]) + (f" + {len(eps) - 3} more..." if len(eps) > 3 else "")
    return [shown or "<none>", _age(_get(o, "metadata", "creationTimestamp"), now)]


_AGE_COL: Column = ("Age", "string", 0, ("CreationTimestamp is a timestamp representing the server time when "
                    "this object was created."))
_C = dict[tuple[str, str], tuple[list[Column], Callable[[Mapping[str, Any], float], Row]]]
BUILTIN_COLUMNS: _C = {
    ("", "pods"): ([("Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."),
                    ("Status", "string", 0, "The aggregate status of the containers in this pod."),
                    ("Restarts", "string", 0, ("The number of times the containers in this pod have been "
                     "restarted and when the last container in this pod has restarted.")), _AGE_COL,
                    ("IP", "string", 1, "IP address allocated to the pod."),
                    ("Node", "string", 1, "Name of the Node this pod is assigned to."),
                    ("Nominated Node", "string", 1, "Name of the node nominated by the scheduler."),
                    ("Readiness Gates", "string", 1, "The readiness gates of the pod.")], _pod_row),
    ("apps", "deployments"): ([("Ready", "string", 0, "Number of the pod with ready state"),
                               ("Up-to-date", "string", 0, ("Total number of non-terminated pods targeted by "
                                "this deployment that have the desired template spec.")),
                               ("Available", "string", 0, ("Total number of available pods (ready for at least "
                                "minReadySeconds) targeted by this deployment.")), _AGE_COL,
                               ("Containers", "string", 1, "Names of each container in the template."),
                               ("Images", "string", 1, "Images referenced by each container in the template."),
                               ("Selector", "string", 1, "Label selector for pods.")], _deployment_row),
    ("apps", "replicasets"): ([("Desired", "integer", 0, "Number of desired pods."),
                               ("Current", "integer", 0, "Number of actual replicas."),
                               ("Ready", "integer", 0, "The number of ready replicas."), _AGE_COL,
                               ("Containers", "string", 1, "Names of each container in the template."),
                               ("Images", "string", 1, "Images referenced by each container in the template."),
                               ("Selector", "string", 1, "Label selector for pods.")], _replicaset_row),
    ("apps", "statefulsets"): ([("Ready", "string", 0, "Number of the pod with ready state"), _AGE_COL,
                                ("Containers", "string", 1, "Names of each container in the template."),
                                ("Images", "string", 1, "Images referenced by each container.")],
                               _statefulset_row),
    ("batch", "jobs"): ([("Status", "string", 0, "Status of the job."),
                         ("Completions", "string", 0, "The completion status of the job."),
                         ("Duration", "string", 0, "Time required to complete the job."), _AGE_COL,
                         ("Containers", "string", 1, "Names of each container in the template."),
                         ("Images", "string", 1, "Images referenced by each container in the template."),
                         ("Selector", "string", 1, "Label selector for pods.")], _job_row),
    ("batch", "cronjobs"): ([("Schedule", "string", 0, "The schedule in Cron format."),
                             ("Timezone", "string", 0, "The time zone for the given schedule."),
                             ("Suspend", "boolean", 0, "Whether the cronjob is suspended."),
                             ("Active", "integer", 0, "The number of currently running jobs."),
                             ("Last Schedule", "string", 0, "When the last job was scheduled."), _AGE_COL],
                            _cronjob_row),
    ("autoscaling", "horizontalpodautoscalers"): (
        [("Reference", "string", 0, "Reference to the target resource."),
         ("Targets", "string", 0, "Current and target metric values."),
         ("MinPods", "string", 0, "Lower limit for the number of pods."),
         ("MaxPods", "integer", 0, "Upper limit for the number of pods."),
         ("Replicas", "integer", 0, "Current number of replicas."), _AGE_COL], _hpa_row),
    ("route.openshift.io", "routes"): ([("Host/Port", "string", 0, "Host and port of the route."),
                                        ("Path", "string", 0, "Path of the route."),
                                        ("Services", "string", 0, "Services the route points to."),
                                        ("Port", "string", 0, "Target port."),
                                        ("Termination", "string", 0, "TLS termination."),
                                        ("Wildcard", "string", 0, "Wildcard policy.")], _route_row),
    ("", "services"): ([("Type", "string", 0, "The type of the service."),
                        ("Cluster-IP", "string", 0, "The cluster IP of the service."),
                        ("External-IP", "string", 0, "External IPs of the service."),
                        ("Port(s)", "string", 0, "The ports of the service."), _AGE_COL,
                        ("Selector", "string", 1, "Label selector for the service.")], _service_row),
    ("", "namespaces"): ([("Status", "string", 0, "The status of the namespace"), _AGE_COL],
                         _simple(("status", "phase"), ("AGE",))),
    ("project.openshift.io", "projects"): ([("Display Name", "string", 0, "The display name of the project."),
                                            ("Status", "string", 0, "The status of the project.")],
                                           _simple(("metadata", "annotations", "openshift.io/display-name"),
                                                   ("status", "phase"))),
    ("", "nodes"): ([("Status", "string", 0, "The status of the node"), ("Roles", "string", 0, "Node roles"),
                     _AGE_COL, ("Version", "string", 0, "Kubelet version")], _node_row),
    ("", "secrets"): ([("Type", "string", 0, "The type of the secret"),
                       ("Data", "string", 0, "The number of entries in the data"), _AGE_COL], _secret_row),
    ("", "configmaps"): ([("Data", "string", 0, "Number of entries in the data"), _AGE_COL], _count("data")),
    ("", "serviceaccounts"): ([("Secrets", "string", 0, "Number of secrets"), _AGE_COL], _count("secrets")),
    ("", "endpoints"): ([("Endpoints", "string", 0, "Endpoints of the service"), _AGE_COL], _endpoints_row),
    ("", "events"): ([("Last Seen", "string", 0, "The time the event was last seen"),
                      ("Type", "string", 0, "The type of the event"), ("Reason", "string", 0, "The reason"),
                      ("Object", "string", 0, "The object the event is about"),
                      ("Message", "string", 0, "The message")], _event_row),
    ("", "persistentvolumeclaims"): ([("Status", "string", 0, "The phase"), ("Volume", "string", 0, "The volume"),
                                      ("Capacity", "string", 0, "The capacity"),
                                      ("Access Modes", "string", 0, "The access modes"),
                                      ("StorageClass", "string", 0, "The storage class"),
                                      ("VolumeAttributesClass", "string", 0, "The volume attributes class"),
                                      _AGE_COL, ("VolumeMode", "string", 1, "The volume mode")], _pvc_row),
    ("apiextensions.k8s.io", "customresourcedefinitions"): (
        [("Created At", "date", 0, "The creation time")], _simple(("metadata", "creationTimestamp"))),
}


def _jsonpath(obj: Mapping[str, Any], path: str) -> Any:
    """The simple `.a.b[0].c` JSONPaths CRD printer columns use."""
    cur: Any = obj
    for part in path.strip(".").replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            index = part.strip("[]")
            cur = cur[int(index)] if isinstance(cur, list) and index.lstrip("-").isdigit() and \
                -len(cur) <= int(index) < len(cur) else None
        else:
            cur = cur.get(part) if isinstance(cur, Mapping) else None
        if cur is None:
            return None
    return cur


def _cell(value: Any, column_type: str, now: float) -> Any:
    if value is None:
        return None
    if column_type == "date" and isinstance(value, str):
        try:
            return _age(value, now)
        except ValueError:
            return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return value


def columns_for(kind: Kind) -> tuple[list[dict[str, Any]], Callable[[Mapping[str, Any], float], Row]]:
    """Column definitions (after NAME) and the row function for one kind."""
    if kind.crd is not None:
        printer = list(kind.crd.get("additionalPrinterColumns") or [])
        if not printer:
            printer = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
        defs = [{"name": c["name"], "type": "string" if c.get("type") == "date" else c.get("type", "string"),
                 "format": "", "description": c.get("description", ""), "priority": c.get("priority", 0)}
                for c in printer]

        def row(o: Mapping[str, Any], now: float) -> Row:
            return [_cell(_jsonpath(o, c["jsonPath"]), c.get("type", "string"), now) for c in printer]
        return defs, row
    cols, fn = BUILTIN_COLUMNS.get((kind.group, kind.plural), ([_AGE_COL], _simple(("AGE",))))
    return [{"name": n, "type": t, "format": "", "description": d, "priority": p} for n, t, p, d in cols], fn


def render_table(kind: Kind, objects: list[Mapping[str, Any]], *, resource_version: str = "",
                 continue_: str = "", include_object: str = "Metadata", now: float | None = None,
                 with_columns: bool = True) -> dict[str, Any]:
    """A `meta.k8s.io/v1 Table` of `objects` (includeObject None, Metadata or Object)."""
    now = time.time() if now is None else now
    defs, row_fn = columns_for(kind)
    name_col = {"name": "Name", "type": "string", "format": "name", "priority": 0,
                "description": "Name must be unique within a namespace."}
    rows = []
    for o in objects:
        row: dict[str, Any] = {"cells": [o["metadata"]["name"], *row_fn(o, now)[:len(defs)]]}
        if include_object == "Object":
            row["object"] = o
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": o["metadata"]}
        rows.append(row)
    table: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                             "metadata": {"resourceVersion": resource_version}, "rows": rows}
    if continue_:
        table["metadata"]["continue"] = continue_
    if with_columns:
        table["columnDefinitions"] = [name_col, *defs]
    return table
