"""Client-side pacing to DualEntry's two documented token buckets.

Every request of an API key draws one token from an aggregate bucket (burst 50,
5 per second) and one from the bucket of its route and method (burst 10, 1 per
second). Waiting for tokens here, rather than bouncing off 429s, keeps a run at
the API's ceiling without spending retries. One limiter is shared by every
stream of a run; it is thread-safe because streams run in parallel.

The server takes its token when a request arrives, somewhere between our send
and its answer. Wherever that was, a full bucket stops refilling only from that
moment: a client that counts from its send refills a little ahead of the
server, and its next request after a burst arrives a hair early and gets a 429
(which costs a whole Retry-After for every stream). ``settle`` therefore takes
back, once the answer is in, the refill a full bucket may not have had.

When the aggregate bucket is short, the route with the most work left goes
first (``expect`` says how many requests each route still has): a run lasts as
long as its longest stream, so that stream must never wait for a token while a
shorter one takes it. Shorter streams get every token the longer ones cannot
use, since those are held to their own route's rate. A route that has not said
yet goes before all the others: its first page tells its size, and it may be the
longest.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BucketSpec:
    """Size and refill rate of one token bucket."""

    burst: float
    per_second: float


class _Bucket:
    """A token bucket; callers hold the limiter's lock."""

    def __init__(self, spec: BucketSpec, now: float) -> None:
        self.spec = spec
        self.tokens = float(spec.burst)
        self.updated = now

    def refill(self, now: float) -> None:
        elapsed = now - self.updated
        if elapsed > 0:
            self.tokens = min(self.spec.burst, self.tokens + elapsed * self.spec.per_second)
            self.updated = now

    def wait_for_one(self) -> float:
        """Seconds until one whole token is available (0 if it is now)."""
        missing = 1.0 - self.tokens
        # A hair's breadth short of a token is a token: float rounding must not spin.
        return 0.0 if missing <= 1e-9 else missing / self.spec.per_second


class RateLimiter:
    """The aggregate bucket plus one bucket per route, and a shared hold after a 429."""

    def __init__(
        self,
        aggregate: BucketSpec,
        per_route: BucketSpec,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._aggregate_spec = aggregate
        self._route_spec = per_route
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._aggregate = _Bucket(aggregate, clock())
        self._routes: dict[str, _Bucket] = {}
        self._hold_until = 0.0
        self._pending = threading.local()  # each thread's last acquisition, until settled
        self._work_left: dict[str, float] = {}  # route -> requests it still expects to send
        self._waiting: dict[int, str] = {}  # thread -> the route it waits to send to

    def expect(self, route: str, requests: float) -> None:
        """``route`` expects to send about ``requests`` more requests (its priority)."""
        with self._lock:
            self._work_left[route] = requests

    def acquire(self, route: str) -> None:
        """Block until a request to ``route`` may be sent."""
        me = threading.get_ident()
        with self._lock:
            self._waiting[me] = route
        try:
            while True:
                with self._lock:
                    delay = self._try_take(route)
                if delay <= 0:
                    return
                self._sleep(delay)
        finally:
            with self._lock:
                del self._waiting[me]

    def _try_take(self, route: str) -> float:
        """Take a token from both buckets and return 0, or return how long to wait."""
        now = self._clock()
        route_bucket = self._route(route, now)
        self._aggregate.refill(now)
        delay = max(
            self._hold_until - now,
            self._aggregate.wait_for_one(),
            route_bucket.wait_for_one(),
        )
        if delay > 0:
            return delay
        # Leave the aggregate's tokens to routes with more work left that could send now.
        ahead = self._ready_ahead_of(route, now)
        short = ahead + 1.0 - self._aggregate.tokens
        if ahead and short > 1e-9:
            return short / self._aggregate_spec.per_second
        self._pending.taken = (
            now,
            (self._aggregate, self._aggregate.tokens),
            (route_bucket, route_bucket.tokens),
        )
        self._aggregate.tokens -= 1
        route_bucket.tokens -= 1
        return 0.0

    def _route(self, route: str, now: float) -> _Bucket:
        bucket = self._routes.get(route)
        if bucket is None:
            bucket = self._routes[route] = _Bucket(self._route_spec, now)
        bucket.refill(now)
        return bucket

    def _ready_ahead_of(self, route: str, now: float) -> int:
        """Other routes waiting now, with more work left, whose own bucket has a token."""
        left = self._work_left
        mine = left.get(route, math.inf)
        ahead = {
            other
            for other in self._waiting.values()
            if other != route and left.get(other, math.inf) > mine
        }
        return sum(1 for other in ahead if self._route(other, now).wait_for_one() <= 0)

    def settle(self) -> None:
        """The answer to this thread's last request is in (or the request failed).

        Had the server taken the token only now, a bucket that was full at our send
        would have wasted its refill since then beyond the room it had below its
        burst; that much refill is taken back. Below a full bucket nothing changes:
        refill is linear, so when the token was taken does not matter.
        """
        taken = getattr(self._pending, "taken", None)
        if taken is None:
            return
        self._pending.taken = None
        sent, *drawn = taken
        with self._lock:
            now = self._clock()
            for bucket, before in drawn:
                spec = bucket.spec
                wasted = spec.per_second * (now - sent) - (spec.burst - before)
                if wasted > 0:
                    bucket.refill(now)
                    bucket.tokens -= wasted

    def throttled(self, route: str, retry_after: float | None) -> None:
        """Resynchronise after a 429: the server's buckets were emptier than ours.

        Both our buckets are emptied (so pacing restarts from the refill rate) and
        every request of the run holds until the server's Retry-After has passed.
        """
        with self._lock:
            now = self._clock()
            self._aggregate.refill(now)
            self._aggregate.tokens = min(self._aggregate.tokens, 0.0)
            bucket = self._routes.get(route)
            if bucket is not None:
                bucket.refill(now)
                bucket.tokens = min(bucket.tokens, 0.0)
            if retry_after is not None and retry_after > 0:
                self._hold_until = max(self._hold_until, now + retry_after)

    def expected_interval(self) -> float:
        """Steady-state seconds between two requests of one route (for ETAs)."""
        return 1.0 / min(self._route_spec.per_second, self._aggregate_spec.per_second)


class Unlimited:
    """Pacing switched off: the naive baseline, and runs against unthrottled servers."""

    def expect(self, route: str, requests: float) -> None:
        del route, requests

    def acquire(self, route: str) -> None:
        del route

    def settle(self) -> None:
        pass

    def throttled(self, route: str, retry_after: float | None) -> None:
        del route, retry_after

    def expected_interval(self) -> float:
        return 0.0


Pacer = RateLimiter | Unlimited
