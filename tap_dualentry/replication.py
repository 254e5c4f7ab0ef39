"""Incremental replication over newest-first lists without a change filter.

Most DualEntry list items carry no top-level ``updated_at``; their time lives in
the optional ``updated_by`` / ``created_by`` actor objects. The tap derives
top-level ``updated_at`` / ``created_at`` in canonical UTC and uses ``updated_at``
as the replication key, reading ``-updated_at`` pages until it is past the
bookmark. The server sorts by its own hidden column, which the derived value
usually equals but need not (system edits, rows with no visible timestamp):
rows are therefore never filtered by their derived time, only the decision to
stop looks at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tap_dualentry.timestamps import canonical

REPLICATION_KEY = "updated_at"


def derive_timestamps(row: dict[str, Any], *, actors: bool) -> None:
    """Set a canonical top-level ``updated_at`` (and ``created_at``) on a row in place.

    A top-level ``updated_at`` sent by the API wins; otherwise, for items with actor
    objects, ``updated_by.timestamp`` falling back to ``created_by.timestamp``; for
    items with neither (approval actions, which never change), ``created_at``.
    """
    top_level = canonical(row.get("updated_at"))
    if not actors:
        if "updated_at" in row:
            row["updated_at"] = top_level
        elif "created_at" in row:
            row["updated_at"] = canonical(row["created_at"])
        return
    created_by, updated_by = row.get("created_by"), row.get("updated_by")
    created_raw = created_by.get("timestamp") if isinstance(created_by, dict) else None
    updated_raw = updated_by.get("timestamp") if isinstance(updated_by, dict) else None
    created = canonical(created_raw)
    if top_level is None:
        # A row never edited shows one time twice: worked out once.
        updated = created if updated_raw == created_raw else canonical(updated_raw)
        top_level = updated or created
    row["updated_at"] = top_level
    given = row.get("created_at")
    row["created_at"] = (canonical(given) or given) if given else created


class PastBookmark:
    """Decides when a newest-first pass has gone past its bookmark.

    The pass may stop once ``OLD_ROWS_TO_STOP`` consecutive timestamped rows (in the
    server's order, across pages) are older than the bookmark. One old-looking row
    is not enough: a row whose hidden sort key moved without its visible timestamp
    (a system edit) sits among newer ones, and stopping at it would skip the real
    edits behind it. Rows equal to the bookmark are delivered again and restart
    the count (ties may straddle pages); rows without a timestamp are skipped, so
    they never hold a pass open.
    """

    OLD_ROWS_TO_STOP = 20

    def __init__(self, bookmark: str) -> None:
        self.bookmark = bookmark
        self._old_in_a_row = 0

    def passed(self, rows: Iterable[Mapping[str, Any]]) -> bool:
        """Feed the next rows in server order; True once the pass may stop."""
        return any(self.observe(row) for row in rows)

    def observe(self, row: Mapping[str, Any]) -> bool:
        """Feed one row in server order; True once the pass may stop after it."""
        value = row.get("updated_at")
        if value is not None:
            self._old_in_a_row = self._old_in_a_row + 1 if str(value) < self.bookmark else 0
        return self._old_in_a_row >= self.OLD_ROWS_TO_STOP
