"""Server-side token buckets, as DualEntry documents them (per API key).

Two buckets are checked on every request: one for all requests of the key, one per route and
method (the path template, so v1 and v2 of a path are separate routes). A request that finds
either bucket empty is rejected with 429 and consumes nothing.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.utils import formatdate
from typing import Any, Literal

RetryAfter = Literal["seconds", "http_date", "none"]


@dataclass(frozen=True)
class RateLimits:
    aggregate_burst: int = 50
    aggregate_per_second: float = 5.0
    route_burst: int = 10
    route_per_second: float = 1.0
    retry_after: RetryAfter = "seconds"
    """How a 429 says when to come back: integer seconds (rounded up), an IMF-fixdate, or
    no Retry-After header at all (the documentation does not say which the API does)."""
    scale: float = 1.0
    """Multiplies both refill rates: for benchmarks on a scaled clock. Retry-After stays in
    real seconds."""

    @classmethod
    def documented(cls, **overrides: Any) -> RateLimits:
        """The documented limits: 50 burst / 5 per s per key, 10 burst / 1 per s per route."""
        return replace(cls(), **overrides)

    def __post_init__(self) -> None:
        if self.aggregate_burst < 1 or self.route_burst < 1:
            raise ValueError("bursts must be at least 1")
        if self.aggregate_per_second <= 0 or self.route_per_second <= 0 or self.scale <= 0:
            raise ValueError("refill rates and scale must be positive")
        if self.retry_after not in ("seconds", "http_date", "none"):
            raise ValueError(f"bad retry_after {self.retry_after!r}")


class TokenBucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, capacity: int, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = float(capacity)
        self.stamp = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self) -> float:
        """Seconds until one token is available (0 if one is)."""
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate


class RateLimiter:
    def __init__(self, limits: RateLimits, monotonic: Callable[[], float] = time.monotonic):
        self.limits = limits
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._aggregate: dict[str, TokenBucket] = {}
        self._routes: dict[tuple[str, str, str], TokenBucket] = {}

    def acquire(self, key_id: str, method: str, route: str) -> float | None:
        """Take a token from both buckets, or return the seconds to wait (taking nothing)."""
        limits = self.limits
        with self._lock:
            now = self._monotonic()
            aggregate = self._aggregate.get(key_id)
            if aggregate is None:
                aggregate = self._aggregate[key_id] = TokenBucket(
                    limits.aggregate_burst, limits.aggregate_per_second * limits.scale, now
                )
            route_bucket = self._routes.get((key_id, method, route))
            if route_bucket is None:
                route_bucket = self._routes[(key_id, method, route)] = TokenBucket(
                    limits.route_burst, limits.route_per_second * limits.scale, now
                )
            aggregate.refill(now)
            route_bucket.refill(now)
            wait = max(aggregate.wait(), route_bucket.wait())
            if wait > 0:
                return wait
            aggregate.tokens -= 1.0
            route_bucket.tokens -= 1.0
            return None

    def reset(self) -> None:
        with self._lock:
            self._aggregate.clear()
            self._routes.clear()


def retry_after_header(style: RetryAfter, wait_seconds: float) -> str | None:
    """The Retry-After value for a wait, per style (None = send no header)."""
    if style == "none":
        return None
    seconds = max(1, math.ceil(wait_seconds))
    if style == "seconds":
        return str(seconds)
    return formatdate(time.time() + seconds, usegmt=True)
