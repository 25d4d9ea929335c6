"""Status conditions kept the way upstream controllers keep them (`meta.SetStatusCondition`).

lastTransitionTime moves only when the status flips; Deployments' lastUpdateTime when anything changes
(or, with `touch`, on every progress report, as the progress deadline counts from it).
"""

from __future__ import annotations

from typing import Any


def set_condition(conditions: list[dict[str, Any]], new: dict[str, Any], now: str, *,
                  update_time: bool = False, touch: bool = False) -> list[dict[str, Any]]:
    """`conditions` with `new` in place of the one of its type (appended when absent)."""
    out = []
    found = False
    for c in conditions:
        if c.get("type") != new["type"]:
            out.append(c)
            continue
        found = True
        merged = {**c, **new}
        same = c.get("status") == new["status"]
        merged["lastTransitionTime"] = c.get("lastTransitionTime", now) if same else now
        if update_time:
            unchanged = same and c.get("reason") == new.get("reason") and c.get("message") == new.get("message")
            merged["lastUpdateTime"] = c.get("lastUpdateTime", now) if unchanged and not touch else now
        out.append(merged)
    if not found:
        out.append({**new, **({"lastUpdateTime": now} if update_time else {}), "lastTransitionTime": now})
    return out


def find_condition(conditions: list[dict[str, Any]] | None, type_: str) -> dict[str, Any] | None:
    return next((c for c in conditions or [] if c.get("type") == type_), None)
