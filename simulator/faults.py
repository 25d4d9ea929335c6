"""Fault injection (issue 4 item 8): named, listed, timed and clearable faults on a running simulator, through the
stage knobs controllers read, the API handlers' hooks, and the data plane's real S3 and PostgreSQL servers."""

from __future__ import annotations

import itertools
import logging
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from quayops.kube.kinds import Kind
from simulator.apiserver.routes import RequestInfo
from simulator.controllers.base import Context, Key, Obj, Runner, Watched
from simulator.controllers.jobs import is_finished
from simulator.stages import KNOB_PREFIX, parse_duration
from simulator.store.errors import (
    BadRequest,
    InternalError,
    NotFound,
    ServiceUnavailable,
    StatusError,
    TooManyRequests,
    conflict,
)

if TYPE_CHECKING:
    from simulator.dataplane.s3faults import S3Failure, S3FaultProxy
    from simulator.dataplane.wiring import DataPlane

log = logging.getLogger(__name__)

FIELD_MANAGER = "simulator-faults"
MERGE = "application/merge-patch+json"
FINALIZER = "simulator.quayops.dev/fault"
APPLICATION = "simulator-faults"  # our own PostgreSQL sessions, which db-disconnect spares

KINDS: Mapping[str, str] = {
    "crash-loop": "TARGET ns/name: the pods of Deployment or StatefulSet `name` crash-loop (CrashLoopBackOff)",
    "job-failure": "TARGET ns/name: the next `count` (1) runs of Job `name`, or of CronJob `name`'s Jobs, fail "
                   "(their pods exit with `exit_code`, 1)",
    "pvc-pending": "TARGET ns/name: the PersistentVolumeClaim stays Pending",
    "node-not-ready": "TARGET node: the node goes NotReady; its pods are evicted and rescheduled",
    "route-stall": "TARGET ns/name: the Route is not admitted",
    "api-errors": "TARGET resource[/subresource] or *: matching requests (`verb`, `namespace`, `name`) fail with "
                  "`code` 409, 429 (with Retry-After `retry_after`), 500 or 503; `count` of them, or all while it lasts",
    "watch-close": "TARGET resource or *: open watch streams close now, and every `every` (1s) while it lasts",
    "expire-versions": "TARGET resource or *: resourceVersions expire (410) now, and before each list or watch "
                       "while it lasts",
    "hold-finalizer": "TARGET resource/ns/name or resource/name: a finalizer (`finalizer`) only clearing removes",
    "s3-errors": "TARGET bucket or *: S3 requests (`method`) answer `code` 503 or 500, or are dropped (`drop`), "
                 "at `rate` (1.0); `count` of them, or all while it lasts",
    "db-disconnect": "TARGET database or *: PostgreSQL sessions (of `application`, connected `after` seconds) are "
                     "terminated; now, or `count` of them as they come while it lasts",
}
API_CODES = (409, 429, 500, 503)
S3_CODES = (500, 503)
S3_PORTS = ("s3", "s3-https", 80, 443, 6001, 6443)  # NooBaa's `s3` Service, as the data plane registers it


# ---- parameters ---------------------------------------------------------------------------------

def _count(value: Any) -> int:
    n = int(value)
    if n < 1:
        raise ValueError(f"must be at least 1, got {n}")
    return n


