"""core/v1 Events as controllers emit them, so `kubectl get events` and `describe` show them.

Mirrors client-go's EventRecorder and its correlator: a repeat of the same reason and message on
the same object bumps `count` and `lastTimestamp` instead of adding an Event.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from simulator.store import Store
from simulator.store.errors import NotFound, StatusError

NORMAL, WARNING = "Normal", "Warning"
_CACHE_SIZE = 4096


class EventRecorder:
    """Writes Events into the Store on behalf of a named component (`default-scheduler`, `kubelet`, …)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        # key -> (namespace, name); an LRU of 4096 like client-go's correlator cache
        self._seen: OrderedDict[tuple[str, str, str, str], tuple[str, str]] = OrderedDict()
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def record(self, obj: Mapping[str, Any], type_: str, reason: str, message: str, *, component: str,
               host: str | None = None, field_path: str | None = None) -> None:
        """Emit (or bump) one Event about `obj`; failures to record are never fatal, as upstream."""
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        key = (meta.get("uid", ""), reason, message, component)
        kind = self._store.kind("v1", "Event")
        now = self._store.now()
        with self._lock:
            seen = self._seen.get(key)
        if seen is not None:
            try:
                current = self._store.get_shared(kind, seen[1], seen[0])
                self._store.patch(kind, seen[1], {"count": current.get("count", 1) + 1, "lastTimestamp": now},
                                  "application/merge-patch+json", namespace=seen[0], field_manager=component)
                return
            except NotFound:
                pass  # expired or the store was reset: emit a new one
            except StatusError:
                return
        involved = {"kind": obj.get("kind"), "namespace": meta.get("namespace"), "name": meta["name"],
                    "uid": meta.get("uid"), "apiVersion": obj.get("apiVersion"),
                    "resourceVersion": meta.get("resourceVersion")}
        if field_path:
            involved["fieldPath"] = field_path
        source = {"component": component}
        if host:
            source["host"] = host
        stamp = int(self._store.clock() * 1e9) + next(self._seq)
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{stamp:x}", "namespace": namespace},
            "involvedObject": {k: v for k, v in involved.items() if v is not None},
            "reason": reason, "message": message, "source": source, "type": type_, "count": 1,
            "firstTimestamp": now, "lastTimestamp": now, "reportingComponent": component,
            "reportingInstance": host or "",
        }
        try:
            created = self._store.create(kind, event, field_manager=component)
        except StatusError:
            return  # e.g. the namespace is terminating: upstream drops the event too
        with self._lock:
            self._seen[key] = (namespace, created["metadata"]["name"])
            if len(self._seen) > _CACHE_SIZE:
                self._seen.popitem(last=False)
