"""Run the selected streams, several at once, and survive one stream failing.

DualEntry allows 1 request/s per endpoint but 5/s per key, so one stream at a
time uses a fifth of the budget. Streams run in worker threads (at most
``max_parallel_streams``); only the main thread writes output (see output.py).
A stream that fails is reported and the others finish; an authentication
failure stops everything, since every stream would fail the same way.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tap_dualentry.errors import DualEntryError, OutputClosed, RunStoppingError

if TYPE_CHECKING:
    from singer_sdk import Stream
    from singer_sdk.singerlib.encoding.simple import Message

    from tap_dualentry.output import SingerOutput

logger = logging.getLogger("tap-dualentry")
UNWIND_POLLS = 200  # of 0.05 s: how long a closed output waits for the workers to stop


@dataclass(frozen=True)
class Failure:
    """A stream that did not complete, and why, in one line."""

    stream: str
    message: str
    fatal: bool = False


def sync_one(stream: Stream) -> Failure | None:
    """Sync a stream to its end; turn what went wrong into a Failure."""
    try:
        stream.sync()
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
    streams: Sequence[Stream], output: SingerOutput, max_parallel: int
) -> list[Failure]:
    """Sync every stream; return the failures (empty when all completed)."""
    if max_parallel <= 1 or len(streams) <= 1:
        failures: list[Failure] = []
        for stream in streams:
            failure = sync_one(stream)
            if failure is not None:
                failures.append(failure)
                if failure.fatal:
                    break
        return failures
    return _sync_parallel(streams, output, max_parallel)


def _sync_parallel(
    streams: Sequence[Stream], output: SingerOutput, max_parallel: int
) -> list[Failure]:
    todo: queue.SimpleQueue[Stream] = queue.SimpleQueue()
    for stream in streams:
        todo.put(stream)
    failures: list[Failure] = []
    lock = threading.Lock()
    stop = threading.Event()

    def work() -> None:
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
        workers = [
            threading.Thread(target=work, name=f"stream-worker-{n}", daemon=True)
            for n in range(min(max_parallel, len(streams)))
        ]
        for worker in workers:
            worker.start()
        try:
            while True:
                try:
                    output.write_queued(messages.get(timeout=0.05))
                    continue
                except queue.Empty:
                    pass
                if not any(worker.is_alive() for worker in workers) and messages.empty():
                    break
        except OutputClosed:
            stop.set()
            _let_workers_unwind(messages, workers)
            raise
    return sorted(failures, key=lambda failure: failure.fatal, reverse=True)


def _let_workers_unwind(
    messages: queue.Queue[Message], workers: Sequence[threading.Thread]
) -> None:
    """Discard queued messages until the workers stop (each meets the closed output at
    its next message), so none stays blocked on a full queue; bounded, since a worker
    may be waiting on the API."""
    for _ in range(UNWIND_POLLS):
        if not any(worker.is_alive() for worker in workers):
            return
        with contextlib.suppress(queue.Empty):
            messages.get(timeout=0.05)
