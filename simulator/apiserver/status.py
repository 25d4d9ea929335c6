"""Store errors → `metav1.Status` bodies and HTTP codes, as kube-apiserver writes them."""

from __future__ import annotations

from typing import Any

from simulator.store.errors import StatusError


def status_body(err: StatusError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": err.message,
        "reason": err.reason,
        "code": err.code,
    }
    details = err.details()
    if details:
        body["details"] = details
    return body


def success_body(*, name: str = "", group: str = "", kind: str = "", uid: str = "") -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if kind:
        details["kind"] = kind
    if uid:
        details["uid"] = uid
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        body["details"] = details
    return body
