"""Run the selected streams together, the longest first, and survive one stream failing.

DualEntry allows 1 request/s per route but 5/s per key (the two token buckets of
``ratelimit.py``), so a run lasts at least as long as its longest stream, and
only several streams in flight use the key's whole budget. The schedule:

* every selected stream is in flight at once (at most ``max_parallel_streams``
  when that optional cap is set): the buckets, not a number of workers, decide
  how fast the run goes;
* the stream with the most work left is served first. Before a stream's first
  page its expected work is what it cost on the last run (kept in its state); a
  stream not seen before starts first, since its first page tells its size. Each
  page then tells the pacer how many requests its route still expects (``api.py``),
  and when the aggregate bucket is short the pacer hands its tokens to the route
  with the most work left. The longest stream thus never waits for a token,
  and the short ones fill every gap it leaves (it is held to its route's rate);
* line streams are written from their parent's pages, so they add no work.

Worker threads only produce; the main thread writes every message (see
output.py). A stream that fails is reported and the others finish; an
authentication failure stops everything, since every stream would fail the same
way.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tap_dualentry.errors import DualEntryError, OutputClosed, RunStoppingError
from tap_dualentry.stopping import leave_stop_signals_to_the_main_thread

if TYPE_CHECKING:
    from singer_sdk.singerlib.encoding.simple import Message

    from tap_dualentry.output import SingerOutput
    from tap_dualentry.summary import StreamReport

logger = logging.getLogger("tap-dualentry")
UNWIND_POLLS = 200  # of 0.05 s: how long a closed output waits for the workers to stop

# A stream's state keeps what its last completed run cost, for the next run's order.
LAST_RUN = "last_run"


class ScheduledStream(Protocol):
    """What the scheduler needs of a stream."""

    name: str

    @property
    def route(self) -> str:
        """The pacer's key for the stream's requests."""
        ...

    @property
    def stream_state(self) -> dict[str, Any]: ...

    def sync(self) -> None: ...

    def finalize_state_progress_markers(self) -> None: ...

    def mark_state_changed(self) -> None: ...

    def report(self) -> StreamReport: ...


class Priorities(Protocol):
    """The pacer's side of the schedule."""

    def expect(self, route: str, requests: float) -> None: ...


@dataclass(frozen=True)
class Failure:
    """A stream that did not complete, and why, in one line."""

    stream: str
    message: str
    fatal: bool = False


def expected_requests(stream: ScheduledStream) -> int | None:
    """What the stream cost on its last completed run, if it has run before."""
    last = stream.stream_state.get(LAST_RUN)
    requests = last.get("requests") if isinstance(last, dict) else None
    return requests if isinstance(requests, int) else None


def run_order(streams: Sequence[ScheduledStream]) -> list[ScheduledStream]:
    """Streams never run before first (their first page tells their size), then the
    rest by what they cost last time, most first; ties keep the catalogue's order."""
    unknown = [stream for stream in streams if expected_requests(stream) is None]
    known = [stream for stream in streams if expected_requests(stream) is not None]
    known.sort(key=lambda stream: -(expected_requests(stream) or 0))
    return unknown + known


def sync_one(stream: ScheduledStream) -> Failure | None:
    """Sync a stream to its end; turn what went wrong into a Failure."""
    try:
        stream.sync()
        report = stream.report()
        stream.stream_state[LAST_RUN] = {"rows": report.rows, "requests": report.requests}
        stream.mark_state_changed()
        stream.finalize_state_progress_markers()
    except RunStoppingError as error:
        return Failure(stream.name, str(error), fatal=True)
    except DualEntryError as error:
        logger.error("%s", error)
        return Failure(stream.name, str(error))
    except Exception as error:
        # A defect of ours, not a condition of the API: keep the traceback, at DEBUG.
        logger.debug("Stream '%s' failed", stream.name, exc_info=True)
        message = f"Stream '{stream.name}' failed unexpectedly: {type(error).__name__}: {error}"
        logger.error("%s", message)
        return Failure(stream.name, message)
    return None


def sync_streams(
    streams: Sequence[ScheduledStream],
    output: SingerOutput,
    *,
    pacer: Priorities,
    max_parallel: int | None = None,
) -> list[Failure]:
    """Sync every stream; return the failures (empty when all completed).

    ``max_parallel``: the most streams in flight at once; None, every stream.
    """
    ordered = run_order(streams)
    for stream in ordered:
        expected = expected_requests(stream)
        if expected is not None:
            pacer.expect(stream.route, expected)
    workers = len(ordered) if max_parallel is None else min(max_parallel, len(ordered))
    if workers <= 1:
        failures: list[Failure] = []
        for stream in ordered:
            failure = sync_one(stream)
            if failure is not None:
                failures.append(failure)
                if failure.fatal:
                    break
        return failures
    return _sync_parallel(ordered, output, workers)


def _sync_parallel(
    streams: Sequence[ScheduledStream], output: SingerOutput, workers: int
) -> list[Failure]:
    todo: queue.SimpleQueue[ScheduledStream] = queue.SimpleQueue()
    for stream in streams:
        todo.put(stream)
    failures: list[Failure] = []
    lock = threading.Lock()
    stop = threading.Event()

    def work() -> None:
        leave_stop_signals_to_the_main_thread()
        while not stop.is_set():
            try:
                stream = todo.get_nowait()
            except queue.Empty:
                return
            try:
                failure = sync_one(stream)
            except OutputClosed:
                stop.set()  # the main thread, which writes, has met it too
                return
            if failure is not None:
                with lock:
                    failures.append(failure)
                if failure.fatal:
                    stop.set()

    with output.parallel() as messages:
        # Daemon threads: a signal ends the run at once instead of waiting for them.
        threads = [
            threading.Thread(target=work, name=f"stream-worker-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in threads:
            thread.start()
        try:
            while True:
                try:
                    output.write_queued(messages.get(timeout=0.05))
                    continue
                except queue.Empty:
                    pass
                if not any(thread.is_alive() for thread in threads) and messages.empty():
                    break
        except OutputClosed:
            stop.set()
            _let_workers_unwind(messages, threads)
            raise
    return sorted(failures, key=lambda failure: failure.fatal, reverse=True)


def _let_workers_unwind(
    messages: queue.Queue[Message | bytes], workers: Sequence[threading.Thread]
) -> None:
    """Discard queued messages until the workers stop (each meets the closed output at
    its next message), so none stays blocked on a full queue; bounded, since a worker
    may be waiting on the API."""
    for _ in range(UNWIND_POLLS):
        if not any(worker.is_alive() for worker in workers):
            return
        with contextlib.suppress(queue.Empty):
            messages.get(timeout=0.05)
