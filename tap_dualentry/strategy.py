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
* ``CREATED_AFTER``: rows never change once created, and the list filters on
  their creation time (``start_date``, a date-time): probed the same way. If
  honoured, passes ask for rows created since the bookmark; if not, the full
  table (such lists take no ``ordering`` to probe).

A filter probe's answer is remembered in the stream's state (``ProbeMemory``) and
asked again after ``REPROBE_AFTER``: a run with nothing changed then costs one
request, not two. Either answer keeps a pass correct while it stands: a filter
found ignored is simply not used, and a filter that stops being honoured only
makes its passes read the whole list.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from tap_dualentry.catalogue import Endpoint, Replication
from tap_dualentry.errors import BadRequestError
from tap_dualentry.pagination import Page, Row
from tap_dualentry.query import Params
from tap_dualentry.timestamps import format_timestamp, parse_timestamp

NEWEST_FIRST = "-updated_at"
FAR_FUTURE = "2999-12-31T00:00:00.000000Z"
# The query parameter that filters a list on the bookmark, by how the list replicates.
SINCE_FILTERS = {
    Replication.UPDATED_AFTER: "updated_after",
    Replication.CREATED_AFTER: "start_date",
}
# How long the answer to a filter probe is trusted before the filter is probed again.
REPROBE_AFTER = dt.timedelta(days=7)
# Share of a page's timestamped rows that must be in newest-first order for the
# server's -updated_at to count as honoured. Rows whose hidden sort key moved
# without their visible timestamp (system edits) break strict order.
SORTED_SHARE = 0.8


@dataclass(frozen=True)
class Strategy:
    """How one stream is read this run."""

    ordering: str | None
    early_stop: bool = False  # newest first: stop once past the bookmark
    since_param: str | None = None  # the filter an incremental pass sends its bookmark in
    start_date_param: str | None = None  # for full passes: the transaction-date filter
    reason: str = ""

    @property
    def incremental(self) -> bool:
        return self.early_stop or self.since_param is not None

    def describe(self) -> str:
        if self.since_param:
            return f"{self.since_param} filter"
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

    def sample(self, params: Params) -> Page:
        """A first page of the pass's size, asked for and thrown away."""
        ...

    def derive(self, row: Row) -> None:
        """Give a raw row its canonical ``updated_at``."""
        ...


class ProbeMemory:
    """The answers to filter probes, kept in a stream's state between runs, each for the
    server (API URL and version) that gave it: another server is asked again."""

    def __init__(self, memory: MutableMapping[str, Any], now: dt.datetime, server: str) -> None:
        self._memory = memory
        self._now = now
        self._server = server

    def recall(self, parameter: str) -> bool | None:
        """Whether the server honoured ``parameter`` when last asked, if that is recent."""
        entry = self._memory.get(parameter)
        if not isinstance(entry, dict) or not isinstance(entry.get("honoured"), bool):
            return None
        if entry.get("server") != self._server:
            return None
        try:
            checked = parse_timestamp(str(entry.get("checked")))
        except ValueError:
            return None
        if not self._now - REPROBE_AFTER < checked <= self._now:
            return None
        return bool(entry["honoured"])

    def remember(self, parameter: str, honoured: bool) -> None:
        self._memory[parameter] = {
            "honoured": honoured,
            "checked": format_timestamp(self._now),
            "server": self._server,
        }


def choose_strategy(
    endpoint: Endpoint,
    *,
    incremental: bool,
    probe: Probe,
    logger: logging.Logger,
    memory: ProbeMemory | None = None,
) -> Strategy:
    """How to find changes, from what the endpoint documents and what it answers."""
    chooser = _Chooser(endpoint, probe, logger, memory)
    kind = endpoint.replication
    if kind is Replication.FULL_TABLE or not incremental:
        return chooser.full("the endpoint offers no change signal")
    if kind is Replication.UPDATED_DESC:
        return Strategy(ordering=NEWEST_FIRST, early_stop=True, reason="documented order")
    since_param = SINCE_FILTERS.get(kind)
    if since_param is not None and chooser.honours(since_param):
        return chooser.log(
            Strategy(
                ordering=endpoint.ordering,
                since_param=since_param,
                reason=f"the server honours {since_param}",
            )
        )
    if kind is Replication.CREATED_AFTER:
        return chooser.log(chooser.full(f"the server ignores {since_param}"))
    return chooser.probe_newest_first()


class _Chooser:
    def __init__(
        self,
        endpoint: Endpoint,
        probe: Probe,
        logger: logging.Logger,
        memory: ProbeMemory | None,
    ) -> None:
        self._endpoint = endpoint
        self._probe = probe
        self._logger = logger
        self._memory = memory

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

    def honours(self, parameter: str) -> bool:
        """Whether the server filters on ``parameter``: remembered, or probed with a
        far-future value (a filter honoured lists nothing)."""
        remembered = self._memory.recall(parameter) if self._memory else None
        if remembered is not None:
            return remembered
        params = [*self._probe.params(self._endpoint.ordering), (parameter, FAR_FUTURE)]
        try:
            page = self._probe.peek(params)
        except BadRequestError as error:
            self._logger.info(
                "Stream '%s': %s is refused (%s)", self._endpoint.name, parameter, error
            )
            honoured = False
        else:
            honoured = page.count == 0 and not page.rows
        if self._memory:
            self._memory.remember(parameter, honoured)
        return honoured

    def _honoured_out_of_time_order(self, rows: list[Row]) -> bool:
        """Whether a page asked for ``ordering=-updated_at`` whose visible times are out of
        order still answers that ordering.

        The visible times alone can mislead: where system edits (which move the server's
        hidden sort key, not the visible times) crowd the top of a large list, the first
        page of an honoured newest-first order looks unsorted. A page in ascending key
        order is the list's own order (the ordering ignored). Otherwise the first page in
        the server's default order settles it: a server that ignores the ordering lists
        mostly the same rows (a row created between the two requests, or ties in a
        non-unique default order, change a few), while an honoured newest-first page
        holds the rows changed last, mostly others. Shared rows count as "ignored" from
        half the page up: a full pass, never a missed change.
        """
        keys = self._endpoint.primary_keys
        ids = [tuple(row.get(key) for key in keys) for row in rows]
        if len(ids) < 2:
            return False
        try:
            if all(earlier <= later for earlier, later in itertools.pairwise(ids)):
                return False
        except TypeError:
            pass  # keys that do not compare: only the default order can tell
        try:
            default = self._probe.sample(self._probe.params(None))
        except BadRequestError:
            return False
        listed = {tuple(row.get(key) for key in keys) for row in default.rows}
        return len(listed.intersection(ids)) * 2 < len(ids)

    def probe_newest_first(self) -> Strategy:
        params = self._probe.params(NEWEST_FIRST)
        try:
            page = self._probe.first_page(params)
        except BadRequestError as error:
            return self.log(self.full(f"the server refuses ordering={NEWEST_FIRST}: {error}"))
        for row in page.rows:
            self._probe.derive(row)
        if not is_newest_first(page.rows) and not self._honoured_out_of_time_order(page.rows):
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