def _seconds(value: Any) -> float:
    seconds = float(value) if isinstance(value, int | float) else parse_duration(str(value))
    if seconds < 0:
        raise ValueError(f"must not be negative, got {value}")
    return seconds


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "yes"):
        return True
    if str(value).lower() in ("false", "0", "no"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _code(allowed: tuple[int, ...]) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        code = int(value)
        if code not in allowed:
            raise ValueError(f"must be one of {', '.join(map(str, allowed))}, got {code}")
        return code
    return parse


def _rate(value: Any) -> float:
    rate = float(value)
    if not 0 < rate <= 1:
        raise ValueError(f"must be in (0, 1], got {rate}")
    return rate


PARAMS: Mapping[str, Mapping[str, Callable[[Any], Any]]] = {
    "crash-loop": {}, "pvc-pending": {}, "node-not-ready": {}, "route-stall": {}, "expire-versions": {},
    "job-failure": {"count": _count, "exit_code": int},
    "api-errors": {"count": _count, "verb": str, "namespace": str, "name": str, "code": _code(API_CODES),
                   "retry_after": int},
    "watch-close": {"every": _seconds},
    "hold-finalizer": {"finalizer": str},
    "s3-errors": {"count": _count, "code": _code(S3_CODES), "drop": _flag, "rate": _rate, "method": str},
    "db-disconnect": {"count": _count, "application": str, "after": _seconds},
}


@dataclass(frozen=True)
class Knob:
    """The stage knob an object fault sets, on objects of one kind."""

    api_version: str
    kind: str
    name: str
    value: str


KNOBS: Mapping[str, Knob] = {
    "crash-loop": Knob("v1", "Pod", "crash-loop", "true"),
    "job-failure": Knob("batch/v1", "Job", "exit-code", "1"),
    "pvc-pending": Knob("v1", "PersistentVolumeClaim", "hold", "true"),
    "route-stall": Knob("route.openshift.io/v1", "Route", "hold", "true"),
    "node-not-ready": Knob("v1", "Node", "not-ready", "true"),
}
_WORKLOADS = ("Deployment", "StatefulSet", "ReplicaSet")


@dataclass(frozen=True)
class Fault:
    """One fault: `until` is the sim time it expires (None: until cleared or used up); `remaining` counts down."""

    id: str
    kind: str
    target: str
    params: Mapping[str, Any]
    until: float | None = None
    remaining: int | None = None

    def to_dict(self, now: float) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "target": self.target, "params": dict(self.params),
                "until": self.until, "expiresInSeconds": None if self.until is None else max(self.until - now, 0.0),
                "remaining": self.remaining}


@dataclass(frozen=True)
class _Match:
    """What an object or request fault aims at: `*` parts match anything."""

    namespace: str | None = None
    name: str | None = None
    group: str | None = None
    plural: str | None = None
    subresource: str | None = None


@dataclass
class _State:
    fault: Fault
    match: _Match
    remaining: int | None = None
    marked: dict[str, tuple[str | None, str, str | None]] = field(default_factory=dict)  # uid → ns, name, prior
    kind: Kind | None = None  # the resolved resource (api-errors, watch-close, expire-versions, hold-finalizer)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def current(self) -> Fault:
        return replace(self.fault, remaining=self.remaining)


