"""Conversion between a stored object and the version or view a request asked for.

HPAs are stored as autoscaling/v2 and served as v1 too; projects are a view of namespaces (OpenShift);
other custom resource versions convert by apiVersion only (CRD conversion strategy None).
"""

from __future__ import annotations

from typing import Any

from quayops.kube.kinds import Kind
from simulator.store.documents import clone


def _hpa_v2_to_v1(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    out_spec = {k: v for k, v in spec.items() if k not in ("metrics", "behavior")}
    for metric in spec.get("metrics") or []:
        res = metric.get("resource") or {}
        if metric.get("type") == "Resource" and res.get("name") == "cpu":
            target = res.get("target") or {}
            if "averageUtilization" in target:
                out_spec["targetCPUUtilizationPercentage"] = target["averageUtilization"]
    out = {**obj, "apiVersion": "autoscaling/v1", "spec": out_spec}
    status = obj.get("status")
    if status is not None:
        out_status = {k: v for k, v in status.items() if k not in ("currentMetrics", "conditions")}
        for metric in status.get("currentMetrics") or []:
            res = metric.get("resource") or {}
            if metric.get("type") == "Resource" and res.get("name") == "cpu":
                current = res.get("current") or {}
                if "averageUtilization" in current:
                    out_status["currentCPUUtilizationPercentage"] = current["averageUtilization"]
        out["status"] = out_status
    return out


def _hpa_v1_to_v2(obj: dict[str, Any]) -> dict[str, Any]:
    spec = dict(obj.get("spec") or {})
    target = spec.pop("targetCPUUtilizationPercentage", None)
    if target is not None:
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}]
    out = {**obj, "apiVersion": "autoscaling/v2", "spec": spec}
    if obj.get("status") is not None:
        status = dict(obj["status"])
        current = status.pop("currentCPUUtilizationPercentage", None)
        if current is not None:
            status["currentMetrics"] = [{"type": "Resource", "resource": {
                "name": "cpu", "current": {"averageUtilization": current}}}]
        out["status"] = status
    return out


def to_served(obj: dict[str, Any], kind: Kind) -> dict[str, Any]:
    """The stored object as `kind` serves it. Returns `obj` itself when nothing changes."""
    if obj.get("apiVersion") == kind.api_version and obj.get("kind") == kind.kind:
        return obj
    if kind.kind == "HorizontalPodAutoscaler" and kind.version == "v1":
        return _hpa_v2_to_v1(obj)
    return {**obj, "apiVersion": kind.api_version, "kind": kind.kind}


def to_storage(obj: dict[str, Any], kind: Kind, storage: Kind) -> dict[str, Any]:
    """An object written through `kind` in the form `storage` keeps. Never mutates `obj`."""
    if kind is storage or (kind.api_version == storage.api_version and kind.kind == storage.kind):
        return obj
    if kind.kind == "HorizontalPodAutoscaler" and kind.version == "v1":
        return _hpa_v1_to_v2(clone(obj))
    return {**obj, "apiVersion": storage.api_version, "kind": storage.kind}
