"""Choosing, once per run and stream, how to find what changed.

The stored API document lists no "updated since" filter and does not say which
``ordering`` values an endpoint accepts, so the tap asks the server rather than
assuming (each probe costs at most one request per run, and usually none):

* ``UPDATED_DESC`` endpoints document ``-updated_at`` as their order: trusted.
* ``PROBED_UPDATED_DESC``: the first page is requested with ``-updated_at``. If
  the server rejects it (400), or ignores it (the page's timestamps are not
  newest-first), the stream reads the full table in ``id`` order; otherwise the
  probe page is kept and becomes the first page of the pass.
* ``UPDATED_AFTER``: one request with a far-future ``updated_after`` tells a
  server that honours the filter (no rows) from one that ignores it (rows). If
  honoured, passes filter on the bookmark; if not, the previous rule applies.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass
from typing import Protocol

from tap_dualentry.catalogue import Endpoint, Replication
from tap_dualentry.errors import BadRequestError
from tap_dualentry.pagination import Page, Row
from tap_dualentry.query import Params

NEWEST_FIRST = "-updated_at"
FAR_FUTURE = "2999-12-31T00:00:00.000000Z"
# Share of a page's timestamped rows that must be in newest-first order for the
# server's -updated_at to count as honoured. Rows whose hidden sort key moved
# without their visible timestamp (system edits) break strict order.
SORTED_SHARE = 0.8


@dataclass(frozen=True)
class Strategy:
    """How one stream is read this run."""

    ordering: str | None
    early_stop: bool = False  # newest first: stop once past the bookmark
    updated_after: bool = False  # filter on updated_after
    start_date_param: str | None = None  # for full passes: the transaction-date filter
    reason: str = ""

    @property
    def incremental(self) -> bool:
        return self.early_stop or self.updated_after

    def describe(self) -> str:
        if self.updated_after:
            return "updated_after filter"
        if self.early_stop:
            return "newest first, stopping past the bookmark"
        return f"full table ordered by {self.ordering or 'the server default'}"


class Probe(Protocol):
    """What a strategy probe may ask of the stream it chooses for."""

    def params(self, ordering: str | None) -> Params:
        """The first partition's filters with ``ordering`` (paging excluded)."""
        ...

    def peek(self, params: Params) -> Page:
        """One row at offset 0, asked for and thrown away."""
        ...

    def first_page(self, params: Params) -> Page:
        """The first page exactly as the pass would request it; kept for the pass."""
        ...

    def derive(self, row: Row) -> None:
        """Give a raw row its canonical ``updated_at``."""
        ...


def choose_strategy(
    endpoint: Endpoint, *, incremental: bool, probe: Probe, logger: logging.Logger
) -> Strategy:
    """How to find changes, from what the endpoint documents and what it answers."""
    chooser = _Chooser(endpoint, probe, logger)
    kind = endpoint.replication
    if kind is Replication.FULL_TABLE or not incremental:
        return chooser.full("the endpoint offers no change signal")
    if kind is Replication.UPDATED_DESC:
        return Strategy(ordering=NEWEST_FIRST, early_stop=True, reason="documented order")
    if kind is Replication.UPDATED_AFTER and chooser.honours_updated_after():
        return chooser.log(
            Strategy(
                ordering=endpoint.ordering,
                updated_after=True,
                reason="the server honours updated_after",
            )
        )
    return chooser.probe_newest_first()


class _Chooser:
    def __init__(self, endpoint: Endpoint, probe: Probe, logger: logging.Logger) -> None:
        self._endpoint = endpoint
        self._probe = probe
        self._logger = logger

    def full(self, reason: str) -> Strategy:
        return Strategy(
            ordering=self._endpoint.ordering,
            start_date_param=self._endpoint.start_date_param,
            reason=reason,
        )

    def log(self, strategy: Strategy) -> Strategy:
        self._logger.info(
            "Stream '%s': %s (%s)", self._endpoint.name, strategy.describe(), strategy.reason
        )
        return strategy

    def honours_updated_after(self) -> bool:
        params = [*self._probe.params(self._endpoint.ordering), ("updated_after", FAR_FUTURE)]
        try:
            page = self._probe.peek(params)
        except BadRequestError as error:
            self._logger.info(
                "Stream '%s': updated_after is refused (%s)", self._endpoint.name, error
            )
            return False
        return page.count == 0 and not page.rows

    def probe_newest_first(self) -> Strategy:
        params = self._probe.params(NEWEST_FIRST)
        try:
            page = self._probe.first_page(params)
        except BadRequestError as error:
            return self.log(self.full(f"the server refuses ordering={NEWEST_FIRST}: {error}"))
        for row in page.rows:
            self._probe.derive(row)
        if not is_newest_first(page.rows):
            return self.log(self.full(f"the server ignores ordering={NEWEST_FIRST}"))
        return self.log(
            Strategy(
                ordering=NEWEST_FIRST, early_stop=True, reason="the server honours -updated_at"
            )
        )


def is_newest_first(rows: list[Row]) -> bool:
    """Whether most timestamped rows of a page are in newest-first order.

    Measured as the longest non-increasing run of ``updated_at`` values (not
    necessarily contiguous): a few rows out of place are system edits, a page in
    id order is mostly ascending.
    """
    values = [str(row["updated_at"]) for row in rows if row.get("updated_at")]
    if len(values) < 2:
        return True
    # Longest non-increasing subsequence = longest non-decreasing one of the reverse.
    tails: list[str] = []
    for value in reversed(values):
        index = bisect.bisect_right(tails, value)
        if index == len(tails):
            tails.append(value)
        else:
            tails[index] = value
    return len(tails) >= SORTED_SHARE * len(values)