class FaultBook:
    """The simulator's faults: `add`, `list`, `clear`; timed ones expire on the simulator clock.

    `controllers` join the Runner first (so a knob lands before other controllers see a new object), `check_request`
    joins the API handlers' hooks.
    """

    def __init__(self, ctx: Context, *, data_plane: DataPlane | None = None) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.data_plane = data_plane
        self.runner: Runner | None = None
        self._lock = threading.RLock()
        self._faults: dict[str, _State] = {}
        self._ids = itertools.count(1)
        self._rng = random.Random(ctx.rng.random())
        self._timer = _Timer(self)
        kinds = {(k.api_version, k.kind) for k in KNOBS.values() if k.kind != "Node"}
        self.controllers = [self._timer, *(_Follower(self, api_version, kind) for api_version, kind in sorted(kinds))]
        self._proxy: S3FaultProxy | None = None
        self.store.bootstrappers.append(self._forget)

    def attach(self, runner: Runner) -> None:
        """The Runner that steps `controllers`; timed faults expire through it."""
        self.runner = runner

    # ---- the API ------------------------------------------------------------------------------

    def add(self, kind: str, target: str, *, for_seconds: float | str | None = None, **params: Any) -> Fault:
        """Start a fault; BadRequest for an unknown kind, target or parameter, NotFound for a missing object.

        Faults with neither `for_seconds` nor `count` that act once (watch-close, expire-versions, db-disconnect)
        act and are not kept; the others last until cleared.
        """
        if kind not in KINDS:
            raise BadRequest(f"unknown fault kind {kind!r}: expected one of {', '.join(KINDS)}")
        parsed = self._parse_params(kind, params)
        seconds = None
        if for_seconds is not None:
            try:
                seconds = _seconds(for_seconds)
            except ValueError as e:
                raise BadRequest(f"fault {kind}: for: {e}") from None
        now = self.ctx.clock.now()
        fault = Fault(f"{kind}-{next(self._ids)}", kind, target, parsed,
                      until=None if seconds is None else now + seconds)
        count = parsed.get("count", 1 if kind == "job-failure" else None)
        state = _State(fault, self._parse_target(kind, target), remaining=count)
        once = seconds is None and count is None and kind in ("watch-close", "expire-versions", "db-disconnect")
        if kind in ("api-errors", "watch-close", "expire-versions", "hold-finalizer"):
            state.kind = self._resolve(kind, target, state.match)
        if kind in ("s3-errors", "db-disconnect"):
            self._require_data_plane(kind)
        if kind == "node-not-ready" and self.ctx.read("v1", "Node", target) is None:
            raise NotFound(f'nodes "{target}" not found', name=target, kind="nodes")
        if once:
            self._act_once(state)
            return state.current
        with self._lock:
            self._faults[fault.id] = state
        try:
            self._start(state)
        except BaseException:
            self.clear(fault.id)
            raise
        if fault.until is not None or kind == "watch-close":
            self._wake(fault.id, self._next_tick(state, now))
        log.info("fault %s on %s started", fault.id, target)
        return state.current

    def list(self) -> list[Fault]:
        """The active faults, oldest first (those past their time are cleared first)."""
        self._expire_due()
        with self._lock:
            return [s.current for s in self._faults.values()]

    def clear(self, which: str | Fault) -> list[Fault]:
        """Clear one fault (by id) or `"all"`, undoing what each did; NotFound for an unknown id."""
        with self._lock:
            if which == "all":
                states = list(self._faults.values())
            else:
                fault_id = which.id if isinstance(which, Fault) else which
                if fault_id not in self._faults:
                    raise NotFound(f'fault "{fault_id}" not found (it expired, was used up or never existed)')
                states = [self._faults[fault_id]]
            for s in states:
                del self._faults[s.fault.id]
        for s in states:
            self._undo(s)
        return [s.current for s in states]

    def stop(self) -> None:
        """Clear every fault and stop the S3 proxy (the simulator is stopping)."""
        self.clear("all")
        if self._proxy is not None and self.data_plane is not None:
            self.data_plane.loop.run(self._proxy.stop(), timeout=10)
            self._proxy = None

    # ---- parsing ------------------------------------------------------------------------------

    @staticmethod
    def _parse_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
        allowed = PARAMS[kind]
        out = {}
        for key, value in params.items():
            if value is None:
                continue
            if key not in allowed:
                known = ", ".join(allowed) or "none"
                raise BadRequest(f"fault {kind}: unknown parameter {key!r} (parameters: {known})")
            try:
                out[key] = allowed[key](value)
            except ValueError as e:
                raise BadRequest(f"fault {kind}: {key}: {e}") from None
        return out

    @staticmethod
    def _parse_target(kind: str, target: str) -> _Match:
        parts = target.split("/")
        if kind in ("crash-loop", "job-failure", "pvc-pending", "route-stall"):
            if len(parts) != 2 or not all(parts):
                raise BadRequest(f"fault {kind}: target must be namespace/name, got {target!r}")
            return _Match(namespace=parts[0], name=parts[1])
        if kind == "node-not-ready":
            if len(parts) != 1 or not target:
                raise BadRequest(f"fault {kind}: target must be a node name, got {target!r}")
            return _Match(name=target)
        if kind == "hold-finalizer":
            if len(parts) not in (2, 3) or not all(parts):
                raise BadRequest(f"fault {kind}: target must be resource/namespace/name or resource/name, "
                                 f"got {target!r}")
            return _Match(plural=parts[0], namespace=parts[1] if len(parts) == 3 else None, name=parts[-1])
        if kind in ("s3-errors", "db-disconnect"):
            return _Match(name=None if target == "*" else target)
        resource, _, sub = target.partition("/")  # api-errors, watch-close, expire-versions
        if not resource or (sub and kind != "api-errors"):
            raise BadRequest(f"fault {kind}: target must be a resource (e.g. deployments) or *, got {target!r}")
        return _Match(plural=None if resource == "*" else resource, subresource=sub or None)

    def _resolve(self, kind: str, target: str, match: _Match) -> Kind | None:
        """The served kind a resource name (plural, singular, short name or plural.group) stands for."""
        if match.plural is None:
            return None
        text = match.plural.lower()
        for k in self.store.resources:
            if k.storage is None and text in (k.plural, k.singular, k.resource, *k.short_names):
                if match.subresource and match.subresource not in k.subresources:
                    raise BadRequest(f"fault {kind}: {k.resource} has no subresource {match.subresource!r}")
                return k
        raise BadRequest(f"fault {kind}: the server doesn't have a resource type {match.plural!r} ({target})")

    def _require_data_plane(self, kind: str) -> None:
        if self.data_plane is None or self.data_plane.router is None:
            raise BadRequest(f"fault {kind} acts on the data plane's servers: start the simulator with the data "
                             "plane (`quayops sim serve --data-plane`, `start_simulator(data_plane=True)`)")

    # ---- starting and undoing -----------------------------------------------------------------

    def _start(self, state: _State) -> None:
        kind = state.fault.kind
        if kind in KNOBS:
            knob = KNOBS[kind]
            namespace = state.match.namespace
            for obj in self.ctx.list(knob.api_version, knob.kind, namespace) if self.ctx.serves(
                    knob.api_version, knob.kind) else ():
                self._follow_object(state, obj)
        elif kind == "watch-close":
            self._close_watches(state)
        elif kind == "expire-versions":
            self.store.compact()
        elif kind == "hold-finalizer":
            self._hold(state)
        elif kind == "s3-errors":
            self._route_s3(through_proxy=True)
        elif kind == "db-disconnect":
            threading.Thread(target=self._disconnect_loop, args=(state,), name=f"fault-{state.fault.id}",
                             daemon=True).start()

    def _act_once(self, state: _State) -> None:
        kind = state.fault.kind
        if kind == "watch-close":
            self._close_watches(state)
        elif kind == "expire-versions":
            self.store.compact()
        else:
            self._terminate_sessions(state, limit=None)

    def _undo(self, state: _State) -> None:
        state.stop.set()
        kind = state.fault.kind
        if kind in KNOBS:
            knob = KNOBS[kind]
            for uid, (ns, name, prior) in list(state.marked.items()):
                self._unmark(knob, uid, ns, name, prior)
        elif kind == "hold-finalizer":
            self._release(state)
        elif kind == "s3-errors" and not self._active("s3-errors"):
            self._route_s3(through_proxy=False)
        log.info("fault %s cleared", state.fault.id)

    def _active(self, kind: str) -> list[_State]:
        with self._lock:
            return [s for s in self._faults.values() if s.fault.kind == kind]

    def _forget(self, _store: Any) -> None:
        """After a store reset: the objects are gone, so are their faults (the data plane's are undone)."""
        with self._lock:
            states = list(self._faults.values())
            self._faults.clear()
        for s in states:
            s.stop.set()
        if any(s.fault.kind == "s3-errors" for s in states):
            self._route_s3(through_proxy=False)

    # ---- time ---------------------------------------------------------------------------------

    def _wake(self, fault_id: str, after: float) -> None:
        if self.runner is not None:
            self.runner.enqueue(self._timer, ("", fault_id), after)

    def _next_tick(self, state: _State, now: float) -> float:
        left = None if state.fault.until is None else max(state.fault.until - now, 0.0)
        if state.fault.kind == "watch-close":
            every = state.fault.params.get("every", 1.0)
            return every if left is None else min(every, left)
        return left or 0.0

    def tick(self, fault_id: str) -> float | None:
        """The timer's reconcile: expire the fault when due, repeat watch-close; seconds to the next tick."""
        with self._lock:
            state = self._faults.get(fault_id)
        if state is None:
            return None
        now = self.ctx.clock.now()
        if state.fault.until is not None and now >= state.fault.until:
            self.clear(fault_id)
            return None
        if state.fault.kind == "watch-close":
            self._close_watches(state)
        return self._next_tick(state, now)

    def _expire_due(self) -> None:
        now = self.ctx.clock.now()
        with self._lock:
            due = [i for i, s in self._faults.items() if s.fault.until is not None and now >= s.fault.until]
        for fault_id in due:
            try:
                self.clear(fault_id)
            except NotFound:
                pass  # the timer got there first

    # ---- object faults (knobs) ----------------------------------------------------------------

    def following(self, kind: str) -> bool:
        """Whether a fault watches objects of `kind` (kept cheap: every pod event asks)."""
        return any(KNOBS[s.fault.kind].kind == kind for s in list(self._faults.values()) if s.fault.kind in KNOBS)

    def follow(self, api_version: str, kind: str, key: Key) -> None:
        """An object of a followed kind was added or changed: mark it for the faults aiming at it."""
        obj = self.ctx.read(api_version, kind, key[1], key[0] or None)
        if obj is None:
            return
        for state in list(self._faults.values()):
            if state.fault.kind in KNOBS and KNOBS[state.fault.kind].kind == kind:
                self._follow_object(state, obj)

    def _follow_object(self, state: _State, obj: Obj) -> None:
        knob = KNOBS[state.fault.kind]
        uid = obj["metadata"]["uid"]
        if state.fault.kind == "job-failure":
            finished = is_finished(obj)
            if uid in state.marked and finished:
                self._finish_run(state, uid, failed=finished == "Failed")
                return
            if finished:
                return
        if uid not in state.marked and not obj["metadata"].get("deletionTimestamp") and self._aims_at(state, obj):
            self._mark(state, knob, obj)

    def _aims_at(self, state: _State, obj: Obj) -> bool:
        meta, m = obj["metadata"], state.match
        if meta.get("namespace", None) != m.namespace:
            return False
        if state.fault.kind == "crash-loop":
            current: Obj | None = obj
            for _ in range(2):  # pod → ReplicaSet → Deployment, or pod → StatefulSet
                current = self.ctx.owner(current) if current is not None else None
                if current is not None and current.get("kind") in _WORKLOADS and current["metadata"]["name"] == m.name:
                    return True
            return False
        if state.fault.kind == "job-failure":
            return meta["name"] == m.name or any(
                ref.get("controller") and ref.get("kind") == "CronJob" and ref.get("name") == m.name
                for ref in meta.get("ownerReferences") or ())
        return meta["name"] == m.name

    def _mark(self, state: _State, knob: Knob, obj: Obj) -> None:
        meta = obj["metadata"]
        with self._lock:
            if meta["uid"] in state.marked or state.fault.id not in self._faults:
                return
            prior = (meta.get("annotations") or {}).get(KNOB_PREFIX + knob.name)
            state.marked[meta["uid"]] = (meta.get("namespace"), meta["name"], prior)
        value = str(state.fault.params.get("exit_code", 1)) if state.fault.kind == "job-failure" else knob.value
        self._annotate(knob, meta.get("namespace"), meta["name"], value)

    def _unmark(self, knob: Knob, uid: str, ns: str | None, name: str, prior: str | None) -> None:
        obj = self.ctx.read(knob.api_version, knob.kind, name, ns)
        if obj is not None and obj["metadata"]["uid"] == uid:
            self._annotate(knob, ns, name, prior)

    def _annotate(self, knob: Knob, ns: str | None, name: str, value: str | None) -> None:
        """Set (None: remove) the knob; the change is what makes its controller look again."""
        try:
            self.store.patch(self.ctx.kind(knob.api_version, knob.kind), name,
                             {"metadata": {"annotations": {KNOB_PREFIX + knob.name: value}}}, MERGE, namespace=ns,
                             field_manager=FIELD_MANAGER)
        except NotFound:
            pass  # deleted meanwhile: nothing left to mark

    def _finish_run(self, state: _State, uid: str, *, failed: bool) -> None:
        """A marked Job finished: a failed run counts; the Job gets its knob back either way."""
        with self._lock:
            ns, name, prior = state.marked.pop(uid)
            if failed and state.remaining is not None:
                state.remaining -= 1
            used_up = state.remaining is not None and state.remaining <= 0
        self._unmark(KNOBS["job-failure"], uid, ns, name, prior)
        if used_up:
            try:
                self.clear(state.fault.id)
            except NotFound:
                pass  # cleared meanwhile

    # ---- finalizers ---------------------------------------------------------------------------

    def _hold(self, state: _State) -> None:
        assert state.kind is not None
        m, finalizer = state.match, state.fault.params.get("finalizer", FINALIZER)
        if state.kind.namespaced != (m.namespace is not None):
            raise BadRequest(f"fault hold-finalizer: {state.kind.resource} is "
                             f"{'namespaced: target resource/namespace/name' if state.kind.namespaced else 'cluster-scoped: target resource/name'}")
        assert m.name is not None
        obj = self.store.get(state.kind, m.name, m.namespace)
        state.marked[obj["metadata"]["uid"]] = (m.namespace, m.name, finalizer)
        finalizers = list(obj["metadata"].get("finalizers") or [])
        if finalizer not in finalizers:
            self.store.patch(state.kind, m.name, {"metadata": {"finalizers": [*finalizers, finalizer]}}, MERGE,
                             namespace=m.namespace, field_manager=FIELD_MANAGER)

    def _release(self, state: _State) -> None:
        assert state.kind is not None
        for uid, (ns, name, finalizer) in state.marked.items():
            try:
                obj = self.store.get(state.kind, name, ns)
            except NotFound:
                continue
            finalizers = list(obj["metadata"].get("finalizers") or [])
            if obj["metadata"]["uid"] == uid and finalizer in finalizers:
                finalizers.remove(finalizer)
                # the whole list goes back: remove only ours, as it stands now
                self.store.patch(state.kind, name, {"metadata": {"finalizers": finalizers or None}}, MERGE,
                                 namespace=ns, field_manager=FIELD_MANAGER)

    # ---- API faults ---------------------------------------------------------------------------

    def check_request(self, info: RequestInfo) -> None:
        """The API handlers' hook: fail a request an `api-errors` fault matches; expire versions before a read."""
        if not self._faults:
            return
        now = self.ctx.clock.now()
        failing, compact = None, False
        with self._lock:
            for state in list(self._faults.values()):
                if state.fault.until is not None and now >= state.fault.until:
                    continue  # expired: the timer clears it
                kind = state.fault.kind
                if kind == "expire-versions" and info.verb in ("list", "watch") and _matches(state, info):
                    compact = True
                elif kind == "api-errors" and failing is None and _matches(state, info):
                    failing = state
                    if state.remaining is not None:
                        state.remaining -= 1
                        if state.remaining <= 0:
                            del self._faults[state.fault.id]  # used up; nothing to undo
        if compact:
            self.store.compact()
        if failing is not None:
            raise _api_error(failing, info)

    def _close_watches(self, state: _State) -> None:
        if state.kind is None:
            self.store.stop_watches()
        else:
            storage = self.store.resources.storage_kind(state.kind)
            self.store.stop_watches((storage.group, storage.plural))

    # ---- data plane faults --------------------------------------------------------------------

    def _route_s3(self, *, through_proxy: bool) -> None:
        """Point NooBaa's `s3` Service at the fault proxy (started on first use), or back at SeaweedFS."""
        from simulator.dataplane.directory import Address
        from simulator.dataplane.processes import LOOPBACK
        from simulator.dataplane.s3faults import S3FaultProxy
        from simulator.profiles import NOOBAA_NAMESPACE

        plane = self.data_plane
        if plane is None or plane.router is None:
            return
        seaweed = Address(LOOPBACK, plane.seaweed.s3_port)
        if through_proxy and self._proxy is None:
            self._proxy = S3FaultProxy(seaweed, self._s3_failure)
            plane.loop.run(self._proxy.start(), timeout=10)
        address = self._proxy.address if through_proxy and self._proxy is not None else seaweed
        assert address is not None
        plane.directory.register(NOOBAA_NAMESPACE, "s3", {p: address for p in S3_PORTS})

    def _s3_failure(self, method: str, path: str) -> S3Failure | None:
        """The proxy asks, per request: fail it (how), or pass it on."""
        from simulator.dataplane.s3faults import S3Failure

        bucket = path.lstrip("/").split("/", 1)[0]
        now = self.ctx.clock.now()
        with self._lock:
            for state in list(self._faults.values()):
                f = state.fault
                if f.kind != "s3-errors" or (f.until is not None and now >= f.until):
                    continue
                if state.match.name not in (None, bucket) or f.params.get("method", method).upper() != method:
                    continue
                if self._rng.random() >= f.params.get("rate", 1.0):
                    continue
                if state.remaining is not None:
                    state.remaining -= 1
                    if state.remaining <= 0:
                        del self._faults[f.id]  # used up; the proxy passes requests on from now
                return S3Failure(code=f.params.get("code", 503), drop=f.params.get("drop", False))
        return None

    def _disconnect_loop(self, state: _State) -> None:
        """Terminate matching sessions as they come, until the fault is used up, cleared or expires."""
        while not state.stop.wait(0.05):
            try:
                done = self._terminate_sessions(state, limit=state.remaining)
            except Exception:
                log.exception("fault %s: terminating sessions failed", state.fault.id)
                continue
            if done and state.remaining is not None:
                with self._lock:
                    state.remaining -= done
                    used_up = state.remaining <= 0
                if used_up:
                    try:
                        self.clear(state.fault.id)
                    except NotFound:
                        pass
                    return

    def _terminate_sessions(self, state: _State, *, limit: int | None) -> int:
        """`pg_terminate_backend` on the data plane's PostgreSQL servers; how many sessions ended."""
        import psycopg

        plane = self.data_plane
        assert plane is not None
        servers = [plane.postgres, *(plane.backends.databases.values() if plane.backends else ())]
        params = state.fault.params
        done = 0
        for server in servers:
            if not server.port or (limit is not None and done >= limit):
                continue
            with psycopg.connect(server.dsn(), autocommit=True, application_name=APPLICATION) as conn:
                rows = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM (SELECT pid FROM pg_stat_activity"
                    " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
                    " AND application_name <> %(ours)s AND (%(db)s::text IS NULL OR datname = %(db)s)"
                    " AND (%(app)s::text IS NULL OR application_name = %(app)s)"
                    " AND backend_start <= now() - make_interval(secs => %(after)s)"
                    " ORDER BY backend_start LIMIT %(limit)s) AS victims",
                    {"ours": APPLICATION, "db": state.match.name, "app": params.get("application"),
                     "after": params.get("after", 0.0), "limit": None if limit is None else limit - done},
                ).fetchall()
            done += sum(1 for (ok,) in rows if ok)
        return done


