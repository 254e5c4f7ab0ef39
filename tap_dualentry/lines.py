"""Line-item child streams, written from their parent's pages (no requests of their own).

A document's lines (invoice items, bill expenses, journal entry lines, ...) stay
nested in the parent record and are also offered as a stream of their own, one
row per line, keyed by the parent's key and the line's id (or its position where
lines have no id). Every line carries its parent's ``updated_at``: when an edited
document is sent again, lines whose ``parent_updated_at`` is older than their
parent's current ``updated_at`` were removed from it and can be deleted
downstream. Line streams keep no state of their own.

The SDK would sync a child stream once per parent record, writing a SCHEMA
message and a log line each time; these streams are written straight from the
parent's loop instead, their SCHEMA once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

from singer_sdk import Stream, Tap

from tap_dualentry.catalogue import Lines
from tap_dualentry.declared import Shaper
from tap_dualentry.records import RecordShaper, SchemaDrift
from tap_dualentry.sdk_bridge import BridgedStream
from tap_dualentry.summary import StreamReport


class LineStream(BridgedStream):
    """The lines of one array field of a parent stream's rows."""

    def __init__(
        self,
        tap: Tap,
        *,
        name: str,
        parent_type: type[Stream],
        parent_keys: Sequence[str],
        lines: Lines,
        schema: dict[str, Any],
    ) -> None:
        # A private state, never written: the parent's bookmark covers its lines.
        super().__init__(tap, name=name, schema=schema, state={}, write_state=False)
        # Set on the instance, not the class: the SDK then never syncs it on its own,
        # and does not wire it to every stream of the parent's class.
        self.parent_stream_type = parent_type
        self.field = lines.field
        self._parent_keys = [(key, f"parent_{key}") for key in parent_keys]
        self._line_key = lines.key
        self.primary_keys = [name for _, name in self._parent_keys] + [lines.key or "line_index"]
        self.state_partitioning_keys = []
        self.version: int | None = None
        self.rows_written = 0
        self._schema_written = False

    @cached_property
    def shaper(self) -> Shaper:
        """Compiled on first use: a catalog given to the tap may narrow or retype the schema."""
        return self.declared.shaper(
            RecordShaper(self.name, self.effective_schema, SchemaDrift(self.name, self.logger))
        )

    def get_records(self, context: Mapping[str, Any] | None) -> Iterable[dict[str, Any]]:
        """Lines only come from the parent's pages."""
        del context
        return ()

    def write_lines(self, parent_row: dict[str, Any]) -> None:
        """Write the lines of one parent row, if this stream is selected."""
        if not self.selected:
            return
        lines = parent_row.get(self.field)
        if not lines:
            return
        self._ensure_schema()
        self.stream_version = self.version
        parent_values = {name: parent_row.get(key) for key, name in self._parent_keys}
        parent_updated = parent_row.get("updated_at")
        written: set[Any] = set()
        for index, line in enumerate(lines):
            if not isinstance(line, dict):
                continue
            key = line.get(self._line_key) if self._line_key else None
            if key is not None:
                if key in written:
                    continue  # the same line listed twice: one row downstream
                written.add(key)
            row = {
                **line,
                **parent_values,
                "parent_updated_at": parent_updated,
                "line_index": index,
            }
            self.write_record(self.shaper(row))
            self.rows_written += 1

    def activate(self) -> None:
        """ACTIVATE_VERSION after the parent's complete full pass."""
        if self.selected and self.version is not None:
            self._ensure_schema()
            self.write_activate_version(self.version)

    def report(self) -> StreamReport:
        """This run's figures for the summary: rows only, its parent made the requests."""
        return StreamReport(
            name=self.name,
            rows=self.rows_written,
            requests=0,
            retries=0,
            rate_limited=0,
            seconds=0.0,
            lines=True,
        )

    def _ensure_schema(self) -> None:
        if not self._schema_written:
            self.write_schema()
            self._schema_written = True
