"""The request log: what the emulator saw, for assertions. Never holds the API key."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestRecord:
    index: int
    """Arrival order, from 0; fault choice is a function of it."""
    monotonic: float
    """time.monotonic() at arrival."""
    wall: float
    """Epoch seconds at arrival."""
    method: str
    path: str
    query: list[tuple[str, str]]
    """(name, value) pairs in request order."""
    key_matched: bool | None
    """True / False, or None when the X-API-KEY header was missing."""
    status: int | None
    """None when no response was sent (connection reset)."""
    fault: str | None
    """The injected fault, if any ("http_503", "persistent_403", "slow", ...)."""
    retry_after: str | None
    """The Retry-After header value sent, if any."""
    endpoint: str | None
    """Catalogue name ("customers", "health"), None for unknown paths."""


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._next = 0

    def next_index(self) -> int:
        with self._lock:
            index = self._next
            self._next += 1
            return index

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return sorted(self._records, key=lambda r: r.index)

    def clear(self) -> None:
        """Forget the records; indices keep counting (fault choice stays reproducible)."""
        with self._lock:
            self._records.clear()
