"""The emulator's notion of "now", controllable for deterministic tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from .timestamps import to_us


class Clock:
    """Real UTC time by default; `freeze`/`advance` switch to a manual clock.

    `stamp()` hands out hidden sort keys for mutations. Keys taken from the clock are strictly
    increasing even while the clock stands still (a microsecond is added), so two edits in
    one frozen instant still have a defined order. An explicit time is taken as given, ties
    included: that is how tests build equal timestamps on purpose.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._last_stamp = -(1 << 62)

    def now(self) -> datetime:
        with self._lock:
            return self._frozen if self._frozen is not None else datetime.now(UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop the clock at `at` (default: the current time). Returns the frozen time."""
        when = at if at is not None else datetime.now(UTC)
        to_us(when)  # rejects naive datetimes
        with self._lock:
            self._frozen = when.astimezone(UTC)
            return self._frozen

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (freezing it first if it was running)."""
        with self._lock:
            base = self._frozen if self._frozen is not None else datetime.now(UTC)
            self._frozen = base + timedelta(seconds=seconds)
            return self._frozen

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen = None

    def stamp(self, at: datetime | None = None) -> int:
        """A hidden-key value in microseconds for a mutation happening now (or at `at`)."""
        if at is not None:
            return to_us(at)
        now_us = to_us(self.now())
        with self._lock:
            self._last_stamp = max(now_us, self._last_stamp + 1)
            return self._last_stamp
