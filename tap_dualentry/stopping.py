"""The signals that stop a run, and where they are received.

SIGTERM and SIGINT end a sync on a whole line of output (see ``output.py``): the
main thread holds them while it writes a chunk. The kernel hands a process's signal
to any thread that does not block it, so every thread the tap starts blocks them
first, leaving them to the main thread.
"""

from __future__ import annotations

import signal

STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})


def leave_stop_signals_to_the_main_thread() -> None:
    """Block SIGTERM and SIGINT in the calling thread (not the main one)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
