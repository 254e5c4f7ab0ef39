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
    lines: bool = False  # a line-item stream, written from its parent's pages


def log_summary(logger: logging.Logger, reports: Sequence[StreamReport], elapsed: float) -> None:
    """Log one line per stream (rows, requests, retries, 429s, time) and a total.

    Line-item streams have their own lines (rows only: their parent made the requests),
    so the total counts every RECORD the run wrote.
    """
    logger.info("Run summary (%.1f s):", elapsed)
    for report in reports:
        if report.lines:
            logger.info(
                "  %-40s rows=%-8d (lines, read with their parent)", report.name, report.rows
            )
            continue
        logger.info(
            "  %-40s rows=%-8d requests=%-6d retries=%-4d 429s=%-4d time=%.1fs",
            report.name,
            report.rows,
            report.requests,
            report.retries,
            report.rate_limited,
            report.seconds,
        )
    lines = sum(report.rows for report in reports if report.lines)
    logger.info(
        "  %-40s rows=%-8d requests=%d (%d rows of line-item streams among them)",
        "total",
        sum(report.rows for report in reports),
        sum(report.requests for report in reports),
        lines,
    )
