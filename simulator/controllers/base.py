"""The Controller protocol and the Runner that feeds it: store watches → keys → `reconcile(key)`.

Mirrors controller-runtime's work queue (dedup, requeue-after) over the Store's own watch machinery;
`step()` settles deterministically for tests, `run()` drives the same loop from a thread.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from quayops.kube.kinds import Kind
from simulator.clock import Clock
from simulator.controllers.recording import EventRecorder
from simulator.profiles import ClusterProfile
from simulator.stages import Pace, delay_for, knob
from simulator.store import Store, Watch
from simulator.store.errors import Conflict, NotFound, StatusError

if TYPE_CHECKING:
    from simulator.controllers.bucketclaims import BucketProvisioner

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped objects
Obj = dict[str, Any]


KeyMapper = Callable[[str, Obj], Iterable[Key]]  # (event type, object) -> keys to reconcile


def own_key(_type: str, obj: Mapping[str, Any]) -> Iterable[Key]:
    meta = obj["metadata"]
    return ((meta.get("namespace", ""), meta["name"]),)


def owned_by(kind: str) -> KeyMapper:
    """Map an object to its controlling owner's key when that owner is a `kind` (a pod's ReplicaSet, …)."""
    def keys(_type: str, obj: Mapping[str, Any]) -> Iterable[Key]:
        meta = obj["metadata"]
        for ref in meta.get("ownerReferences") or ():
            if ref.get("controller") and ref.get("kind") == kind:
                return ((meta.get("namespace", ""), ref["name"]),)
        return ()
    return keys


@dataclass(frozen=True)
class Watched:
    """A kind a controller watches, and how each of its events maps to the keys to reconcile."""

    api_version: str
    kind: str
    keys: KeyMapper = own_key


class Controller(Protocol):
    """A cluster behaviour: reads and writes the Store, returns seconds until it wants another look."""

    name: str
    watches: tuple[Watched, ...]

    def reconcile(self, key: Key) -> float | None: ...


@dataclass
class Context:
    """What every controller shares: state, time, pace, randomness, the cluster's shape, events."""

    store: Store
    clock: Clock
    pace: Pace
    profile: ClusterProfile
    rng: random.Random
    events: EventRecorder
    buckets: BucketProvisioner | None = None  # the data plane's real buckets, when it is on

    def kind(self, api_version: str, kind: str) -> Kind:
        return self.store.kind(api_version, kind)

    def serves(self, api_version: str, kind: str) -> bool:
        return self.store.resources.by_gvk(api_version, kind) is not None

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """A copy of the object, or None when it does not exist."""
        try:
            return self.store.get(self.kind(api_version, kind), name, namespace)
        except NotFound:
            return None

    def read(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """The object as stored, not copied (None when absent): read it, write through the Store."""
        try:
            return self.store.get_shared(self.kind(api_version, kind), name, namespace)
        except NotFound:
            return None

    def list(self, api_version: str, kind: str, namespace: str | None = None, *,
             label_selector: str | None = None, field_selector: str | None = None) -> list[Obj]:
        """Objects as stored, not copied: read them, write through the Store."""
        return self.store.list(self.kind(api_version, kind), namespace, label_selector=label_selector,
                               field_selector=field_selector, copy_items=False).items

    def owner(self, obj: Mapping[str, Any]) -> Obj | None:
        """The controlling owner of `obj` (not copied), if it still exists."""
        meta = obj["metadata"]
        for ref in meta.get("ownerReferences") or ():
            if ref.get("controller") and self.serves(ref.get("apiVersion", ""), ref.get("kind", "")):
                try:
                    return self.store.get_shared(self.kind(ref["apiVersion"], ref["kind"]), ref["name"],
                                                 meta.get("namespace"))
                except NotFound:
                    return None
        return None

    def knob(self, obj: Mapping[str, Any], name: str) -> str | None:
        """Knob `name` from the object's annotations, else from its owners' (pod → ReplicaSet → Deployment)."""
        current: Mapping[str, Any] | None = obj
        for _ in range(3):
            if current is None:
                return None
            value = knob(current["metadata"].get("annotations"), name)
            if value is not None:
                return value
            current = self.owner(current)
        return None

    def delay(self, stage: str, obj: Mapping[str, Any]) -> float:
        """Seconds `obj` spends before `stage` fires: its knob (or an owner's), else the pace's draw."""
        return delay_for(self.pace, stage, self.knob(obj, f"{stage}-delay"), self.rng)

    def now(self) -> str:
        return self.store.now()


class Runner:
    """Feeds controllers from store watches; a work queue per controller plus one timer heap."""

    def __init__(self, ctx: Context, controllers: Iterable[Controller]) -> None:
        self.ctx = ctx
        self.controllers = list(controllers)
        self._ready: list[dict[Key, None]] = [{} for _ in self.controllers]
        self._timers: list[tuple[float, int, int, Key]] = []
        self._due: dict[tuple[int, Key], float] = {}
        self._seq = itertools.count()
        self._subscribers: dict[tuple[str, str], list[tuple[int, KeyMapper]]] = {}
        for i, c in enumerate(self.controllers):
            for w in c.watches:
                self._subscribers.setdefault((w.api_version, w.kind), []).append((i, w.keys))
        self._watches: dict[tuple[str, str], Watch] = {}
        self._processing = threading.RLock()
        self._wake = threading.Condition()
        self._poked = False
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.errors: list[BaseException] = []
        ctx.clock.attach(walker=self.walk_to, listener=self._poke)

    # ---- queue --------------------------------------------------------------------------------

    def _poke(self) -> None:
        with self._wake:
            self._poked = True
            self._wake.notify_all()

    def _watch_all(self) -> None:
        """(Re)open a watch per watched kind; a closed one (store reset) relists from scratch."""
        for api_version, kind in self._subscribers:
            w = self._watches.get((api_version, kind))
            if w is not None and not w.closed:
                continue
            if not self.ctx.serves(api_version, kind):
                continue  # e.g. Routes on the kubernetes platform; a CRD may bring it later
            self._watches[(api_version, kind)] = self.ctx.store.watch(
                self.ctx.kind(api_version, kind), notify=self._poke)

    def _pump(self) -> None:
        self._watch_all()
        for gvk, w in self._watches.items():
            for event in w.drain():
                for i, keys in self._subscribers[gvk]:
                    for key in keys(event["type"], event["object"]):
                        self._ready[i][key] = None

    def _schedule(self, index: int, key: Key, after: float) -> None:
        if after <= 0:
            self._ready[index][key] = None
            return
        due = self.ctx.clock.now() + after
        current = self._due.get((index, key))
        if current is not None and current <= due:
            return
        self._due[(index, key)] = due
        heapq.heappush(self._timers, (due, next(self._seq), index, key))

    def enqueue(self, controller: Controller, key: Key, after: float = 0.0) -> None:
        """Have `controller` reconcile `key` in `after` sim seconds: work no watch brings (a fault's expiry)."""
        with self._processing:
            self._schedule(self.controllers.index(controller), key, after)
        self._poke()

    def _release_due(self) -> None:
        now = self.ctx.clock.now()
        while self._timers and self._timers[0][0] <= now:
            due, _, index, key = heapq.heappop(self._timers)
            if self._due.get((index, key)) == due:
                del self._due[(index, key)]
                self._ready[index][key] = None

    def next_due(self) -> float | None:
        """The sim time of the earliest pending requeue, if any."""
        while self._timers and self._due.get((self._timers[0][2], self._timers[0][3])) != self._timers[0][0]:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    # ---- processing ---------------------------------------------------------------------------

    def _reconcile(self, index: int, key: Key, *, strict: bool) -> None:
        controller = self.controllers[index]
        try:
            after = controller.reconcile(key)
        except Conflict:
            after = 0.0  # someone wrote in between: look again with fresh state, as client-go requeues
        except NotFound:
            after = None  # the object went away while we worked on it
        except Exception as e:
            if strict:
                raise
            log.exception("controller %s failed on %s/%s", controller.name, *key)
            if not isinstance(e, StatusError):
                self.errors.append(e)
            after = 5.0
        if after is not None:
            self._schedule(index, key, after)

    def step(self, *, max_rounds: int = 2_000, strict: bool = True) -> int:
        """Reconcile until nothing is ready at the current time; returns how many reconciles ran.

        Deterministic: keys are processed in arrival order, controllers in registration order.
        """
        done = 0
        with self._processing:
            for _ in range(max_rounds):
                self._pump()
                self._release_due()
                batch = [(i, list(q)) for i, q in enumerate(self._ready) if q]
                if not batch:
                    return done
                for i, keys in batch:
                    self._ready[i].clear()
                    for key in keys:
                        self._reconcile(i, key, strict=strict)
                        done += 1
        raise RuntimeError(f"controllers did not settle within {max_rounds} rounds")

    def walk_to(self, target: float) -> None:
        """Step at every due time up to `target` (sim seconds); how a manual clock jump stays faithful."""
        with self._processing:
            self.step(strict=self._thread is None)
            while (due := self.next_due()) is not None and due <= target:
                self.ctx.clock.set_to(due)
                self.step(strict=self._thread is None)

    def settle(self, seconds: float = 0.0) -> None:
        """Step now, then advance the clock `seconds`, processing everything due on the way."""
        self.step()
        if seconds:
            self.ctx.clock.advance(seconds)
            self.step()

    # ---- threads ------------------------------------------------------------------------------

    def run(self) -> Runner:
        """Process in a background thread until `stop()`; waits on watches and the clock."""
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name="quayops-sim-controllers", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.step(strict=False, max_rounds=100)
            except RuntimeError:
                log.warning("controllers still busy after 100 rounds; continuing")
            with self._processing:
                due = self.next_due()
            until = None if due is None else self.ctx.clock.real_seconds_until(due)
            wait = 0.5 if until is None else min(0.5, until)
            with self._wake:
                if not self._poked and not self._stopping.is_set():
                    self._wake.wait(max(wait, 0.001))
                self._poked = False

    def stop(self) -> None:
        self._stopping.set()
        self._poke()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        for w in self._watches.values():
            w.stop()
        self._watches.clear()
        self.ctx.clock.detach(walker=self.walk_to, listener=self._poke)
