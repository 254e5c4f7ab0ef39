"""Offset paging over ``{items, count}`` that cannot silently lose rows.

DualEntry lists are offset-paged over orders that change while we read them: an
edit moves a row to the front of ``-updated_at``, a delete or archive shifts every
later row back by one. A naive reader then skips the row that slides across a
page boundary, for good. This reader proves that each page continues where the
previous one ended and re-anchors when the list moved:

* every request after the first overlaps the previous page by one row (the
  *anchor*); the page must contain a row we just read, or the list shifted back
  under us and we step back until it does;
* rows already delivered in this pass are dropped by primary key (``KeySet``), so
  the overlap and rows pushed forward by inserts never repeat;
* the end of the list is decided by an empty or short page checked against
  ``count``, never by a short page alone (the server may cap pages below what we
  asked for), and a count the server contradicts is no longer trusted.

The SDK's paginator machinery cannot express this (it stops on offset 0 and
rejects a repeated offset), so the reader owns its loop.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]

# An exact bitmap is kept for integer keys spanning at most this many ids (16 MiB);
# keys beyond it go to an ordinary set.
_MAX_BITMAP_BITS = 1 << 27


class KeySet:
    """The primary keys delivered in one pass: exact, and small for integer ids.

    DualEntry ids are dense database integers, so one bit per id in the observed
    range keeps a million keys in about 125 KB. Anything else (composite or text
    keys, ids far outside the range) falls back to a set.
    """

    def __init__(self) -> None:
        self._bits = bytearray()
        self._base = 0
        self._others: set[Hashable] = set()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __contains__(self, key: Hashable) -> bool:
        if type(key) is int:
            index = key - self._base
            if 0 <= index < len(self._bits) * 8:
                return bool(self._bits[index >> 3] & (1 << (index & 7)))
        return key in self._others

    def add(self, key: Hashable) -> bool:
        """Add a key; return True if it was not there yet."""
        if type(key) is int and self._fit(key):
            index = key - self._base
            byte, bit = index >> 3, 1 << (index & 7)
            if self._bits[byte] & bit:
                return False
            self._bits[byte] |= bit
        else:
            if key in self._others:
                return False
            self._others.add(key)
        self._size += 1
        return True

    def _fit(self, key: int) -> bool:
        """Grow the bitmap to cover ``key`` if that keeps it within bounds."""
        if not self._bits:
            self._base = key & ~7
            self._bits = bytearray(64)
            return True
        low = min(self._base, key & ~7)
        high = max(self._base + len(self._bits) * 8, key + 1)
        if high - low > _MAX_BITMAP_BITS:
            return False
        if low < self._base:
            self._bits[:0] = bytes((self._base - low) // 8)
            self._base = low
        needed = (high - self._base + 7) // 8
        if needed > len(self._bits):
            # Grow geometrically so a long ascending scan stays linear.
            self._bits.extend(bytes(max(needed - len(self._bits), len(self._bits))))
        return True


@dataclass
class Page:
    """One response: rows in the server's order, the total it reported, where it started."""

    rows: list[Row]
    count: int
    offset: int


@dataclass
class PageView:
    """What the reader hands to its caller for each page."""

    rows: list[Row]  # every row of the response, in the server's order
    fresh: list[Row]  # the rows not delivered before in this pass, in order
    count: int


@dataclass
class ReadStats:
    """Counters of one stream's reading, for the run summary and the tests."""

    requests: int = 0
    rows: int = 0
    repeats_dropped: int = 0
    reanchors: int = 0
    step_backs: int = 0
    verification_passes: int = 0
    extra: dict[str, int] = field(default_factory=dict)


Fetch = Callable[[int, int], Page]
KeyOf = Callable[[Row], Hashable]


