"""The simulator's clock: real time, an accelerated one, or a manual one that tests advance.

Every delay, timestamp and CronJob reads it (moto's `time`/`manual` modes, kwok's stage delays).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# A callback a Runner registers so that a manual jump walks through every due item on the way.
Walker = Callable[[float], None]


class Clock:
    """Seconds since the epoch, as `now()`; `rate` sim-seconds pass per real second (0: manual)."""

    def __init__(self, *, rate: float = 1.0, start: float | None = None) -> None:
        if rate < 0:
            raise ValueError(f"clock rate must be >= 0, got {rate}")
        self.rate = rate
        self._base_sim = time.time() if start is None else start
        self._base_real = time.monotonic()
        self._lock = threading.Lock()
        self._walkers: list[Walker] = []
        self._listeners: list[Callable[[], None]] = []

    @classmethod
    def real(cls) -> Clock:
        return cls(rate=1.0)

    @classmethod
    def manual(cls, start: float | None = None) -> Clock:
        return cls(rate=0.0, start=start)

    @classmethod
    def accelerated(cls, rate: float, start: float | None = None) -> Clock:
        return cls(rate=rate, start=start)

    @property
    def is_manual(self) -> bool:
        return self.rate == 0

    def now(self) -> float:
        with self._lock:
            return self._base_sim + (time.monotonic() - self._base_real) * self.rate

    def real_seconds_until(self, when: float) -> float | None:
        """How long a thread should wait for sim time `when`; None: only an advance can bring it."""
        remaining = when - self.now()
        if remaining <= 0:
            return 0.0
        return None if self.is_manual else remaining / self.rate

    def set_to(self, when: float) -> None:
        """Move the clock to `when` (never backwards) without walking; for the Runner's walk."""
        with self._lock:
            current = self._base_sim + (time.monotonic() - self._base_real) * self.rate
            if when > current:
                self._base_sim, self._base_real = when, time.monotonic()
        for listener in list(self._listeners):
            listener()

    def advance(self, seconds: float) -> None:
        """Jump `seconds` ahead; attached Runners process every delay that falls due on the way."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, got {seconds}")
        target = self.now() + seconds
        for walk in list(self._walkers):
            walk(target)
        self.set_to(target)

    def attach(self, *, walker: Walker | None = None, listener: Callable[[], None] | None = None) -> None:
        """Register a Runner's walk (called by `advance`) and wake-up (called on every move)."""
        if walker is not None:
            self._walkers.append(walker)
        if listener is not None:
            self._listeners.append(listener)

    def detach(self, *, walker: Walker | None = None, listener: Callable[[], None] | None = None) -> None:
        if walker is not None and walker in self._walkers:
            self._walkers.remove(walker)
        if listener is not None and listener in self._listeners:
            self._listeners.remove(listener)
