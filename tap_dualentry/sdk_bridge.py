"""Every private member of the Singer SDK the tap relies on, behind one door.

The rest of the tap uses only the SDK's public API and the public names defined
here. Each private member below says why no public hook serves, and
``tests/test_sdk_bridge.py`` checks each one against the installed SDK, naming the
member when a release changes it. ``ruff``'s SLF001 applies everywhere else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.plugin_base import _ConfigInput
from singer_sdk.singerlib.encoding.simple import RecordMessage, SchemaMessage

from tap_dualentry.conform import OutputShape
from tap_dualentry.declared import NOTHING_ADDED, Declared

if TYPE_CHECKING:
    from types import FrameType

    from singer_sdk.helpers.types import TapState
    from singer_sdk.mapper import StreamMap


# singer_sdk.plugin_base._ConfigInput: what the SDK's --config callback returns and hands
# Tap.invoke (the files, or ENV); the SDK gives the type no public name.
ConfigInput = _ConfigInput


@runtime_checkable
class RecordWriter(Protocol):
    """A message writer that takes a record as it is, without a RecordMessage around it."""

    def write_record(self, stream: str, record: dict[str, Any], version: int | None) -> None:
        """Write the RECORD message the SDK would write for ``record``."""
        ...


class BridgedStream(Stream):
    """A stream whose records, versions and bookmarks are written by the tap's own loop.

    ``state`` is what this stream's STATE messages carry. A stream that does not
    ``write_state`` also keeps its bookkeeping in that private dict, away from the
    run's shared state, which other streams change from other threads.

    Every SCHEMA and RECORD leaves through ``conform.OutputShape`` of its stream map:
    ``decimal_text`` (set by the tap) says whether numbers are written as text.
    """

    decimal_text: Callable[[], bool] = staticmethod(lambda: False)
    declared: Declared = NOTHING_ADDED

    def __init__(
        self,
        tap: Tap,
        *,
        name: str,
        schema: dict[str, Any],
        state: TapState,
        write_state: bool,
    ) -> None:
        super().__init__(tap=tap, schema=schema, name=name)
        self._output_shapes: dict[int, tuple[StreamMap, OutputShape]] = {}
        self._dropped_reported: set[str] = set()
        self._state_view = state
        self._writes_state = write_state
        if not write_state:
            # Stream._tap_state: the dict the SDK's state manager works in. Public
            # construction always hands it the tap's shared state.
            self._tap_state = state

    @property
    def tap_state(self) -> TapState:
        """The state a STATE message from this stream carries (the writer merges it)."""
        return self._state_view

    def _write_state_message(self) -> None:
        """Stream._write_state_message: the SDK calls it from ``sync`` and
        ``finalize_state_progress_markers``, with no switch to leave a stream out."""
        if self._writes_state:
            super()._write_state_message()

    def _increment_stream_state(self, latest_record: Any, *, context: Any = None) -> None:  # noqa: ANN401
        """Stream._increment_stream_state: the SDK advances bookmarks per record, in the
        server's order; ours move only when a pass completes (see plan.py)."""
        del latest_record, context

    def mark_state_changed(self) -> None:
        """Make the SDK's end-of-sync STATE message go out: it is skipped while the
        state manager's ``is_flushed`` holds, and bookmarks set by hand do not clear it."""
        self.state_manager.is_flushed = False

    @property
    def stream_version(self) -> int | None:
        """The ``version`` every RECORD carries. Stream._stream_version has no public
        setter; the SDK sets it only where it writes ACTIVATE_VERSION first."""
        return self._stream_version

    @stream_version.setter
    def stream_version(self, version: int | None) -> None:
        self._stream_version = version

    def write_schema(self) -> None:
        """Stream._write_schema_message: SCHEMA through the stream maps and aliases,
        for streams that the SDK's ``sync`` does not run."""
        self._write_schema_message()

    def write_record(self, record: dict[str, Any]) -> None:
        """Stream._write_record_message: RECORD through the stream maps, for streams
        that the SDK's ``sync`` does not run."""
        self._write_record_message(record)

    def _write_record_message(self, record: dict[str, Any]) -> None:
        """Stream._write_record_message, which the SDK's ``sync`` calls for every record:
        with every field selected and no stream map or flattening, the record, shaped by
        ``conform``, goes straight to a writer that takes it as it is. The SDK's way (a
        RecordMessage through the map, its flattening and three layers of dispatch) cost
        more than encoding the record."""
        writer = self._record_writer
        if writer is None:
            super()._write_record_message(record)
            return
        shape = self.output_shape(self.stream_maps[0])
        writer.write_record(self._record_alias, shape(record), self._stream_version)
        self.state_manager.is_flushed = False

    @cached_property
    def _record_writer(self) -> RecordWriter | None:
        """The writer that takes records as they are, when nothing transforms them."""
        maps = self.stream_maps
        writer = self._tap.message_writer
        if (
            self._selects_every_field
            and len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and not maps[0].flattening_enabled
            and isinstance(writer, RecordWriter)
        ):
            return writer
        return None

    @cached_property
    def _record_alias(self) -> str:
        return self.stream_maps[0].stream_alias

    def write_activate_version(self, version: int) -> None:
        """Stream._write_activate_version_message: the SDK writes it only before the
        first record, where a run cut off after it leaves the target table emptied."""
        self._write_activate_version_message(version)

    @cached_property
    def _selects_every_field(self) -> bool:
        return all(self.mask.values())

    def output_shape(self, stream_map: StreamMap) -> OutputShape:
        """The shape of one stream map's output, compiled on first use."""
        shapes = self._output_shapes
        known = shapes.get(id(stream_map))
        if known is not None and known[0] is stream_map:
            return known[1]
        options = stream_map.flattening_options
        separator = options.separator if options and stream_map.flattening_enabled else None
        shape = OutputShape(
            stream_map.transformed_schema,
            decimal_text=self.decimal_text(),
            separator=separator,
            dropped=self._report_dropped,
        )
        shapes[id(stream_map)] = (stream_map, shape)
        return shape

    def _report_dropped(self, key: str) -> None:
        if key not in self._dropped_reported:
            self._dropped_reported.add(key)
            self.logger.warning(
                "Stream '%s': field '%s' has no column in the output schema and is dropped "
                "(select _unknown_fields to keep such fields)",
                self.name,
                key,
            )

    def _generate_schema_messages(self) -> Generator[SchemaMessage, None, None]:
        """Stream._generate_schema_messages, each SCHEMA as ``conform`` shapes it: the
        SDK's is what its stream maps and flattening make, with no public hook after."""
        maps = {stream_map.stream_alias: stream_map for stream_map in self.stream_maps}
        for message in super()._generate_schema_messages():
            message.schema = self.output_shape(maps[message.stream]).schema
            yield message

    def _generate_record_messages(
        self, record: dict[str, Any]
    ) -> Generator[RecordMessage, None, None]:
        """Stream._generate_record_messages, each RECORD as ``conform`` shapes it, and
        without the SDK's selection walk when no field is deselected.

        That walk visits every record, nested objects included, and cost about a tenth
        of the tap's time per record while removing nothing; type conformance is off
        (records.py shapes), so the SDK's path would do nothing else.
        """
        if not self._selects_every_field:
            maps = {stream_map.stream_alias: stream_map for stream_map in self.stream_maps}
            for message in super()._generate_record_messages(record):
                message.record = self.output_shape(maps[message.stream])(message.record)
                yield message
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=self.output_shape(stream_map)(mapped),
                    version=self._stream_version,
                    time_extracted=dt.datetime.now(dt.UTC),
                )


class BridgedTap(Tap):
    """A tap with its own config checks and its own way of stopping on a signal."""

    def review_config_errors(self, errors: list[str]) -> list[str]:
        """The SDK's JSON Schema errors, plus and reworded by the tap's own checks."""
        return errors

    def on_termination(self, signum: int) -> None:
        """SIGTERM or SIGINT arrived, in the main thread."""
        del signum

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Tap._validate_config: the SDK runs it while constructing the tap and has no
        hook for checks beyond the JSON Schema."""
        errors = self.review_config_errors(super()._validate_config(raise_errors=False))
        if errors and raise_errors:
            raise ConfigValidationError("Invalid configuration", errors=errors)
        return errors

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Tap._handle_termination: the SDK installs it for SIGTERM and SIGINT while
        constructing the tap; it writes the state and exits 0, hiding the interruption."""
        del frame
        self.on_termination(signum)
