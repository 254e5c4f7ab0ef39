"""Reading one pass of a list: pages, delivery of their rows, and the count check.

A pass reads a list from the top through ``pagination.ListReader`` (the only owner
of offsets), turns each new row into its record (canonical timestamps, lossless
shaping, the company it was read under, its lines written first), and stops either
at the end of the list or once past the bookmark. A full pass then accounts for
every row the API counts, reading the top of the list again if rows are missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tap_dualentry.api import DualEntryClient
from tap_dualentry.clock import Clock
from tap_dualentry.errors import IncompleteStreamError
from tap_dualentry.pagination import KeySet, ListReader, Page, PageView, ReadAhead, Row
from tap_dualentry.progress import Progress, describe_context
from tap_dualentry.query import Params
from tap_dualentry.replication import REPLICATION_KEY, PastBookmark

Record = dict[str, Any]
Partition = Mapping[str, Any]


class PageSource:
    """The pages of one endpoint, and the one page a probe already fetched for the pass."""

    def __init__(self, client: DualEntryClient, path: str) -> None:
        self.client = client
        self._path = path
        self._kept: tuple[tuple[Params, int, int], Page] | None = None

    def fetch(self, params: Params, offset: int, limit: int) -> Page:
        """One page; a kept page answers the identical request once, and only that."""
        kept, self._kept = self._kept, None
        if kept is not None and kept[0] == (params, offset, limit):
            return kept[1]
        paged = [*params, ("limit", str(limit)), ("offset", str(offset))]
        body = self.client.get_json(self._path, paged, expect_page=True)
        page = Page(rows=body["items"], count=int(body["count"]))
        left = _requests_left(offset, page)
        if left is not None:
            self.client.expect(self._path, left)
        return page

    def keep(self, params: Params, offset: int, limit: int, page: Page) -> None:
        self._kept = ((list(params), offset, limit), page)


def _requests_left(offset: int, page: Page) -> float | None:
    """About how many more pages the list holds after this one (the route's priority);
    None when a page says nothing about it (a probe of one row, an empty page)."""
    per_page = len(page.rows) - 1  # the next page overlaps this one by a row
    if per_page <= 0:
        return None
    return max(page.count - offset - len(page.rows), 0) / per_page


@dataclass(frozen=True)
class Delivery:
    """How a raw row becomes its record."""

    shape: Callable[[Row], Record]
    derive: Callable[[Row], None]
    key_of: Callable[[Row], Hashable]
    # Partition keys the items do not carry (a customer's company or record status): each
    # record says the value it was read under, null outside such a partition. (The SDK
    # also copies partition keys into records, but only where a partition has them.)
    tags: tuple[str, ...]
    line_writers: Sequence[Callable[[Row], None]]


# Which rows of a pass are its own, given a row and its key (None: every row).
Include = Callable[[Row, Hashable], bool]


class PassReader:
    """Reads passes of one stream's list and delivers their records."""

    def __init__(
        self,
        *,
        name: str,
        source: PageSource,
        delivery: Delivery,
        page_size: int,
        request_interval: float,
        clock: Clock,
        logger: logging.Logger,
    ) -> None:
        self._name = name
        self._source = source
        self._delivery = delivery
        self._page_size = page_size
        self._limit = ListReader.limit_for(page_size)
        self._request_interval = request_interval
        self._clock = clock
        self._logger = logger
        self.rows_delivered = 0

    # For the strategy probes

    def first_page(self, params: Params) -> Page:
        """The first page exactly as a pass with ``params`` requests it, kept for that pass."""
        page = self._source.fetch(params, 0, self._limit)
        self._source.keep(params, 0, self._limit, page)
        return page

    def peek(self, params: Params) -> Page:
        """One row, asked for and not kept."""
        return self._source.fetch(params, 0, 1)

    def sample(self, params: Params) -> Page:
        """A first page of the pass's size, asked for and not kept."""
        return self._source.fetch(params, 0, self._limit)

    # The pass

    def read(
        self,
        params: Params,
        context: Partition | None,
        *,
        stop_before: str | None,
        full: bool,
        delivered: KeySet,
        include: Include | None = None,
    ) -> Generator[Record, None, str | None]:
        """Deliver the records of one pass; return the newest ``updated_at`` it read.

        ``stop_before``: a newest-first pass ends once past this bookmark. A full pass
        is checked against the API's ``count`` when it reaches the end of the list.
        ``delivered`` collects the keys delivered (across the passes of a run);
        ``include`` picks the rows that are this pass's to deliver.
        """
        seen = KeySet()
        # A pass read to its end requests each page while the one before is processed.
        # (A pass that may stop at any page would waste the request sent ahead.)
        ahead: ReadAhead[Page] | None = ReadAhead() if stop_before is None else None
        reader = self._reader(params, seen, ahead)
        progress = Progress(
            name=self._name,
            context=context,
            rows_per_request=self._limit - 1,  # one row of overlap
            request_interval=self._request_interval,
            clock=self._clock,
            logger=self._logger,
        )
        past = PastBookmark(stop_before) if stop_before is not None else None
        newest: str | None = None
        try:
            for view in reader.pages():
                for row, record in self._deliver(view, context, include, delivered):
                    # Every row read counts, delivered or not: the pass covered them all.
                    updated = row.get(REPLICATION_KEY)
                    if updated is not None and (newest is None or updated > newest):
                        newest = updated
                    if record is not None:
                        yield record
                    if past is not None and past.observe(row):
                        # Past the bookmark: the rest of this page is older still.
                        reader.stop()
                        break
                progress.page(len(view.fresh), view.count)
        finally:
            if ahead is not None:
                ahead.close()
        if full and reader.complete:
            yield from self._verify_count(
                params, seen, reader, context, include=include, run_keys=delivered
            )
        return newest

    def _reader(self, params: Params, seen: KeySet, ahead: ReadAhead[Page] | None) -> ListReader:
        source = self._source
        return ListReader(
            lambda offset, limit: source.fetch(params, offset, limit),
            page_size=self._page_size,
            key_of=self._delivery.key_of,
            seen=seen,
            read_ahead=ahead,
        )

    def _deliver(
        self,
        view: PageView,
        context: Partition | None,
        include: Include | None,
        run_keys: KeySet,
    ) -> Iterator[tuple[Row, Record | None]]:
        """Each new row of a page with its record (None: not this pass's row), the
        row's lines written first."""
        delivery = self._delivery
        for row in view.rows:
            delivery.derive(row)
        context = context or {}
        tags = {name: context.get(name) for name in delivery.tags}
        for row in view.fresh:
            key = delivery.key_of(row)
            if include is not None and not include(row, key):
                yield row, None
                continue
            run_keys.add(key)
            record = delivery.shape(row)
            record.update(tags)
            # Lines first: writing the parent may prune deselected nested fields in
            # place, and the shaped record can share nested objects with the row.
            for write_lines in delivery.line_writers:
                write_lines(row)
            self.rows_delivered += 1
            yield row, record

    def _verify_count(
        self,
        params: Params,
        seen: KeySet,
        main: ListReader,
        context: Partition | None,
        *,
        include: Include | None,
        run_keys: KeySet,
    ) -> Iterator[Record]:
        """A full pass must account for every row the API counts.

        The only rows a verified pass can miss are rows that arrived before its
        position while it read (inserts, and rows an edit moved to the front of a
        newest-first order). On a shortfall the list is read again from the top, at
        least as far as such arrivals reached.
        """
        if len(seen) >= main.count:
            return
        where = f"Stream '{self._name}'{describe_context(context)}"
        delivered = len(seen)
        self._logger.warning(
            "%s: the pass delivered %d unique rows but DualEntry counts %d; "
            "reading the top of the list again to find the difference",
            where,
            delivered,
            main.count,
        )
        reader = self._reader(params, seen, None)
        for view in reader.pages():
            for _, record in self._deliver(view, context, include, run_keys):
                if record is not None:
                    yield record
            if len(seen) >= view.count and reader.position >= main.arrivals:
                reader.stop()
        short = reader.count - len(seen)
        if short <= 0:
            return
        if len(seen) == delivered and reader.complete:
            # A whole second read found nothing new: the server counts rows it does not
            # list. Every row it does list has been delivered.
            self._logger.warning(
                "%s: DualEntry counts %d rows but lists %d; every listed row was delivered",
                where,
                reader.count,
                delivered,
            )
            return
        if short <= reader.arrivals:
            # Rows that arrived while we re-read the top are newer than anything this
            # pass bookmarks: the next incremental run reads them.
            self._logger.info(
                "%s: %d rows arrived during the sync and are left to the next run", where, short
            )
            return
        msg = (
            f"{where}: delivered {len(seen)} unique rows of the {reader.count} DualEntry "
            "counts, even after reading the list again; the list kept changing under the "
            "sync. The bookmark was not advanced: run the sync again."
        )
        raise IncompleteStreamError(msg)
