"""How long to wait before trying a request again.

Two budgets, kept apart on purpose: transient faults (5xx, timeouts, resets,
malformed pages) spend ``max_tries``; 429s spend only waiting time, bounded by
``max_rate_limit_wait``. An API key's buckets are shared with the organisation's
other clients, so 429s can be routine and must not exhaust the fault retries.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import backoff


@dataclass(frozen=True)
class RetryPolicy:
    """Retry settings of one run."""

    max_tries: int = 6
    max_rate_limit_wait: float = 900.0
    fault_base_seconds: float = 1.0
    fault_cap_seconds: float = 60.0
    rate_limit_base_seconds: float = 2.0
    rate_limit_cap_seconds: float = 60.0

    def fault_waits(self) -> Iterator[float]:
        """Capped exponential waits with full jitter, for transient faults."""
        waits = backoff.expo(factor=self.fault_base_seconds, max_value=self.fault_cap_seconds)
        next(waits)  # the generator's priming value
        for value in waits:
            yield backoff.full_jitter(value)

    def rate_limit_waits(self) -> Iterator[float]:
        """Waits for a 429 that came without Retry-After: capped exponential, jittered.

        The jitter keeps a delay between half and all of the exponential value, so
        parallel streams do not come back in lockstep yet always wait a while.
        """
        waits = backoff.expo(
            factor=self.rate_limit_base_seconds, max_value=self.rate_limit_cap_seconds
        )
        next(waits)
        for value in waits:
            yield value / 2 + random.uniform(0, value / 2)  # noqa: S311 - not crypto


def retry_after_seconds(headers: Mapping[str, str], now: dt.datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from ``Retry-After`` (seconds or HTTP date)."""
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())
