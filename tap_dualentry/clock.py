"""Time as the tap sees it, in one object, so a test can let time pass without waiting."""

from __future__ import annotations

import datetime as dt
import threading
import time


class Clock:
    """The wall clock for dates, a monotonic clock for intervals, and sleep."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = Clock()


class SimulatedClock(Clock):
    """Time that passes only when the tap waits or when told (``advance``): a wait costs
    nothing and is recorded. For tests and simulations of days of runs.

    Starts at the real time, so data dated around now stays recent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start = dt.datetime.now(dt.UTC)
        self._elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> dt.datetime:
        with self._lock:
            return self._start + dt.timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._elapsed += max(seconds, 0.0)
            self.sleeps.append(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._elapsed += seconds
