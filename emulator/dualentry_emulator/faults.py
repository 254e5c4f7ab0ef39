"""Fault injection: seeded, per request, reproducible.

Whether request number i is faulted, and how, is a function of (seed, i) alone, so a failing
run can be replayed. A faulted request never mutates state and never consumes data: the
before-list callbacks do not run for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .draw import mix, salt
from .ratelimit import RetryAfter

FAULT_KINDS = (
    "http_500",
    "http_502",
    "http_503",
    "http_504",
    "rate_limited",
    "slow",
    "reset",
    "truncated",
    "not_json",
    "missing_keys",
)
"""Kinds drawn per request, in the order their rates are stacked."""

PERSISTENT_MESSAGES = {
    400: "Bad request.",
    401: "API key authentication failed",
    403: "You do not have permission to perform this action.",
    404: "Not Found",
    429: "Request was throttled.",
    500: "Internal server error.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable.",
    504: "Gateway timeout.",
}

_FAULT_SALT = salt("faults")


@dataclass(frozen=True)
class FaultPlan:
    seed: int = 0
    http_500: float = 0.0
    http_502: float = 0.0
    http_503: float = 0.0
    http_504: float = 0.0
    rate_limited: float = 0.0
    """429 regardless of the buckets, with the Retry-After variant of `retry_after`."""
    slow: float = 0.0
    """Sleep `slow_seconds`, then answer (to trip client read timeouts)."""
    reset: float = 0.0
    """Close the connection without any response (TCP reset)."""
    truncated: float = 0.0
    """200 with the full Content-Length declared but only half the body sent."""
    not_json: float = 0.0
    """200 with an HTML body (a proxy's error page)."""
    missing_keys: float = 0.0
    """200 with a JSON object lacking `items`/`count`."""
    slow_seconds: float = 2.0
    latency_seconds: float = 0.0
    """Added to every response."""
    retry_after: RetryAfter = "seconds"
    retry_after_seconds: float = 1.0
    persistent: Mapping[str, int] = field(default_factory=dict)
    """Endpoint name → status for every request to it, e.g. {"vendors": 403}."""
    endpoints: frozenset[str] | None = None
    """Endpoints subject to the random faults (None: every list endpoint, not health)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "persistent", MappingProxyType(dict(self.persistent)))
        if self.endpoints is not None:
            object.__setattr__(self, "endpoints", frozenset(self.endpoints))
        rates = [getattr(self, kind) for kind in FAULT_KINDS]
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must be within 0..1 and add up to at most 1")
        for name, status in self.persistent.items():
            if not 400 <= int(status) <= 599:
                raise ValueError(f"persistent status for {name!r} must be 4xx/5xx")

    def applies_to(self, endpoint: str, is_list: bool) -> bool:
        return endpoint in self.endpoints if self.endpoints is not None else is_list

    def choose(self, index: int) -> str | None:
        """The fault kind for request number `index`, or None."""
        u = (mix(self.seed, _FAULT_SALT, index) >> 11) * (1.0 / (1 << 53))
        for kind in FAULT_KINDS:
            u -= getattr(self, kind)
            if u < 0:
                return kind
        return None

    @classmethod
    def from_rates(cls, rates: Mapping[str, float], **options: Any) -> FaultPlan:
        unknown = set(rates) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        arguments: dict[str, Any] = {**options, **rates}
        return cls(**arguments)
