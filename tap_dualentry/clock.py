"""Time as the tap sees it, in one object, so a test can let time pass without waiting."""

from __future__ import annotations

import datetime as dt
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
