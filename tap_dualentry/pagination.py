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

The reader is the only owner of offsets: it also sends its own next request ahead
(``ReadAhead``) while the caller works on the page in hand. The SDK's paginator
machinery cannot express any of this (it stops on offset 0 and rejects a repeated
offset), so the reader owns its loop.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from tap_dualentry.stopping import leave_stop_signals_to_the_main_thread

Row = dict[str, Any]
T = TypeVar("T")

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
        if type(key) is int and (0 <= key - self._base < len(self._bits) * 8 or self._fit(key)):
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
    """One response: rows in the server's order and the total it reported."""

    rows: list[Row]
    count: int


@dataclass
class PageView:
    """What the reader hands to its caller for each page."""

    rows: list[Row]  # every row of the response, in the server's order
    fresh: list[Row]  # the rows not delivered before in this pass, in order
    count: int


Fetch = Callable[[int, int], Page]
KeyOf = Callable[[Row], Hashable]


class ListReader:
    """Reads one ordered list from the top, page by page, without gaps.

    Iterate ``pages()``; call ``stop()`` from the loop to end early (incremental
    passes). After the loop, ``complete`` tells whether the end of the list was
    reached and ``count`` is the last total the server reported. With a
    ``read_ahead``, each next request is sent as soon as the page before it is in.
    """

    def __init__(
        self,
        fetch: Fetch,
        *,
        page_size: int,
        key_of: KeyOf,
        seen: KeySet,
        read_ahead: ReadAhead[Page] | None = None,
        window_pages: int = 3,
    ) -> None:
        self._fetch = fetch
        self._limit = self.limit_for(page_size)
        self._key_of = key_of
        self._seen = seen
        self._ahead = read_ahead
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

    @staticmethod
    def limit_for(page_size: int) -> int:
        """The ``limit`` of every request: each page overlaps the one before by a row,
        so a page must hold two."""
        return max(2, page_size)

    def stop(self) -> None:
        """End after the current page (the caller has read all it needs)."""
        self._stopped = True

    def pages(self) -> Iterator[PageView]:
        """Yield each page with the rows not delivered before, until the end or ``stop``."""
        position = 0  # index, in the current list, of the first row not yet read
        previous_count: int | None = None
        step_back = 0
        while not self._stopped:
            anchored = self._anchored()
            request_offset = self._offset(position, step_back)
            page = self._request(request_offset)
            rows = page.rows
            keys = [self._key_of(row) for row in rows]
            last_known = self._last_known_index(keys) if anchored else None

            if anchored and last_known is None and request_offset > 0:
                # No row we just read is here: the list shifted back under us (deletes or
                # archives before our position). Step back until we overlap again;
                # nothing is delivered from this page, so nothing can be skipped.
                shrink = previous_count - page.count if previous_count is not None else 0
                step_back = max(step_back * 2, shrink + 1)
                previous_count = page.count
                continue
            if last_known and keys[last_known] == self._anchor and step_back == 0:
                # The overlap row is not first: rows arrived before our position.
                self.arrivals += last_known
            if previous_count is None and 0 < len(rows) < self._limit and len(rows) < page.count:
                self._cap = len(rows)  # the server caps pages below what we ask for
            step_back = 0
            previous_count = self.count = page.count

            fresh = [row for row, key in zip(rows, keys, strict=True) if self._seen.add(key)]
            self._remember(keys)
            if keys:
                self._anchor = keys[-1]
            position = self.position = request_offset + len(rows)
            end = self._is_end(rows, fresh, position, page.count)
            if not end and self._ahead is not None:
                following = self._offset(position, 0)
                self._ahead.start(following, partial(self._fetch, following, self._limit))
            yield PageView(rows=rows, fresh=fresh, count=page.count)
            if end:
                self.complete = True
                return

    def _anchored(self) -> bool:
        # A server that caps pages at one row leaves no room for an overlap row.
        return bool(self._window) and self._cap >= 2

    def _offset(self, position: int, step_back: int) -> int:
        """Where the next request starts: one row before ``position`` when anchored."""
        return max(0, position - 1 - step_back) if self._anchored() else position

    def _request(self, offset: int) -> Page:
        ahead = self._ahead.take(offset) if self._ahead is not None else None
        return ahead if ahead is not None else self._fetch(offset, self._limit)

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


class ReadAhead(Generic[T]):
    """A reader's next request, sent while the tap still works on the page before it.

    The next request is known the moment a page arrives. Sending it then, from a
    helper thread, overlaps the API's latency with the shaping and writing of the page
    in hand, so a stream's pace is the slower of the two rather than their sum. There
    is never more than one request in flight: a guess the reader does not take is
    waited for and dropped.
    """

    def __init__(self) -> None:
        self._todo: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._done = threading.Event()
        self._key: Hashable = None
        self._result: T | None = None
        self._error: Exception | None = None
        self._pending = False
        # One long-lived thread, so the API client's per-thread session (and its
        # connection) is reused. A daemon: an interrupted run must not wait for it.
        threading.Thread(target=self._work, name="read-ahead", daemon=True).start()

    def _work(self) -> None:
        leave_stop_signals_to_the_main_thread()
        while (job := self._todo.get()) is not None:
            job()

    def start(self, key: Hashable, call: Callable[[], T]) -> None:
        """Send ``call`` now; ``take(key)`` collects its answer."""
        self.take(None)  # at most one request in flight

        def job() -> None:
            try:
                self._result = call()
            except Exception as error:  # handed to the reader by take()
                self._error = error
            self._done.set()

        self._key, self._result, self._error = key, None, None
        self._done.clear()
        self._pending = True
        self._todo.put(job)

    def take(self, key: Hashable) -> T | None:
        """The answer to the request sent ahead if it was ``key`` (else None, dropped)."""
        if not self._pending:
            return None
        self._done.wait()
        self._pending = False
        result, error = self._result, self._error
        self._result = self._error = None
        if key is None or key != self._key:
            return None
        if error is not None:
            raise error
        return result

    def close(self) -> None:
        """Drop any request still ahead, without waiting for it, and end the helper."""
        self._pending = False
        self._todo.put(None)