class ListReader:
    """Reads one ordered list from the top, page by page, without gaps.

    Iterate ``pages()``; call ``stop()`` from the loop to end early (incremental
    passes). After the loop, ``complete`` tells whether the end of the list was
    reached and ``count`` is the last total the server reported.
    """

    def __init__(
        self,
        fetch: Fetch,
        *,
        page_size: int,
        key_of: KeyOf,
        seen: KeySet,
        stats: ReadStats,
        window_pages: int = 3,
    ) -> None:
        self._fetch = fetch
        # Each page overlaps the previous one by a row, so a page must hold two.
        self._limit = max(2, page_size)
        self._key_of = key_of
        self._seen = seen
        self._stats = stats
        self._window: OrderedDict[Hashable, int] = OrderedDict()
        self._window_size = window_pages * self._limit
        self._sequence = 0
        self._stopped = False
        self.complete = False
        self.count = 0
        self.count_trusted = True
        # Rows that appeared before our position while we read (inserts, or rows moved
        # to the front of a newest-first order): the only rows a pass can miss.
        self.arrivals = 0
        self.position = 0  # rows of the list now behind us
        self._anchor: Hashable = None
        # How many rows the server returns for a full page; learnt from the first page.
        self._cap = self._limit

    def stop(self) -> None:
        """End after the current page (the caller has read all it needs)."""
        self._stopped = True

    def pages(self) -> Iterator[PageView]:
        """Yield each page with the rows not delivered before, until the end or ``stop``."""
        position = 0  # index, in the current list, of the first row not yet read
        previous_count: int | None = None
        step_back = 0
        while not self._stopped:
            # A server that caps pages at one row leaves no room for an overlap row.
            anchored = bool(self._window) and self._cap >= 2
            request_offset = max(0, position - 1 - step_back) if anchored else position
            page = self._fetch(request_offset, self._limit)
            self._stats.requests += 1
            rows = page.rows
            keys = [self._key_of(row) for row in rows]
            last_known = self._last_known_index(keys) if anchored else None

            if anchored and last_known is None and request_offset > 0:
                # No row we just read is here: the list shifted back under us (deletes or
                # archives before our position). Step back until we overlap again;
                # nothing is delivered from this page, so nothing can be skipped.
                self._stats.step_backs += 1
                shrink = previous_count - page.count if previous_count is not None else 0
                step_back = max(step_back * 2, shrink + 1)
                previous_count = page.count
                continue
            if last_known:  # the overlap row is not first: rows arrived before our position
                self._stats.reanchors += 1
                if keys[last_known] == self._anchor and step_back == 0:
                    self.arrivals += last_known
            if previous_count is None and 0 < len(rows) < self._limit and len(rows) < page.count:
                self._cap = len(rows)  # the server caps pages below what we ask for
            step_back = 0
            previous_count = self.count = page.count

            fresh: list[Row] = []
            for row, key in zip(rows, keys, strict=True):
                if self._seen.add(key):
                    fresh.append(row)
                else:
                    self._stats.repeats_dropped += 1
            self._remember(keys)
            if keys:
                self._anchor = keys[-1]
            self._stats.rows += len(fresh)
            position = self.position = request_offset + len(rows)
            yield PageView(rows=rows, fresh=fresh, count=page.count)

            if self._is_end(rows, fresh, position, page.count):
                self.complete = True
                return

    def _is_end(self, rows: list[Row], fresh: list[Row], position: int, count: int) -> bool:
        if not rows:
            return True
        if position > count:
            # The server handed us rows beyond the total it reported.
            self.count_trusted = False
        short = len(rows) < self._cap
        if not fresh:
            # Only rows we already had. A short page means nothing lies beyond them; a
            # full one means many rows were pushed ahead of us, so keep reading.
            return short
        return short and self.count_trusted and position >= count

    def _last_known_index(self, keys: list[Hashable]) -> int | None:
        """Index in ``keys`` of the most recently read row of the window, if any."""
        best: int | None = None
        best_sequence = -1
        for index, key in enumerate(keys):
            sequence = self._window.get(key)
            if sequence is not None and sequence > best_sequence:
                best, best_sequence = index, sequence
        return best

    def _remember(self, keys: list[Hashable]) -> None:
        for key in keys:
            self._sequence += 1
            self._window[key] = self._sequence
            self._window.move_to_end(key)
        while len(self._window) > self._window_size:
            self._window.popitem(last=False)
