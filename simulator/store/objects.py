"""The cluster's objects: one monotonic resourceVersion, uids, generations, finalizers, garbage
collection by ownerReferences, namespace termination, and an event log that watches replay from.

Thread-safe: the API server (asyncio thread) and controllers (their own threads) share one Store.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from quayops.kube.kinds import Kind
from simulator.store import admission, managed, patching
from simulator.store.conversion import to_served, to_storage
from simulator.store.documents import clone
from simulator.store.errors import (
    BadRequest,
    Cause,
    Conflict,
    Expired,
    Forbidden,
    Invalid,
    NotFound,
    already_exists,
    conflict,
    not_found,
)
from simulator.store.resources import Resources, crd_manifest
from simulator.store.selectors import selector_predicate

StorageKey = tuple[str, str]  # (group, plural) of the storage version
ObjectKey = tuple[StorageKey, str, str]  # (storage key, namespace, name)
Predicate = Callable[[Mapping[str, Any]], bool]

_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_CRD_KEY: StorageKey = ("apiextensions.k8s.io", "customresourcedefinitions")
_NS_KEY: StorageKey = ("", "namespaces")


_last_stamp: tuple[int, str] = (-1, "")


def _timestamp(seconds: float) -> str:
    global _last_stamp
    whole = int(seconds)
    if _last_stamp[0] != whole:  # most writes within a second share it; strftime is not free
        _last_stamp = (whole, datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return _last_stamp[1]


@dataclass(frozen=True)
class Event:
    """One committed change, as the event log keeps it (objects in storage form)."""

    type: str  # ADDED, MODIFIED, DELETED
    resource_version: int
    storage_key: StorageKey
    namespace: str
    object: dict[str, Any]
    old: dict[str, Any] | None


@dataclass
class ObjectList:
    items: list[dict[str, Any]]
    resource_version: str
    continue_: str = ""
    remaining: int | None = None


class Watch:
    """The events one watcher will see, filtered and converted; drained by its consumer.

    `notify` is called (under the store lock, so it must only schedule) whenever events arrive;
    the HTTP layer passes `loop.call_soon_threadsafe`-based wake-ups, threads may block in `next()`.
    """

    def __init__(self, store: Store, kind: Kind, namespace: str | None, predicate: Predicate | None,
                 name: str | None, notify: Callable[[], None] | None) -> None:
        self.kind = kind
        self._store = store
        self._namespace = namespace
        self._predicate = predicate
        self._name = name
        self._notify = notify
        self._pending: deque[dict[str, Any]] = deque()
        self._cond = threading.Condition()
        self.closed = False

    def _matches(self, obj: Mapping[str, Any] | None) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if self._name is not None and meta["name"] != self._name:
            return False
        return self._predicate is None or self._predicate(obj)

    def _offer(self, event: Event) -> None:
        if self.closed or (self._namespace is not None and event.namespace != self._namespace):
            return
        now, before = self._matches(event.object), self._matches(event.old)
        if event.type == "MODIFIED":
            kind = "MODIFIED" if now and before else "ADDED" if now else "DELETED" if before else None
        else:
            kind = event.type if now else None
        if kind is not None:
            self._push({"type": kind, "object": to_served(event.object, self.kind)})

    def _push(self, item: dict[str, Any]) -> None:
        with self._cond:
            self._pending.append(item)
            self._cond.notify_all()
        if self._notify is not None:
            self._notify()

    def drain(self) -> list[dict[str, Any]]:
        """All pending `{"type", "object"}` events, oldest first."""
        with self._cond:
            items = list(self._pending)
            self._pending.clear()
        return items

    def has_pending(self) -> bool:
        with self._cond:
            return bool(self._pending)

    def next(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Block until one event is pending (or timeout / stop); for controller threads."""
        with self._cond:
            if not self._pending and not self.closed:
                self._cond.wait(timeout)
            return self._pending.popleft() if self._pending else None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while not self.closed:
            event = self.next(timeout=0.5)
            if event is not None:
                yield event

    def bookmark(self) -> dict[str, Any] | None:
        """A BOOKMARK at the store's current resourceVersion, if nothing is pending for this watch."""
        with self._store._lock, self._cond:
            if self._pending:
                return None
            rv = str(self._store._rv)
        return {"type": "BOOKMARK", "object": {"kind": self.kind.kind, "apiVersion": self.kind.api_version,
                                               "metadata": {"resourceVersion": rv}}}

    def stop(self) -> None:
        self._store._unwatch(self)
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        if self._notify is not None:
            self._notify()