def _matches(state: _State, info: RequestInfo) -> bool:
    """Whether a request is one an API fault aims at (resource, subresource, verb, namespace, name)."""
    k, m, params = state.kind, state.match, state.fault.params
    if k is not None and (info.resource != k.plural or info.group != k.group):
        return False
    if m.subresource is not None and info.subresource != m.subresource:
        return False
    verbs = params.get("verb")
    if verbs and info.verb not in verbs.split(","):
        return False
    for key, value in (("namespace", info.namespace), ("name", info.name)):
        if params.get(key) and params[key] != value:
            return False
    return True


def _api_error(state: _State, info: RequestInfo) -> StatusError:
    """The Status kube-apiserver answers in that situation, with its own words."""
    params, code = state.fault.params, state.fault.params.get("code", 500)
    resource = f"{info.resource}.{info.group}" if info.group else info.resource
    if code == 409:
        return conflict(resource, info.name or "", group=info.group, kind=info.resource)
    if code == 429:
        return TooManyRequests("Too many requests, please try again later.",
                               retry_after_seconds=params.get("retry_after", 1))
    if code == 503:
        return ServiceUnavailable("the server is currently unable to handle the request",
                                  retry_after_seconds=params.get("retry_after"))
    return InternalError(f"Internal error occurred: fault {state.fault.id} injected by the simulator")


class _Timer:
    """Controller keyed by fault id: expires timed faults and repeats watch-close, on the simulator clock."""

    name = "faults"
    watches: tuple[Watched, ...] = ()

    def __init__(self, book: FaultBook) -> None:
        self.book = book

    def reconcile(self, key: Key) -> float | None:
        return self.book.tick(key[1])


class _Follower:
    """Controller per knob kind: marks new or changed objects a fault aims at before other controllers act."""

    def __init__(self, book: FaultBook, api_version: str, kind: str) -> None:
        self.book, self.api_version, self.kind = book, api_version, kind
        self.name = f"faults-{kind.lower()}"
        self.watches = (Watched(api_version, kind, self._keys),)

    def _keys(self, etype: str, obj: Obj) -> Iterable[Key]:
        if etype == "DELETED" or not self.book.following(self.kind):
            return ()
        meta = obj["metadata"]
        return ((meta.get("namespace", ""), meta["name"]),)

    def reconcile(self, key: Key) -> float | None:
        self.book.follow(self.api_version, self.kind, key)
        return None
