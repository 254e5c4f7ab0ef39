"""Progress of long streams: rows done of ``count``, the rate, and the time left."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tap_dualentry.clock import Clock

PROGRESS_EVERY_SECONDS = 30.0


class Progress:
    """Rows done of ``count``, the rate, and an ETA from the pacing, on long streams."""

    def __init__(
        self,
        *,
        name: str,
        context: Mapping[str, Any] | None,
        rows_per_request: int,
        request_interval: float,
        clock: Clock,
        logger: logging.Logger,
    ) -> None:
        self._name = name
        self._context = context
        self._rows_per_request = max(rows_per_request, 1)
        self._interval = request_interval
        self._clock = clock
        self._logger = logger
        self._start = clock.monotonic()
        self._last_log = self._start
        self._rows = 0

    def page(self, rows: int, count: int) -> None:
        self._rows += rows
        now = self._clock.monotonic()
        if now - self._last_log < PROGRESS_EVERY_SECONDS:
            return
        self._last_log = now
        rate = self._rows / max(now - self._start, 1e-9)
        remaining = max(count - self._rows, 0)
        interval = self._interval
        eta = (
            remaining / self._rows_per_request * interval
            if interval
            else remaining / max(rate, 1e-9)
        )
        self._logger.info(
            "Stream '%s'%s: %d of %d rows (%.0f%%), %.0f rows/s, about %s left",
            self._name,
            describe_context(self._context),
            self._rows,
            count,
            100.0 * self._rows / count if count else 100.0,
            rate,
            _duration(eta),
        )


def describe_context(context: Mapping[str, Any] | None) -> str:
    """A partition as log lines name it: " (company 2, posted)", " (no company)"."""
    parts = []
    if context and "company_id" in context:
        company = context["company_id"]
        parts.append("no company" if company is None else f"company {company}")
    if context and "record_status" in context:
        parts.append(str(context["record_status"]))
    return f" ({', '.join(parts)})" if parts else ""


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
