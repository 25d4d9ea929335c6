"""Discovery documents (`/version`, `/api`, `/apis`, resource lists) built from the served kinds.

Legacy (unaggregated) discovery, which kubectl ≥ 1.20 and the Python DynamicClient both read.
"""

from __future__ import annotations

from typing import Any

from quayops.kube.kinds import SUBRESOURCES, Kind, Subresource
from simulator.store.resources import Resources

SERVER_VERSION = {"major": "1", "minor": "36", "emulationMajor": "1", "emulationMinor": "36",
                  "minCompatibilityMajor": "1", "minCompatibilityMinor": "35", "gitVersion": "v1.36.0",
                  "gitCommit": "quayops-simulator", "gitTreeState": "clean", "buildDate": "2026-04-22T00:00:00Z",
                  "goVersion": "go1.26.2", "compiler": "gc", "platform": "linux/amd64"}
# Preferred version per group when several are served (autoscaling/v2 over v1, as upstream).
_PREFERRED = {"autoscaling": "v2"}


def groups(resources: Resources) -> list[tuple[str, list[str]]]:
    """(group, versions with the preferred first) in a stable order: core first, then by appearance."""
    order: dict[str, list[str]] = {}
    for k in resources:
        versions = order.setdefault(k.group, [])
        if k.version not in versions:
            versions.append(k.version)
    out = []
    for group, versions in order.items():
        preferred = _PREFERRED.get(group)
        if preferred in versions:
            versions = [preferred, *[v for v in versions if v != preferred]]
        out.append((group, versions))
    return out


def api_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group_doc(group: str, versions: list[str]) -> dict[str, Any]:
    gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}


def api_group_list(resources: Resources) -> dict[str, Any]:
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group_doc(g, vs) for g, vs in groups(resources) if g]}


def api_group(resources: Resources, group: str) -> dict[str, Any] | None:
    for g, vs in groups(resources):
        if g == group and g:
            return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(g, vs)}
    return None


def _resource_entry(k: Kind) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": k.plural, "singularName": k.singular, "namespaced": k.namespaced,
                             "kind": k.kind, "verbs": list(k.verbs)}
    if k.short_names:
        entry["shortNames"] = list(k.short_names)
    if k.categories:
        entry["categories"] = list(k.categories)
    return entry


def _subresource_entry(k: Kind, name: str, sub: Subresource) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": f"{k.plural}/{name}", "singularName": "", "namespaced": k.namespaced,
                             "kind": sub.kind or k.kind, "verbs": list(sub.verbs)}
    if sub.group is not None:
        entry.update(group=sub.group, version=sub.version)
    return entry


def resource_list(resources: Resources, group: str, version: str) -> dict[str, Any] | None:
    kinds = [k for k in resources if k.group == group and k.version == version]
    if not kinds:
        return None
    entries = []
    for k in sorted(kinds, key=lambda k: k.plural):
        entries.append(_resource_entry(k))
        entries += [_subresource_entry(k, sub, SUBRESOURCES.get(sub, Subresource(("get",))))
                    for sub in sorted(k.subresources)]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": kinds[0].api_version,
            "resources": entries}
