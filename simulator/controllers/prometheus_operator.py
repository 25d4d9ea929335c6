"""OpenShift monitoring's prometheus-operator: ServiceMonitors and PrometheusRules → one real Prometheus.

Platform monitoring covers `openshift-*` namespaces and those labelled `openshift.io/cluster-monitoring=true`
(as the Quay Operator labels its namespace, operator-facts §9 step 21). User-workload monitoring (guide 8.2)
covers the other namespaces only while `cluster-monitoring-config` has `enableUserWorkload: true`, and
ignores namespaceSelectors there as OpenShift does. Both are served by the one Prometheus here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from simulator.controllers.base import Context, Key, Obj, Watched
from simulator.store.selectors import label_selector_to_string, match_labels, parse_label_selector

log = logging.getLogger(__name__)

MONITORING_NAMESPACE = "openshift-monitoring"
USER_WORKLOAD_NAMESPACE = "openshift-user-workload-monitoring"
CLUSTER_MONITORING_CONFIG = "cluster-monitoring-config"
USER_WORKLOAD_MONITORING_CONFIG = "user-workload-monitoring-config"
CLUSTER_MONITORING_LABEL = "openshift.io/cluster-monitoring"
USER_MONITORING_LABEL = "openshift.io/user-monitoring"
MONITORING = "monitoring.coreos.com/v1"
KEY: Key = (MONITORING_NAMESPACE, "prometheus-k8s")  # every event reconciles the one Prometheus

# (namespace, pod name, container port) → "127.0.0.1:port" where that pod's endpoint really listens
ResolveEndpoint = Callable[[str, str, int], "str | None"]
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000,
            "y": 31_536_000_000}
_RANGE = re.compile(r"\[((?:\d+(?:ms|[smhdwy]))+)(?::((?:\d+(?:ms|[smhdwy]))+))?\]")
_OFFSET = re.compile(r"(\boffset\s+)((?:\d+(?:ms|[smhdwy]))+)")
UNRESOLVED_RETRY = 1.0  # real seconds before rendering again while a ready endpoint has no server behind it yet


class PrometheusSink(Protocol):
    """Where the rendered configuration goes: `simulator.dataplane.prometheus.PrometheusServer`."""

    def configure(self, scrape_configs: Sequence[Mapping[str, Any]],
                  rule_groups: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> bool: ...


def user_workload_enabled(config_map: Mapping[str, Any] | None) -> bool:
    """`enableUserWorkload: true` in the ConfigMap's `config.yaml`; unparsable YAML counts as off, as the
    cluster-monitoring-operator then keeps its last good state (Degraded) and a fresh cluster has none."""
    text = ((config_map or {}).get("data") or {}).get("config.yaml") or ""
    try:
        config = YAML(typ="safe").load(text)
    except YAMLError:
        return False
    return isinstance(config, dict) and config.get("enableUserWorkload") is True


def monitoring_scope(namespace: Mapping[str, Any], *, user_workload: bool) -> str | None:
    """"platform", "user" or None (not monitored) for a Namespace object."""
    name = namespace["metadata"]["name"]
    labels = namespace["metadata"].get("labels") or {}
    if name.startswith("openshift-") or labels.get(CLUSTER_MONITORING_LABEL) == "true":
        return "platform"
    if user_workload and labels.get(USER_MONITORING_LABEL) != "false":
        return "user"
    return None


def scale_duration(text: str, factor: float) -> str:
    """A Prometheus duration divided by `factor`, in its largest whole unit (at least 1 ms)."""
    ms = sum(int(n) * _UNIT_MS[unit] for n, unit in _DURATION.findall(text))
    scaled = max(1, round(ms / factor))
    unit = next(u for u in ("h", "m", "s", "ms") if scaled % _UNIT_MS[u] == 0)
    return f"{scaled // _UNIT_MS[unit]}{unit}"


def scale_expr(expr: str, factor: float) -> str:
    """PromQL with its range selectors, subquery steps and offsets divided by `factor`."""
    def ranged(m: re.Match[str]) -> str:
        step = f":{scale_duration(m.group(2), factor)}" if m.group(2) else ""
        return f"[{scale_duration(m.group(1), factor)}{step}]"

    expr = _RANGE.sub(ranged, expr)
    return _OFFSET.sub(lambda m: m.group(1) + scale_duration(m.group(2), factor), expr)


def render_rule_groups(rules: Iterable[Mapping[str, Any]], *, time_scale: float = 1.0) -> dict[str, list[dict]]:
    """One rule file per PrometheusRule (`<namespace>-<name>`). With `time_scale` > 1 (an accelerated
    simulator clock) every `for`, range and offset is divided by it, so an hour of simulated restarts
    fits in the minute of real time Prometheus sees."""
    files: dict[str, list[dict]] = {}
    for rule in rules:
        meta = rule["metadata"]
        groups = []
        for group in (rule.get("spec") or {}).get("groups") or []:
            out = {**group, "rules": []}
            for r in group.get("rules") or []:
                r = dict(r)
                if time_scale > 1:
                    r["expr"] = scale_expr(str(r["expr"]), time_scale)
                    if r.get("for"):
                        r["for"] = scale_duration(r["for"], time_scale)
                out["rules"].append(r)
            groups.append(out)
        files[f"{meta['namespace']}-{meta['name']}"] = groups
    return files


def _selects(selector: Mapping[str, Any] | None, obj: Mapping[str, Any]) -> bool:
    return match_labels(parse_label_selector(label_selector_to_string(selector)), obj)


def _everything(_type: str, _obj: Obj) -> Iterable[Key]:
    return (KEY,)


def _monitored_namespaces(monitor: Mapping[str, Any], scope: str, all_namespaces: Iterable[str]) -> list[str]:
    own = monitor["metadata"]["namespace"]
    selector = (monitor.get("spec") or {}).get("namespaceSelector") or {}
    if scope == "user":  # user-workload Prometheus: ignoreNamespaceSelectors
        return [own]
    if selector.get("any"):
        return sorted(all_namespaces)
    return list(selector.get("matchNames") or [own])


def _container_of(pod: Mapping[str, Any] | None, port: int) -> str:
    containers = ((pod or {}).get("spec") or {}).get("containers") or []
    for c in containers:
        if any(p.get("containerPort") == port for p in c.get("ports") or []):
            return c["name"]
    return containers[0]["name"] if containers else ""


def render_scrape_configs(monitors: Iterable[tuple[Mapping[str, Any], str]], *,
                          services: Mapping[str, list[Mapping[str, Any]]],
                          endpoints: Mapping[tuple[str, str], Mapping[str, Any]],
                          pods: Mapping[tuple[str, str], Mapping[str, Any]], namespaces: Iterable[str],
                          resolve: ResolveEndpoint) -> list[dict[str, Any]]:
    """Scrape jobs `serviceMonitor/<ns>/<name>/<i>` with prometheus-operator's target labels.

    `monitors` pairs each ServiceMonitor with its scope; targets are the ready addresses of the selected
    Services' Endpoints whose pod `resolve` maps to a loopback address (`instance` keeps the pod IP).
    """
    namespaces = list(namespaces)
    jobs = []
    for monitor, scope in monitors:
        meta, spec = monitor["metadata"], monitor.get("spec") or {}
        selected = [svc for ns in _monitored_namespaces(monitor, scope, namespaces) for svc in services.get(ns, [])
                    if _selects(spec.get("selector"), svc)]
        for i, endpoint in enumerate(spec.get("endpoints") or []):
            groups = []
            for svc in selected:
                svc_meta = svc["metadata"]
                svc_labels = svc_meta.get("labels") or {}
                ep = endpoints.get((svc_meta["namespace"], svc_meta["name"])) or {}
                for subset in ep.get("subsets") or []:
                    ports = [p for p in subset.get("ports") or []
                             if ("port" in endpoint and p.get("name") == endpoint["port"])
                             or ("targetPort" in endpoint and str(p.get("port")) == str(endpoint["targetPort"]))]
                    for port in ports:
                        for address in subset.get("addresses") or []:
                            ref = address.get("targetRef") or {}
                            pod = pods.get((ref.get("namespace", ""), ref.get("name", "")))
                            target = resolve(svc_meta["namespace"], ref.get("name", ""), port["port"])
                            if target is None:
                                continue
                            labels = {
                                "namespace": svc_meta["namespace"], "service": svc_meta["name"],
                                "pod": ref.get("name", ""), "container": _container_of(pod, port["port"]),
                                "endpoint": str(endpoint.get("port") or endpoint.get("targetPort")),
                                "job": svc_labels.get(spec.get("jobLabel", ""), svc_meta["name"]),
                                "instance": f"{address['ip']}:{port['port']}",
                            }
                            labels.update({k: v for k, v in svc_labels.items() if k in spec.get("targetLabels", ())})
                            pod_labels = ((pod or {}).get("metadata") or {}).get("labels") or {}
                            labels.update({k: v for k, v in pod_labels.items()
                                           if k in spec.get("podTargetLabels", ())})
                            groups.append({"targets": [target],
                                           "labels": {re.sub(r"[^a-zA-Z0-9_]", "_", k): v
                                                      for k, v in labels.items() if v}})
            job: dict[str, Any] = {
                "job_name": f"serviceMonitor/{meta['namespace']}/{meta['name']}/{i}",
                "metrics_path": endpoint.get("path", "/metrics"), "scheme": "http",
                "honor_labels": bool(endpoint.get("honorLabels")), "static_configs": groups,
            }
            for field, key in (("interval", "scrape_interval"), ("scrapeTimeout", "scrape_timeout"),
                               ("params", "params")):
                if endpoint.get(field):
                    job[key] = endpoint[field]
            jobs.append(job)
    return jobs


class PrometheusOperator:
    """Re-renders the whole Prometheus configuration on any relevant change; reloads only on a difference.

    `extra_scrape_configs` are the platform's own jobs (kube-state-metrics); `time_scale` defaults to the
    clock's rate when it runs faster than real time.
    """

    name = "prometheus-operator"

    def __init__(self, ctx: Context, *, prometheus: PrometheusSink, resolve_endpoint: ResolveEndpoint,
                 extra_scrape_configs: Sequence[Mapping[str, Any]] = (), time_scale: float | None = None) -> None:
        self.ctx = ctx
        self.prometheus = prometheus
        self.resolve_endpoint = resolve_endpoint
        self.extra_scrape_configs = list(extra_scrape_configs)
        self.time_scale = time_scale if time_scale is not None else max(ctx.clock.rate, 1.0)
        self.watches = (
            Watched(MONITORING, "ServiceMonitor", _everything), Watched(MONITORING, "PrometheusRule", _everything),
            Watched("v1", "Service", _everything), Watched("v1", "Endpoints", _everything),
            Watched("v1", "Namespace", _everything), Watched("v1", "ConfigMap", self._config_keys),
        )

    @staticmethod
    def _config_keys(_type: str, obj: Obj) -> Iterable[Key]:
        meta = obj["metadata"]
        return (KEY,) if (meta.get("namespace"), meta["name"]) in {
            (MONITORING_NAMESPACE, CLUSTER_MONITORING_CONFIG),
            (USER_WORKLOAD_NAMESPACE, USER_WORKLOAD_MONITORING_CONFIG)} else ()

    def _scoped(self, kind: str, scopes: Mapping[str, str]) -> list[tuple[Obj, str]]:
        if not self.ctx.serves(MONITORING, kind):
            return []
        return [(o, scopes[o["metadata"]["namespace"]]) for o in self.ctx.list(MONITORING, kind)
                if o["metadata"]["namespace"] in scopes]

    def reconcile(self, key: Key) -> float | None:
        uwm = user_workload_enabled(self.ctx.get("v1", "ConfigMap", CLUSTER_MONITORING_CONFIG, MONITORING_NAMESPACE))
        namespaces = self.ctx.list("v1", "Namespace")
        scopes = {ns["metadata"]["name"]: scope for ns in namespaces
                  if (scope := monitoring_scope(ns, user_workload=uwm)) is not None}
        services: dict[str, list[Obj]] = {}
        for svc in self.ctx.list("v1", "Service"):
            services.setdefault(svc["metadata"]["namespace"], []).append(svc)
        endpoints = {(e["metadata"]["namespace"], e["metadata"]["name"]): e for e in self.ctx.list("v1", "Endpoints")}
        pods = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in self.ctx.list("v1", "Pod")}
        unresolved = []

        def resolve(namespace: str, pod: str, port: int) -> str | None:
            found = self.resolve_endpoint(namespace, pod, port)
            if found is None:
                unresolved.append(pod)
            return found

        jobs = render_scrape_configs(self._scoped("ServiceMonitor", scopes), services=services, endpoints=endpoints,
                                     pods=pods, namespaces=[ns["metadata"]["name"] for ns in namespaces],
                                     resolve=resolve)
        rules = render_rule_groups([r for r, _ in self._scoped("PrometheusRule", scopes)],
                                   time_scale=self.time_scale)
        if self.prometheus.configure([*self.extra_scrape_configs, *jobs], rules):
            log.info("prometheus reloaded: %d jobs, %d rule files", len(jobs), len(rules))
        # a pod Ready before its server listens (Quay starting) raises no event later: look again
        return UNRESOLVED_RETRY * max(self.ctx.clock.rate, 1.0) if unresolved else None
