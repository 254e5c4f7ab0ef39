"""Singer message output: one writer, whole lines, never a bookmark ahead of its rows.

* msgspec encoding (decimals as exact JSON numbers), buffered here (stdout may
  be unbuffered: PYTHONUNBUFFERED made every record a system call), written in
  whole lines that no signal splits, flushed after STATE and ACTIVATE_VERSION,
  instead of the SDK's flush after every message;
* each stream keeps its own bookmarks (see ``stream.DualEntryStream``),
  so a STATE message from a stream carries only its part; the writer merges the
  parts into the run's full state and always writes the whole of it, leaving out
  the empty bookmarks of streams that were not synced;
* a target that stops reading (a closed pipe) ends the run with ``OutputClosed``;
* while streams run in parallel, worker threads only enqueue (STATE snapshots
  are copied at that moment) and the main thread writes everything, so lines
  never interleave and a stream's STATE always follows its own records.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import queue
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

import msgspec
from singer_sdk.singerlib.encoding.base import GenericSingerWriter, SingerMessageType
from singer_sdk.singerlib.encoding.simple import Message, StateMessage

from tap_dualentry.errors import OutputClosed
from tap_dualentry.records import PlainDecimal
from tap_dualentry.stopping import STOP_SIGNALS

_FLUSHING = {SingerMessageType.STATE, SingerMessageType.ACTIVATE_VERSION}
QUEUE_SIZE = 2000  # messages; bounds memory when the target reads slower than we fetch
BUFFER_BYTES = 1 << 16  # output held before it is written


def _encode_other(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, PlainDecimal):
        return msgspec.Raw(format(value, "f").encode())
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


_encoder = msgspec.json.Encoder(enc_hook=_encode_other, decimal_format="number")


class SingerOutput(GenericSingerWriter[bytes, Message]):
    """The tap's message writer (``Tap.message_writer_class``)."""

    def __init__(self, stream: IO[bytes] | None = None) -> None:
        super().__init__()
        self._stream = stream
        self.closed = False  # the target stopped reading: nothing more can be written
        self._state: dict[str, Any] = {}
        self._queue: queue.Queue[Message | bytes] | None = None  # bytes: an encoded line
        self._pending = bytearray()  # whole lines not yet written
        self._writer_thread: threading.Thread | None = None

    @property
    def _out(self) -> IO[bytes]:
        # Resolved per call so that harnesses which swap sys.stdout are honoured.
        return self._stream or sys.stdout.buffer

    @property
    def state(self) -> dict[str, Any]:
        """The full state as last written."""
        return self._state

    def serialize_message(self, message: Message) -> bytes:
        return _encoder.encode(message.to_dict()) + b"\n"

    def write_message(self, message: Message) -> None:
        if self.closed:
            raise OutputClosed
        pending = self._queue
        if pending is not None and threading.current_thread() is not self._writer_thread:
            if isinstance(message, StateMessage):
                message = StateMessage(value=copy.deepcopy(dict(message.value)))
            pending.put(message)
            return
        self._write(message)

    def write_record(self, stream: str, record: dict[str, Any], version: int | None) -> None:
        """A RECORD message, encoded at once: byte for byte what a RecordMessage of the
        same record gives, without building one (see ``sdk_bridge.RecordWriter``)."""
        if self.closed:
            raise OutputClosed
        message: dict[str, Any] = {"type": "RECORD", "stream": stream, "record": record}
        if version is not None:
            message["version"] = version
        message["time_extracted"] = dt.datetime.now(dt.UTC)
        line = _encoder.encode(message) + b"\n"
        pending = self._queue
        if pending is not None and threading.current_thread() is not self._writer_thread:
            pending.put(line)
            return
        self._emit(line)

    def _write(self, message: Message) -> None:
        if isinstance(message, StateMessage):
            message = StateMessage(value=self._merge(message.value))
        self._emit(self.serialize_message(message))
        if message.type in _FLUSHING:
            self.flush()

    def _emit(self, lines: bytes) -> None:
        self._pending += lines
        if len(self._pending) >= BUFFER_BYTES:
            self._drain()

    def _drain(self) -> None:
        """Write the lines held, all of them: SIGTERM and SIGINT wait meanwhile (they
        are handled at once afterwards), so an interrupted run ends on a whole line."""
        if not self._pending:
            return
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            view = memoryview(bytes(self._pending))
            self._pending.clear()
            out = self._out
            with self._closing_on_broken_pipe():
                while view:
                    written = out.write(view)
                    view = view[len(view) if written is None else written :]
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def _merge(self, part: Mapping[str, Any]) -> dict[str, Any]:
        for key, value in part.items():
            if key == "bookmarks" and isinstance(value, Mapping):
                bookmarks = self._state.setdefault("bookmarks", {})
                for stream, stream_state in value.items():
                    if stream_state:
                        bookmarks[stream] = copy.deepcopy(stream_state)
                    else:
                        # A stream not synced (or not yet): no bookmark, not an empty one.
                        bookmarks.pop(stream, None)
            else:
                self._state[key] = copy.deepcopy(value)
        return self._state

    def flush(self) -> None:
        self._drain()
        with self._closing_on_broken_pipe():
            self._out.flush()

    @contextmanager
    def _closing_on_broken_pipe(self) -> Iterator[None]:
        """A write the target no longer reads ends the run (``OutputClosed``).

        Standard output is pointed at the null device, so the interpreter's last flush
        of what is still buffered neither fails nor prints a traceback.
        """
        try:
            yield
        except BrokenPipeError:
            self.closed = True
            if self._stream is None:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)
            raise OutputClosed from None

    @contextmanager
    def parallel(self) -> Iterator[queue.Queue[Message | bytes]]:
        """Route other threads' messages through a bounded queue the caller drains.

        Left by an exception (an interruption), the queue stays in place undrained:
        the messages other threads queued are never written, so nothing they write
        later (a STATE) may be written either.
        """
        self._queue = queue.Queue(maxsize=QUEUE_SIZE)
        self._writer_thread = threading.current_thread()
        yield self._queue
        self._queue = None
        self._writer_thread = None

    def write_queued(self, message: Message | bytes) -> None:
        """Write a message taken from the queue (writer thread only)."""
        if isinstance(message, bytes):
            self._emit(message)
        else:
            self._write(message)
