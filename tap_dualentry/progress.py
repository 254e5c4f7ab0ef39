"""Progress of long streams: rows done of ``count``, the rate, and the time left."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_dualentry.client import DualEntryStream

PROGRESS_EVERY_SECONDS = 30.0


class Progress:
    """Rows done of ``count``, the rate, and an ETA from the pacing, on long streams."""

    def __init__(self, stream: DualEntryStream, context: Context | None) -> None:
        self._stream = stream
        self._context = context
        self._start = time.monotonic()
        self._last_log = self._start
        self._rows = 0

    def page(self, rows: int, count: int) -> None:
        self._rows += rows
        now = time.monotonic()
        if now - self._last_log < PROGRESS_EVERY_SECONDS:
            return
        self._last_log = now
        rate = self._rows / max(now - self._start, 1e-9)
        remaining = max(count - self._rows, 0)
        per_request = max(self._stream.settings.page_size - 1, 1)  # one row of overlap
        interval = self._stream.request_interval()
        eta = remaining / per_request * interval if interval else remaining / max(rate, 1e-9)
        self._stream.logger.info(
            "Stream '%s'%s: %d of %d rows (%.0f%%), %.0f rows/s, about %s left",
            self._stream.name,
            describe_context(self._context),
            self._rows,
            count,
            100.0 * self._rows / count if count else 100.0,
            rate,
            _duration(eta),
        )


def describe_context(context: Context | None) -> str:
    return f" (company {context['company_id']})" if context and "company_id" in context else ""


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
