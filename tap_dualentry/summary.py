"""The run summary: what each stream delivered and what it cost."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class StreamReport:
    """One stream's figures for the summary."""

    name: str
    rows: int
    requests: int
    retries: int
    rate_limited: int
    seconds: float


def log_summary(logger: logging.Logger, reports: Sequence[StreamReport], elapsed: float) -> None:
    """Log one line per stream (rows, requests, retries, 429s, time) and a total."""
    logger.info("Run summary (%.1f s):", elapsed)
    for report in reports:
        logger.info(
            "  %-40s rows=%-8d requests=%-6d retries=%-4d 429s=%-4d time=%.1fs",
            report.name,
            report.rows,
            report.requests,
            report.retries,
            report.rate_limited,
            report.seconds,
        )
    logger.info(
        "  %-40s rows=%-8d requests=%d",
        "total",
        sum(report.rows for report in reports),
        sum(report.requests for report in reports),
    )