class Store:
    """All objects of one simulated cluster, and the rules that guard every write."""

    def __init__(self, *, platform: str = "openshift", seed: int | None = None,
                 clock: Callable[[], float] = time.time, event_window: int = 50_000,
                 without: tuple[str, ...] = ()) -> None:
        self._lock = threading.RLock()
        self.lock = self._lock  # for callers composing several calls atomically
        self.platform = platform
        self.without = without  # optional APIs this cluster lacks (`quayops.kube.kinds.OPTIONAL_APIS`)
        self.resources = Resources(platform, without=without)
        self.clock = clock
        self._seed = seed
        self._rng = random.Random(seed)
        self._window = event_window
        self._rv = 0
        self._objects: dict[StorageKey, dict[str, dict[str, dict[str, Any]]]] = {}
        self._log: deque[Event] = deque(maxlen=event_window)
        self._compacted = 0  # events with resourceVersion <= this are gone from the log
        self._watches: dict[StorageKey, set[Watch]] = {}
        self._by_uid: dict[str, ObjectKey] = {}
        self._dependents: dict[str, set[ObjectKey]] = {}
        self._pending_gc: dict[ObjectKey, None] = {}  # an ordered set
        self._logs: dict[tuple[str, str, str], list[str]] = {}
        # extra steps run after every bootstrap (at start and after reset): the cluster profile's nodes, …
        self.bootstrappers: list[Callable[[Store], None]] = []
        self._bootstrap()

    # ---- lifecycle -------------------------------------------------------------------------

    def _bootstrap(self) -> None:
        for ns in _NAMESPACES:
            self.create(self.kind("v1", "Namespace"), {"apiVersion": "v1", "kind": "Namespace",
                                                       "metadata": {"name": ns}})
        crd_kind = self.kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        from quayops.kube.kinds import kinds_for

        by_resource: dict[tuple[str, str], list[Kind]] = {}
        for k in kinds_for(self.platform, without=self.without):
            if k.crd is not None:
                by_resource.setdefault((k.group, k.plural), []).append(k)
        for kinds in by_resource.values():
            self.create(crd_kind, crd_manifest(kinds))
        for step in self.bootstrappers:
            step(self)

    def reset(self) -> None:
        """Forget every object and close every watch; resourceVersions keep rising (old ones expire)."""
        with self._lock:
            self.stop_watches()
            self._watches.clear()
            self._objects.clear()
            self._by_uid.clear()
            self._dependents.clear()
            self._pending_gc.clear()
            self._log.clear()
            self._logs.clear()
            self._compacted = self._rv
            self.resources = Resources(self.platform, without=self.without)
            self._rng = random.Random(self._seed)
            self._bootstrap()

    def compact(self, resource_version: int | None = None) -> None:
        """Drop watch history up to `resource_version` (default: all), so older ones get 410 Expired."""
        with self._lock:
            upto = self._rv if resource_version is None else resource_version
            while self._log and self._log[0].resource_version <= upto:
                self._log.popleft()
            self._compacted = max(self._compacted, upto)

    @property
    def resource_version(self) -> int:
        return self._rv

    def kind(self, api_version: str, kind: str) -> Kind:
        """The served kind for apiVersion and kind; NotFound-like BadRequest when not served."""
        found = self.resources.by_gvk(api_version, kind)
        if found is None:
            raise BadRequest(f'no matches for kind "{kind}" in version "{api_version}"')
        return found

    def kind_of(self, obj: Mapping[str, Any]) -> Kind:
        return self.kind(obj.get("apiVersion", ""), obj.get("kind", ""))

    def now(self) -> str:
        return _timestamp(self.clock())

    # ---- reads ------------------------------------------------------------------------------

    def _bucket(self, key: StorageKey) -> dict[str, dict[str, dict[str, Any]]]:
        return self._objects.setdefault(key, {})

    def _storage(self, kind: Kind) -> tuple[Kind, StorageKey]:
        storage = self.resources.storage_kind(kind)
        return storage, (storage.group, storage.plural)

    def _ns(self, kind: Kind, namespace: str | None) -> str:
        return (namespace or "") if kind.namespaced else ""

    def _raw(self, kind: Kind, name: str, namespace: str | None) -> dict[str, Any]:
        _, key = self._storage(kind)
        obj = self._bucket(key).get(self._ns(kind, namespace), {}).get(name)
        if obj is None:
            raise not_found(kind.resource, name, group=kind.group, kind=kind.plural)
        return obj

    def get(self, kind: Kind, name: str, namespace: str | None = None) -> dict[str, Any]:
        """A copy of one object as `kind` serves it."""
        with self._lock:
            return clone(to_served(self._raw(kind, name, namespace), kind))

    def get_shared(self, kind: Kind, name: str, namespace: str | None = None) -> dict[str, Any]:
        """The object without copying, for serializers; callers must not mutate it."""
        with self._lock:
            return to_served(self._raw(kind, name, namespace), kind)

    def list(self, kind: Kind, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None, limit: int | None = None, continue_: str | None = None,
             copy_items: bool = True) -> ObjectList:
        """Objects of `kind` (all namespaces when `namespace` is None), sorted by namespace and name."""
        _, key = self._storage(kind)
        predicate = selector_predicate(label_selector, field_selector, key)
        start = self._decode_continue(continue_) if continue_ else None
        with self._lock:
            rv = str(self._rv)
            bucket = self._bucket(key)
            spaces = [self._ns(kind, namespace)] if namespace is not None and kind.namespaced else sorted(bucket)
            items: list[dict[str, Any]] = []
            more, last = False, None
            for ns in spaces:
                objs = bucket.get(ns) or {}
                for name in sorted(objs):
                    if start is not None and (ns, name) <= start:
                        continue
                    obj = objs[name]
                    if predicate is not None and not predicate(obj):
                        continue
                    if limit and len(items) >= limit:
                        more = True
                        break
                    items.append(to_served(obj, kind))
                    last = (ns, name)
                if more:
                    break
            if copy_items:
                items = clone(items)
        token = self._encode_continue(rv, last) if more and last else ""
        return ObjectList(items, rv, token)

    @staticmethod
    def _encode_continue(rv: str, last: tuple[str, str]) -> str:
        raw = json.dumps({"v": "meta.k8s.io/v1", "rv": int(rv), "start": f"{last[0]}/{last[1]}\u0000"})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _decode_continue(self, token: str) -> tuple[str, str]:
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            ns, _, name = raw["start"].rstrip("\u0000").partition("/")
            rv = int(raw["rv"])
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            raise BadRequest(f"continue key is not valid: {token}") from None
        if rv < self._compacted:
            raise Expired("The provided continue parameter is too old to display a consistent list result. "
                          "You can start a new list without the continue parameter, or use the continue "
                          "token in this response to retrieve the remainder of the results. Continuing with "
                          "the provided token results in an inconsistent list - objects that were created, "
                          "modified, or deleted between the time the first chunk was returned and now may "
                          "show up in the list.")
        return ns, name

    def count(self) -> int:
        with self._lock:
            return sum(len(objs) for bucket in self._objects.values() for objs in bucket.values())

    # ---- watch ------------------------------------------------------------------------------

    def watch(self, kind: Kind, namespace: str | None = None, *, resource_version: str | None = None,
              label_selector: str | None = None, field_selector: str | None = None, name: str | None = None,
              send_initial_events: bool | None = None,
              notify: Callable[[], None] | None = None) -> Watch:
        """Start a watch; replays from `resource_version`, or lists first when it is unset or "0".

        Raises Expired (410) when `resource_version` is older than the event window.
        """
        _, key = self._storage(kind)
        predicate = selector_predicate(label_selector, field_selector, key)
        ns = self._ns(kind, namespace) if namespace is not None and kind.namespaced else None
        w = Watch(self, kind, ns, predicate, name, notify)
        with self._lock:
            initial = send_initial_events if send_initial_events is not None else resource_version in (None, "",
                                                                                                          "0")
            if initial:
                bucket = self._bucket(key)
                for space in ([ns] if ns is not None else sorted(bucket)):
                    for obj_name in sorted(bucket.get(space) or {}):
                        obj = bucket[space][obj_name]
                        if w._matches(obj):
                            w._pending.append({"type": "ADDED", "object": to_served(obj, kind)})
                if send_initial_events:
                    w._pending.append({"type": "BOOKMARK", "object": {
                        "kind": kind.kind, "apiVersion": kind.api_version, "metadata": {
                            "resourceVersion": str(self._rv),
                            "annotations": {"k8s.io/initial-events-end": "true"}}}})
            elif resource_version not in (None, "", "0"):
                try:
                    since = int(resource_version)
                except ValueError:
                    raise BadRequest(f'invalid resource version: "{resource_version}"') from None
                if since < self._compacted:
                    raise Expired(f"too old resource version: {since} ({self._compacted + 1})")
                for event in self._log:
                    if event.resource_version > since and event.storage_key == key:
                        w._offer(event)
            self._watches.setdefault(key, set()).add(w)
        return w

    def _unwatch(self, w: Watch) -> None:
        with self._lock:
            for watches in self._watches.values():
                watches.discard(w)

    def stop_watches(self, resource: tuple[str, str] | None = None) -> None:
        """End every open watch, or those on one (group, plural); used at shutdown and by fault injection."""
        with self._lock:
            for key, watches in list(self._watches.items()):
                if resource is None or key == resource:
                    for w in list(watches):
                        w.stop()

    def watch_count(self) -> int:
        with self._lock:
            return sum(len(ws) for ws in self._watches.values())

    # ---- commit -----------------------------------------------------------------------------

    def _commit(self, key: StorageKey, ns: str, name: str, obj: dict[str, Any] | None, etype: str,
                old: dict[str, Any] | None) -> dict[str, Any]:
        """Store (or remove) one object at a new resourceVersion and tell the watchers."""
        self._rv += 1
        bucket = self._bucket(key)
        if obj is not None:
            obj["metadata"]["resourceVersion"] = str(self._rv)
            bucket.setdefault(ns, {})[name] = obj
            self._index(key, ns, name, obj, old)
            event_obj = obj
        else:
            assert old is not None
            objs = bucket.get(ns)
            if objs is not None:
                objs.pop(name, None)
                if not objs:
                    bucket.pop(ns, None)
            self._index(key, ns, name, None, old)
            for ref in old["metadata"].get("ownerReferences") or ():
                if ref.get("uid") in self._by_uid:
                    self._enqueue(self._by_uid[ref["uid"]])
            for dep in self._dependents.get(old["metadata"]["uid"], ()):
                self._enqueue(dep)
            if ns:
                self._enqueue((_NS_KEY, "", ns))
            event_obj = {**old, "metadata": {**old["metadata"], "resourceVersion": str(self._rv)}}
        event = Event(etype, self._rv, key, ns, event_obj, old if etype == "MODIFIED" else None)
        if len(self._log) == self._log.maxlen:
            self._compacted = self._log[0].resource_version
        self._log.append(event)
        for w in list(self._watches.get(key, ())):
            w._offer(event)
        if key == _CRD_KEY:
            self._crd_changed(obj, old)
        return event_obj

    def _index(self, key: StorageKey, ns: str, name: str, obj: dict[str, Any] | None,
               old: dict[str, Any] | None) -> None:
        okey = (key, ns, name)
        if old is not None:
            for ref in old["metadata"].get("ownerReferences") or ():
                deps = self._dependents.get(ref.get("uid"))
                if deps is not None:
                    deps.discard(okey)
                    if not deps:
                        del self._dependents[ref["uid"]]
            if obj is None:
                self._by_uid.pop(old["metadata"]["uid"], None)
        if obj is not None:
            self._by_uid[obj["metadata"]["uid"]] = okey
            for ref in obj["metadata"].get("ownerReferences") or ():
                if ref.get("uid"):
                    self._dependents.setdefault(ref["uid"], set()).add(okey)

    def _crd_changed(self, crd: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
        if crd is not None and not crd["metadata"].get("deletionTimestamp"):
            self.resources.add_crd(crd)
        elif crd is None and old is not None:
            self.resources.remove_crd(old["metadata"]["name"])

    # ---- writes -----------------------------------------------------------------------------

    def _admit(self, kind: Kind, obj: dict[str, Any], warnings: list[str] | None,
               field_validation: str) -> list[Cause]:
        """Schema pruning (unknown fields per fieldValidation) and type errors."""
        schema = self.resources.schema(kind)
        unknown, causes = admission.prune(obj, schema, builtin=kind.crd is None, kind=kind)
        if unknown:
            if field_validation == "Strict":
                if kind.crd is None:
                    listed = ", ".join(f'unknown field "{u}"' for u in unknown)
                    raise BadRequest(f"strict decoding error: {listed}")
                raise BadRequest(", ".join(f'.{u}: field not declared in schema' for u in unknown))
            if field_validation != "Ignore" and warnings is not None:
                warnings.extend(f'unknown field "{u}"' for u in unknown)
        return causes

    def _manager(self, field_manager: str | None) -> str:
        return field_manager or "unknown"

    def create(self, kind: Kind, obj: Mapping[str, Any], *, namespace: str | None = None,
               dry_run: bool = False, field_manager: str | None = None, field_validation: str = "Warn",
               warnings: list[str] | None = None, shared: bool = False) -> dict[str, Any]:
        """Create one object (generateName honoured); returns it as `kind` serves it.

        `shared=True` hands `obj` over instead of copying it and returns the stored object itself; for
        the HTTP layer, which serializes it at once and mutates neither (stored objects are replaced on
        write, never changed in place).
        """
        admission.check_identity(kind, obj)
        obj = dict(obj) if shared else clone(dict(obj))
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        meta = obj.setdefault("metadata", {})
        ns = self._check_namespace(kind, meta, namespace)
        causes = self._admit(kind, obj, warnings, field_validation)
        with self._lock:
            if not meta.get("name"):
                if meta.get("generateName"):
                    meta["name"] = meta["generateName"] + admission.generate_suffix(self._rng)
                else:
                    causes.insert(0, Cause("FieldValueRequired", "Required value: name or generateName is "
                                           "required", "metadata.name"))
            causes.extend(admission.validate(kind, obj))
            admission.refuse(kind, meta.get("name", ""), causes)
            storage, key = self._storage(kind)
            if kind.namespaced:
                self._check_namespace_open(ns, kind, meta["name"])
            if meta["name"] in self._bucket(key).get(ns, {}):
                raise already_exists(kind.resource, meta["name"], group=kind.group, kind=kind.plural)
            if kind.kind == "Project":
                return self._create_project(kind, obj, dry_run, field_manager)
            for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
                meta.pop(field, None)
            meta["uid"] = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            meta["creationTimestamp"] = self.now()
            meta["generation"] = 1
            if "status" in kind.subresources and kind.kind not in ("Namespace",):
                obj.pop("status", None)
            admission.default(kind, obj, self._rng)
            schema = self.resources.schema(kind)
            meta["managedFields"] = managed.record_update(
                [], manager=self._manager(field_manager), api_version=kind.api_version, now=meta["creationTimestamp"],
                old={}, new=managed.flatten(obj, schema))
            if dry_run:
                return obj
            stored = to_storage(obj, kind, storage)
            self._commit(key, ns, meta["name"], stored, "ADDED", None)
            self._settle()
            return _result(to_served(stored, kind), shared)

    def _check_namespace(self, kind: Kind, meta: dict[str, Any], namespace: str | None) -> str:
        if not kind.namespaced:
            meta.pop("namespace", None)
            return ""
        body_ns = meta.get("namespace")
        if namespace and body_ns and body_ns != namespace:
            raise BadRequest("the namespace of the provided object does not match the namespace sent on the "
                             "request")
        ns = namespace or body_ns or ""
        if not ns:
            raise BadRequest("an empty namespace may not be set during creation")
        meta["namespace"] = ns
        return ns

    def _check_namespace_open(self, ns: str, kind: Kind, name: str) -> None:
        namespace = self._bucket(_NS_KEY).get("", {}).get(ns)
        if namespace is None:
            raise not_found("namespaces", ns, kind="namespaces")
        if namespace["metadata"].get("deletionTimestamp"):
            raise Forbidden(f'{kind.plural} "{name}" is forbidden: unable to create new content in namespace '
                            f"{ns} because it is being terminated", name=name, group=kind.group,
                            kind=kind.plural)

    def _create_project(self, kind: Kind, obj: dict[str, Any], dry_run: bool,
                        field_manager: str | None) -> dict[str, Any]:
        ns_kind = self.kind("v1", "Namespace")
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            k: v for k, v in obj["metadata"].items() if k in ("name", "labels", "annotations")}}
        created = self.create(ns_kind, namespace, dry_run=dry_run, field_manager=field_manager)
        return to_served(created, kind)

    def update(self, kind: Kind, obj: Mapping[str, Any], *, namespace: str | None = None,
               name: str | None = None, subresource: str | None = None, dry_run: bool = False,
               field_manager: str | None = None, field_validation: str = "Warn",
               warnings: list[str] | None = None, shared: bool = False) -> dict[str, Any]:
        """Replace one object (or its status); 409 on a stale resourceVersion. `shared` as for create."""
        admission.check_identity(kind, obj)
        obj = dict(obj) if shared else clone(dict(obj))
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        meta = obj.setdefault("metadata", {})
        name = name or meta.get("name") or ""
        if meta.get("name") and meta["name"] != name:
            raise BadRequest(f"the name of the object ({meta['name']}) does not match the name on the URL "
                             f"({name})")
        meta["name"] = name
        if kind.namespaced:
            self._check_namespace(kind, meta, namespace)
        causes = self._admit(kind, obj, warnings, field_validation)
        with self._lock:
            current = to_served(self._raw(kind, name, namespace), kind)
            return self._write(kind, current, obj, causes, subresource=subresource, dry_run=dry_run,
                               field_manager=field_manager, precondition=meta.get("resourceVersion"),
                               shared=shared)

    def _write(self, kind: Kind, current: dict[str, Any], new: dict[str, Any], causes: list[Cause], *,
               subresource: str | None, dry_run: bool, field_manager: str | None, precondition: str | None,
               managed_fields: list[dict[str, Any]] | None = None, shared: bool = False) -> dict[str, Any]:
        meta, old_meta = new["metadata"], current["metadata"]
        name = old_meta["name"]
        if precondition and precondition != old_meta["resourceVersion"]:
            raise conflict(kind.resource, name, group=kind.group, kind=kind.plural)
        if subresource == "status":
            new = {**current, "status": new.get("status")} if "status" in new else dict(current)
            if new.get("status") is None:
                new.pop("status", None)
            meta = new["metadata"] = dict(old_meta)
        elif subresource not in (None, ""):
            raise BadRequest(f"subresource {subresource} cannot be written here")
        else:
            if "status" in kind.subresources:
                if "status" in current:
                    new["status"] = current["status"]
                else:
                    new.pop("status", None)
            for field in ("uid", "creationTimestamp", "generation", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "namespace"):
                if field in old_meta:
                    meta[field] = old_meta[field]
                else:
                    meta.pop(field, None)
            if kind.kind == "Namespace":
                new["status"] = current.get("status")
                new["spec"] = current.get("spec") if old_meta.get("deletionTimestamp") else new.get("spec")
        meta["resourceVersion"] = old_meta["resourceVersion"]
        causes = causes + admission.validate_update(kind, current, new)
        admission.refuse(kind, name, causes)
        if managed_fields is None:
            # a writer may replace managedFields by sending them; otherwise ownership follows the write
            sent = meta.get("managedFields")
            base = sent if sent and sent != old_meta.get("managedFields") else old_meta.get("managedFields") or []
            schema = self.resources.schema(kind)
            status_only = subresource == "status"
            managed_fields = managed.record_update(
                base, manager=self._manager(field_manager), api_version=kind.api_version, now=self.now(),
                old=managed.flatten(current, schema, include_status=status_only),
                new=managed.flatten(new, schema, include_status=status_only), subresource=subresource or "")
        meta["managedFields"] = managed_fields
        if _strip_for_compare(new) == _strip_for_compare(current):
            return _result(current, shared)  # a no-op write keeps its resourceVersion, as upstream
        if _spec_view(new) != _spec_view(current):
            meta["generation"] = old_meta.get("generation", 1) + 1
        if dry_run:
            return new
        storage, key = self._storage(kind)
        ns = self._ns(kind, old_meta.get("namespace"))
        stored = to_storage(new, kind, storage)
        old_stored = self._bucket(key)[ns][name]
        if meta.get("deletionTimestamp") and not meta.get("finalizers") and not _spec_finalizers(stored):
            self._commit(key, ns, name, None, "DELETED", old_stored)
            self._settle()
            return _result(to_served(stored, kind), shared)
        self._commit(key, ns, name, stored, "MODIFIED", old_stored)
        if meta.get("deletionTimestamp"):
            self._enqueue((key, ns, name))
        self._settle()
        return _result(to_served(stored, kind), shared)

    def patch(self, kind: Kind, name: str, patch: Any, patch_type: str, *, namespace: str | None = None,
              subresource: str | None = None, dry_run: bool = False, field_manager: str | None = None,
              force: bool = False, field_validation: str = "Warn",
              warnings: list[str] | None = None, shared: bool = False) -> dict[str, Any]:
        """Patch one object with any of the four patch types (apply may create it). `shared` as for create."""
        if patch_type == patching.APPLY:
            return self._apply(kind, name, patch, namespace=namespace, subresource=subresource, dry_run=dry_run,
                               field_manager=field_manager, force=force, field_validation=field_validation,
                               warnings=warnings)
        with self._lock:
            current = to_served(self._raw(kind, name, namespace), kind)
            builtin = kind.crd is None
            result = patching.apply_patch(clone(current), patch, patch_type, self.resources.schema(kind),
                                          builtin=builtin, kind_text=f"{kind.api_version}, Kind={kind.kind}")
            precondition = None
            if isinstance(patch, Mapping):
                precondition = (patch.get("metadata") or {}).get("resourceVersion")
            admission.check_identity(kind, result)
            causes = self._admit(kind, result, warnings, field_validation)
            return self._write(kind, current, result, causes, subresource=subresource, dry_run=dry_run,
                               field_manager=field_manager, precondition=precondition, shared=shared)

    def _apply(self, kind: Kind, name: str, applied: Any, *, namespace: str | None, subresource: str | None,
               dry_run: bool, field_manager: str | None, force: bool, field_validation: str,
               warnings: list[str] | None) -> dict[str, Any]:
        if not field_manager:
            raise BadRequest("PATCH, application/apply-patch+yaml requires fieldManager to be set")
        admission.check_identity(kind, applied)
        applied = clone(dict(applied))
        applied["apiVersion"], applied["kind"] = kind.api_version, kind.kind
        meta = applied.setdefault("metadata", {})
        if meta.get("name") and meta["name"] != name:
            raise BadRequest(f"the name of the object ({meta['name']}) does not match the name on the URL "
                             f"({name})")
        meta["name"] = name
        if kind.namespaced:
            self._check_namespace(kind, meta, namespace)
        causes = self._admit(kind, applied, warnings, field_validation)
        schema = self.resources.schema(kind)
        status_only = subresource == "status"
        applied_fields = managed.flatten(applied, schema, include_status=status_only)
        with self._lock:
            try:
                current = to_served(self._raw(kind, name, namespace), kind)
            except NotFound:
                current = None
            if current is None:
                if subresource:
                    raise not_found(kind.resource, name, group=kind.group, kind=kind.plural)
                created = self.create(kind, applied, namespace=namespace, dry_run=dry_run,
                                      field_manager=field_manager, field_validation=field_validation)
                created_meta = created["metadata"]
                created_meta["managedFields"] = [managed.entry(field_manager, "Apply", kind.api_version,
                                                               created_meta["creationTimestamp"],
                                                               set(applied_fields))]
                if dry_run:
                    return created
                stored = self._raw(kind, name, namespace)
                stored["metadata"]["managedFields"] = created_meta["managedFields"]
                return clone(to_served(stored, kind))
            entries = current["metadata"].get("managedFields") or []
            live_fields = managed.flatten(current, schema, include_status=status_only)
            conflicts = managed.detect_conflicts(entries, manager=field_manager, live=live_fields,
                                                 applied=applied_fields)
            if conflicts and not force:
                causes_c = tuple(Cause("FieldManagerConflict", f'conflict with "{m}" using {v}',
                                       managed.path_text(p)) for m, v, p in conflicts)
                lines = "\n".join(f'- {c.message}: {c.field}' for c in causes_c)
                raise Conflict(f"Apply failed with {len(conflicts)} conflict{'s' if len(conflicts) > 1 else ''}: "
                               + (f"{causes_c[0].message}: {causes_c[0].field}" if len(causes_c) == 1
                                  else "\n" + lines),
                               name=name, group=kind.group, kind=kind.plural, causes=causes_c)
            previous = managed.applied_by(entries, field_manager, subresource or "")
            drop = previous - set(applied_fields) - managed.owned_by_others(entries, field_manager)
            merged = clone(current)
            for path in sorted(drop, key=len, reverse=True):
                managed.remove_path(merged, path)
            merged = patching.apply_merge(merged, {k: v for k, v in applied.items()
                                                   if k not in ("apiVersion", "kind")}, schema)
            merged["metadata"] = {**merged["metadata"], "name": name}
            taken = {p for _, _, p in conflicts}
            entries_after = managed.record_apply(entries, manager=field_manager, api_version=kind.api_version,
                                                 now=self.now(), applied=set(applied_fields), taken=taken,
                                                 subresource=subresource or "")
            return self._write(kind, current, merged, causes, subresource=subresource, dry_run=dry_run,
                               field_manager=field_manager, precondition=meta.get("resourceVersion"),
                               managed_fields=entries_after)

    # ---- delete and garbage collection ------------------------------------------------------

    def delete(self, kind: Kind, name: str, namespace: str | None = None, *,
               propagation_policy: str | None = None, grace_period_seconds: int | None = None,
               preconditions: Mapping[str, Any] | None = None, dry_run: bool = False) -> tuple[dict[str, Any], bool]:
        """Delete one object; returns (object, gone). `gone` is False while finalizers hold it."""
        if propagation_policy not in (None, "Background", "Foreground", "Orphan"):
            raise Invalid(f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
                          f'"{propagation_policy}": supported values: "Foreground", "Background", "Orphan", "nil"')
        if grace_period_seconds is not None and grace_period_seconds < 0:
            grace_period_seconds = 0
        with self._lock:
            _, key = self._storage(kind)
            ns = self._ns(kind, namespace)
            stored = self._raw(kind, name, namespace)
            meta = stored["metadata"]
            if preconditions:
                if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
                    raise conflict(kind.resource, name, group=kind.group, kind=kind.plural)
                if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta["resourceVersion"]:
                    raise conflict(kind.resource, name, group=kind.group, kind=kind.plural)
            if dry_run:
                return clone(to_served(stored, kind)), True
            result, gone = self._delete_now(key, ns, name, propagation_policy or "Background")
            self._settle()
            return clone(to_served(result, kind)), gone

    def _delete_now(self, key: StorageKey, ns: str, name: str, policy: str) -> tuple[dict[str, Any], bool]:
        """Remove an object, or mark it deleting when finalizers (or a policy) must run first."""
        stored = self._bucket(key)[ns][name]
        meta = stored["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if policy == "Foreground" and "foregroundDeletion" not in finalizers and self._dependents.get(meta["uid"]):
            finalizers.append("foregroundDeletion")
        if policy == "Orphan" and "orphan" not in finalizers and self._dependents.get(meta["uid"]):
            finalizers.append("orphan")
        if key == _NS_KEY:
            new = clone(stored)
            new["metadata"].setdefault("deletionTimestamp", self.now())
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            new["status"] = {"phase": "Terminating"}
            if new["metadata"].get("finalizers") != (finalizers or None):
                new["metadata"]["finalizers"] = finalizers
            committed = self._commit(key, ns, name, new, "MODIFIED", stored) if new != stored else stored
            self._enqueue((key, ns, name))
            return committed, False
        if finalizers:
            if meta.get("deletionTimestamp") and meta.get("finalizers") == finalizers:
                return stored, False
            new = clone(stored)
            new["metadata"].setdefault("deletionTimestamp", self.now())
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            new["metadata"]["finalizers"] = finalizers
            committed = self._commit(key, ns, name, new, "MODIFIED", stored)
            self._enqueue((key, ns, name))
            return committed, False
        gone = self._commit(key, ns, name, None, "DELETED", stored)
        if key == _CRD_KEY:
            self._delete_custom_resources(stored)
        return gone, True

    def _delete_custom_resources(self, crd: dict[str, Any]) -> None:
        spec = crd.get("spec") or {}
        key = (spec.get("group", ""), (spec.get("names") or {}).get("plural", ""))
        for ns, objs in list(self._bucket(key).items()):
            for obj_name in list(objs):
                self._commit(key, ns, obj_name, None, "DELETED", objs[obj_name])

    def _enqueue(self, okey: ObjectKey) -> None:
        self._pending_gc[okey] = None

    def _exists(self, okey: ObjectKey) -> dict[str, Any] | None:
        key, ns, name = okey
        return self._bucket(key).get(ns, {}).get(name)

    def _settle(self) -> None:
        """Run garbage collection and namespace finalization until nothing more changes.

        Immediate, in the writer's thread: the simulator's GC has no lag (the controllers issue may
        give it a pace).
        """
        while self._pending_gc:
            okey = next(iter(self._pending_gc))
            del self._pending_gc[okey]
            obj = self._exists(okey)
            if obj is None:
                continue
            key, ns, name = okey
            meta = obj["metadata"]
            if key == _NS_KEY:
                self._finalize_namespace(name, obj)
                continue
            owners = meta.get("ownerReferences") or []
            live_owners = [r for r in owners if r.get("uid") in self._by_uid]
            if owners and not live_owners and not meta.get("deletionTimestamp"):
                # every owner is gone: cascade, in the foreground if an owner was deleted that way
                self._delete_now(key, ns, name, "Background")
                continue
            if owners and len(live_owners) < len(owners) and not meta.get("deletionTimestamp"):
                new = clone(obj)
                new["metadata"]["ownerReferences"] = live_owners
                self._commit(key, ns, name, new, "MODIFIED", obj)
            if live_owners:
                for ref in live_owners:
                    owner = self._exists(self._by_uid[ref["uid"]])
                    if owner is not None and owner["metadata"].get("deletionTimestamp"):
                        self._enqueue(self._by_uid[ref["uid"]])
            if meta.get("deletionTimestamp"):
                self._progress_deletion(okey, obj)

    def _progress_deletion(self, okey: ObjectKey, obj: dict[str, Any]) -> None:
        key, ns, name = okey
        meta = obj["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        uid = meta["uid"]
        dependents = [d for d in self._dependents.get(uid, ()) if self._exists(d) is not None]
        if "orphan" in finalizers:
            for dep in dependents:
                dep_obj = self._exists(dep)
                new = clone(dep_obj)
                new["metadata"]["ownerReferences"] = [r for r in new["metadata"].get("ownerReferences") or []
                                                      if r.get("uid") != uid]
                if not new["metadata"]["ownerReferences"]:
                    del new["metadata"]["ownerReferences"]
                self._commit(dep[0], dep[1], dep[2], new, "MODIFIED", dep_obj)
            finalizers.remove("orphan")
        elif "foregroundDeletion" in finalizers:
            blocking = []
            for dep in dependents:
                dep_obj = self._exists(dep)
                if dep_obj is None:
                    continue
                if not dep_obj["metadata"].get("deletionTimestamp"):
                    self._delete_now(dep[0], dep[1], dep[2], "Foreground")
                if self._exists(dep) is not None and any(
                        r.get("uid") == uid and r.get("blockOwnerDeletion")
                        for r in dep_obj["metadata"].get("ownerReferences") or []):
                    blocking.append(dep)
            if blocking:
                return
            finalizers.remove("foregroundDeletion")
        else:
            return
        current = self._exists(okey)
        if current is None:
            return
        new = clone(current)
        new["metadata"]["finalizers"] = finalizers
        if not finalizers:
            new["metadata"].pop("finalizers")
            self._commit(key, ns, name, None, "DELETED", current)
        else:
            self._commit(key, ns, name, new, "MODIFIED", current)

    def _finalize_namespace(self, name: str, ns_obj: dict[str, Any]) -> None:
        if not ns_obj["metadata"].get("deletionTimestamp"):
            return
        remaining = 0
        for key, bucket in list(self._objects.items()):
            objs = bucket.get(name)
            if not objs:
                continue
            for obj_name in list(objs):
                obj = objs.get(obj_name)
                if obj is None:
                    continue
                if not obj["metadata"].get("deletionTimestamp"):
                    self._delete_now(key, name, obj_name, "Background")
                if bucket.get(name, {}).get(obj_name) is not None:
                    remaining += 1
        current = self._exists((_NS_KEY, "", name))
        if current is None:
            return
        if remaining:
            conditions = [{"type": "NamespaceContentRemaining", "status": "True",
                           "reason": "SomeResourcesRemain",
                           "message": f"Some resources are remaining: {remaining} objects"}]
            if current.get("status", {}).get("conditions") != conditions:
                new = clone(current)
                new["status"]["conditions"] = conditions
                self._commit(_NS_KEY, "", name, new, "MODIFIED", current)
            return
        if current["metadata"].get("finalizers"):
            return
        self._commit(_NS_KEY, "", name, None, "DELETED", current)

    def deletecollection(self, kind: Kind, namespace: str | None = None, *, label_selector: str | None = None,
                         field_selector: str | None = None, propagation_policy: str | None = None,
                         dry_run: bool = False) -> list[dict[str, Any]]:
        """Delete every matching object; returns what was deleted (or marked deleting)."""
        with self._lock:
            items = self.list(kind, namespace, label_selector=label_selector, field_selector=field_selector,
                              copy_items=False).items
            out = []
            for obj in items:
                meta = obj["metadata"]
                if self._exists((self._storage(kind)[1], self._ns(kind, meta.get("namespace")), meta["name"])):
                    out.append(self.delete(kind, meta["name"], meta.get("namespace"),
                                           propagation_policy=propagation_policy, dry_run=dry_run)[0])
            return out

    def append_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        """Add lines to a container's log (what `pods/log` serves); controllers write these."""
        with self._lock:
            self._logs.setdefault((namespace, pod, container), []).extend(text.splitlines())

    def read_log(self, namespace: str, pod: str, container: str) -> list[str]:
        with self._lock:
            return list(self._logs.get((namespace, pod, container), ()))

    def iter_objects(self) -> Iterator[dict[str, Any]]:
        """Every stored object (storage form, not copied); for snapshots and debugging."""
        with self._lock:
            for bucket in self._objects.values():
                for objs in bucket.values():
                    yield from objs.values()


def _result(obj: dict[str, Any], shared: bool) -> dict[str, Any]:
    return obj if shared else clone(obj)


def _spec_finalizers(obj: Mapping[str, Any]) -> list[str]:
    if obj.get("kind") == "Namespace":
        return list((obj.get("spec") or {}).get("finalizers") or [])
    return []


def _strip_for_compare(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in obj["metadata"].items() if k not in ("managedFields", "resourceVersion")}
    return {**obj, "metadata": meta}


def _spec_view(obj: Mapping[str, Any]) -> dict[str, Any]:
    """What bumps metadata.generation: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}
