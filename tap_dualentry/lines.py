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

from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream

from tap_dualentry.records import RecordShaper, SchemaDrift

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context, TapState
    from singer_sdk.tap_base import Tap

    from tap_dualentry.client import DualEntryStream
    from tap_dualentry.streams import Lines


class LineStream(Stream):
    """The lines of one array field of a parent stream's rows."""

    def __init__(
        self, tap: Tap, parent: DualEntryStream, lines: Lines, schema: dict[str, Any]
    ) -> None:
        super().__init__(tap=tap, schema=schema, name=parent.endpoint.child_name(lines))
        # Set on the instance, not the class: the SDK then never syncs it on its own,
        # and does not wire it to every stream of the parent's class.
        self.parent_stream_type = type(parent)
        self.parent = parent
        self.field = lines.field
        self._parent_keys = [(key, f"parent_{key}") for key in parent.endpoint.primary_keys]
        self.primary_keys = [name for _, name in self._parent_keys] + [lines.key or "line_index"]
        self.state_partitioning_keys = []
        # Private, and never written: the SDK's own bookkeeping for a child stream would
        # otherwise copy the run's shared state while parallel streams are updating it.
        self._tap_state: TapState = {}
        self.version: int | None = None
        self.rows = 0
        self._schema_written = False

    @property
    def tap_state(self) -> TapState:
        return self._tap_state

    def _write_state_message(self) -> None:
        """Line streams keep no state: their parent's bookmark covers them."""

    @cached_property
    def shaper(self) -> RecordShaper:
        """Compiled on first use: a catalog given to the tap may narrow or retype the schema."""
        return RecordShaper(self.name, self.effective_schema, SchemaDrift(self.name, self.logger))

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
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
        if not self._schema_written:
            self._write_schema_message()  # SDK internal: honours stream maps and aliases
            self._schema_written = True
        self._stream_version = self.version
        parent_values = {name: parent_row.get(key) for key, name in self._parent_keys}
        parent_updated = parent_row.get("updated_at")
        for index, line in enumerate(lines):
            if not isinstance(line, dict):
                continue
            row = {
                **line,
                **parent_values,
                "parent_updated_at": parent_updated,
                "line_index": index,
            }
            self._write_record_message(self.shaper(row))  # SDK internal, as the SDK's own sync
            self.rows += 1

    def activate(self) -> None:
        """ACTIVATE_VERSION after the parent's complete full pass."""
        if self.selected and self.version is not None:
            if not self._schema_written:
                self._write_schema_message()
                self._schema_written = True
            self._write_activate_version_message(self.version)
