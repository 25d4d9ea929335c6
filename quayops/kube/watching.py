"""Watch as a generator, and `wait_for` built on it.

`watch_objects` lists, then watches from the list's resourceVersion, resumes after the server closes
the stream, and relists when the resourceVersion expired (410), so callers see every change once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from quayops.errors import StepFailedError
from quayops.kube.client import Cluster
from quayops.kube.errors import GoneError


class WaitTimeout(StepFailedError):
    """A condition was not reached in time; the message says what was last seen."""


def watch_objects(cluster: Cluster, api_version: str, kind: str, *, namespace: str | None = None,
                  label_selector: str | None = None, field_selector: str | None = None,
                  deadline: float | None = None, synced: bool = False) -> Iterator[tuple[str, dict]]:
    """(event type, object) pairs: ADDED for what exists now, then ADDED/MODIFIED/DELETED as it happens.

    With `synced`, each (re)list ends with ("SYNCED", {"names": [...]}): what is absent from it is gone, even
    when its deletion fell between an earlier read and the list. Ends at `deadline` (time.monotonic()), or never.
    """
    selectors = {"namespace": namespace, "label_selector": label_selector, "field_selector": field_selector}
    while deadline is None or time.monotonic() < deadline:
        listed = cluster.list(api_version, kind, **selectors)
        for obj in listed.get("items") or []:
            yield "ADDED", {"apiVersion": api_version, "kind": kind, **obj}
        if synced:
            yield "SYNCED", {"names": [o["metadata"]["name"] for o in listed.get("items") or []]}
        rv = listed["metadata"].get("resourceVersion", "")
        try:
            while deadline is None or time.monotonic() < deadline:
                window = 60 if deadline is None else max(1, min(60, int(deadline - time.monotonic()) + 1))
                for event in cluster.watch(api_version, kind, resource_version=rv, timeout_seconds=window, **selectors):
                    obj = event.get("object") or {}
                    if event.get("type") == "ERROR":  # 410 inside the stream: resourceVersion expired
                        raise GoneError(obj.get("message", "watch expired"))
                    rv = (obj.get("metadata") or {}).get("resourceVersion", rv)
                    if event.get("type") != "BOOKMARK":
                        yield event["type"], obj
                    if deadline is not None and time.monotonic() >= deadline:
                        return
        except GoneError:
            continue  # relist


def wait_for(cluster: Cluster, api_version: str, kind: str, name: str, *, namespace: str | None = None,
             condition: Callable[[dict | None], bool], timeout: float,
             describe: Callable[[dict | None], str] | None = None,
             on_change: Callable[[dict | None], None] | None = None) -> dict | None:
    """Wait until `condition(obj)` holds (obj None once deleted); return the object that satisfied it.

    Raises WaitTimeout whose message is `describe(last object)`: what is still missing, in words.
    """
    deadline = time.monotonic() + timeout
    current = cluster.find(api_version, kind, name, namespace=namespace)
    if on_change:
        on_change(current)
    if condition(current):
        return current
    for event, obj in watch_objects(cluster, api_version, kind, namespace=namespace,
                                    field_selector=f"metadata.name={name}", deadline=deadline, synced=True):
        if event == "SYNCED" and name in obj["names"]:
            continue  # its ADDED came just before
        current = None if event in ("DELETED", "SYNCED") else obj
        if on_change:
            on_change(current)
        if condition(current):
            return current
    what = describe(current) if describe else "condition not met"
    raise WaitTimeout(f"{kind} {namespace + '/' if namespace else ''}{name}: not ready after {timeout:.0f} s: {what}",
                      step=f"wait for {kind} {name}")
