"""The ceiling: the schedule-optimal time for a set of requests under both token buckets.

Both buckets start full. A route with ``n`` requests cannot have sent its last one before
``(n - route_burst) / route_rate`` seconds after its first (``route_burst`` at once, then
one per refill); all routes together cannot have sent ``N`` requests before
``(N - aggregate_burst) / aggregate_rate``. The larger of these lower bounds is the
ceiling: the time between the first and the last request of an optimal client that waits
for nothing but tokens. Requests answered 429 take no token and are not counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The documented buckets; ``scale`` multiplies both refill rates (scaled clock)."""

    aggregate_burst: int = 50
    aggregate_per_second: float = 5.0
    route_burst: int = 10
    route_per_second: float = 1.0
    scale: float = 1.0

    @property
    def aggregate_rate(self) -> float:
        return self.aggregate_per_second * self.scale

    @property
    def route_rate(self) -> float:
        return self.route_per_second * self.scale


def ceiling_seconds(requests_per_route: Mapping[str, int], limits: Limits) -> float:
    """Lower bound on the span from first to last request, from both buckets."""
    if not requests_per_route:
        return 0.0
    route_bound = max(
        (count - limits.route_burst) / limits.route_rate for count in requests_per_route.values()
    )
    total = sum(requests_per_route.values())
    aggregate_bound = (total - limits.aggregate_burst) / limits.aggregate_rate
    return max(0.0, route_bound, aggregate_bound)


def binding_constraint(requests_per_route: Mapping[str, int], limits: Limits) -> str:
    """Which bucket sets the ceiling: 'route', 'aggregate' or 'burst' (neither)."""
    if not requests_per_route:
        return "burst"
    route_bound = max(
        (count - limits.route_burst) / limits.route_rate for count in requests_per_route.values()
    )
    total = sum(requests_per_route.values())
    aggregate_bound = (total - limits.aggregate_burst) / limits.aggregate_rate
    if max(route_bound, aggregate_bound) <= 0:
        return "burst"
    return "route" if route_bound >= aggregate_bound else "aggregate"
