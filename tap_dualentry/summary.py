"""The run summary: what each stream delivered and what it cost."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from singer_sdk import Stream


def log_summary(logger: logging.Logger, streams: Sequence[Stream], elapsed: float) -> None:
    """Log one line per stream (rows, requests, retries, 429s, time) and a total."""
    from tap_dualentry.client import DualEntryStream  # noqa: PLC0415 - avoids an import cycle

    total_rows = total_requests = 0
    logger.info("Run summary (%.1f s):", elapsed)
    for stream in streams:
        if not isinstance(stream, DualEntryStream):
            continue
        stats = stream.client.stats
        seconds = (
            (stream.finished_at or stream.started_at or 0.0) - (stream.started_at or 0.0)
            if stream.started_at is not None
            else 0.0
        )
        total_rows += stream.records_delivered
        total_requests += stats.requests
        logger.info(
            "  %-40s rows=%-8d requests=%-6d retries=%-4d 429s=%-4d time=%.1fs",
            stream.name,
            stream.records_delivered,
            stats.requests,
            stats.retries,
            stats.rate_limited,
            seconds,
        )
    logger.info("  %-40s rows=%-8d requests=%d", "total", total_rows, total_requests)
