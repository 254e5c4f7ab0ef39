"""What a stream reads this run, and what it records once a pass is read.

A run of a stream is either *full* (every partition read to its end, each RECORD
carrying one new ``version``, ACTIVATE_VERSION after the last) or *incremental*
(each partition read back to its bookmark, less a lookback). Bookmarks move only
when a pass completes, to the newest ``updated_at`` the pass read, so a run cut
short or a failed stream never skips a row.

Reconciliation: an incremental stream is read in full again at least every
``full_pass_interval_days``, since values can change without a timestamp and rows
can be deleted. Each stream has its own slot in that interval (a stable hash of its
name), so a week's full passes are spread over the week rather than due at once; a
stream is also due whenever its last full pass is older than the whole interval.
A pass narrowed by ``start_date`` never retires rows: it did not read them all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tap_dualentry.clock import Clock
from tap_dualentry.timestamps import canonical, format_timestamp, parse_timestamp

Partition = Mapping[str, Any]


@dataclass(frozen=True)
class PassPlan:
    """How one partition is read this run."""

    since: str | None  # canonical updated_at the pass must reach back to; None: everything
    full: bool  # a complete pass over everything the filters select


class StreamState(Protocol):
    """The part of a stream's state the plan reads and writes."""

    @property
    def stream_state(self) -> dict[str, Any]: ...

    def get_context_state(self, context: Partition | None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class PlanSettings:
    """The settings that decide how a stream is planned."""

    start_date: str | None
    full_pass_interval_days: float
    reconciliation: bool
    lookback_minutes: float
    emit_activate_version: bool


class PassPlanner:
    """Decides once per run whether a stream is read in full, plans each partition's
    pass, and records what each completed pass read."""

    def __init__(
        self,
        *,
        name: str,
        replication_key: str | None,
        state: StreamState,
        settings: PlanSettings,
        clock: Clock,
        logger: logging.Logger,
    ) -> None:
        self._name = name
        self._replication_key = replication_key
        self._state = state
        self._settings = settings
        self._clock = clock
        self._logger = logger
        self._full_run: bool | None = None
        self._narrowed = False
        self._held = False
        self.version: int | None = None  # of every RECORD of a run that may retire rows

    def start(
        self, *, incremental: bool, narrowed: bool, partitions: Sequence[Partition | None]
    ) -> None:
        """Decide, before the first pass, whether this run reads everything.

        ``narrowed``: a date filter (``start_date``) bounds what the passes read.
        """
        if self._full_run is not None:
            return
        self._narrowed = narrowed
        self._full_run = self._decide_full_run(incremental, partitions)
        if self._full_run and not narrowed:
            self.version = int(self._clock.now().timestamp() * 1000)

    @property
    def full_run(self) -> bool:
        """Whether this run reads every partition in full (decided by ``start``)."""
        return bool(self._full_run)

    def hold(self) -> None:
        """This full run cannot vouch that it saw every row (one moved between its
        passes): retire nothing, and leave reconciliation due."""
        self._held = True

    def plan(self, context: Partition | None, *, incremental: bool) -> PassPlan:
        start_date = self._settings.start_date
        if not incremental:
            return PassPlan(since=None, full=True)
        if self._full_run:
            return PassPlan(since=start_date, full=start_date is None)
        state = self._state.get_context_state(context)
        bookmark = canonical(state.get("replication_key_value"))
        if bookmark is not None:
            lookback = dt.timedelta(minutes=self._settings.lookback_minutes)
            bookmark = format_timestamp(parse_timestamp(bookmark) - lookback)
        since = max(filter(None, (bookmark, start_date)), default=None)
        return PassPlan(since=since, full=since is None)

    def finish_pass(
        self, context: Partition | None, newest: str | None, filters: dict[str, list[str]]
    ) -> None:
        """The partition was read to its end (or past its bookmark): record how far."""
        if not self._replication_key:
            return
        state = self._state.get_context_state(context)
        previous = canonical(state.get("replication_key_value"))
        value = max(filter(None, (previous, newest)), default=None)
        if value is not None:
            state["replication_key"] = self._replication_key
            state["replication_key_value"] = value
        self._state.stream_state["filters"] = filters

    def finish_stream(self) -> int | None:
        """Every partition is read: the version to activate, if this run read everything."""
        if not self._full_run or self._held:
            return None
        self._state.stream_state["last_full_pass"] = format_timestamp(self._clock.now())
        if self._narrowed or not self._settings.emit_activate_version:
            return None
        return self.version

    def _decide_full_run(self, incremental: bool, partitions: Sequence[Partition | None]) -> bool:
        if not incremental:
            return True
        if all(
            not self._state.get_context_state(c).get("replication_key_value") for c in partitions
        ):
            return True
        if not self._settings.reconciliation:
            return False
        last = canonical(self._state.stream_state.get("last_full_pass"))
        if not self._reconciliation_due(last):
            return False
        self._logger.info(
            "Stream '%s': reconciliation: every row is read again (last full pass %s; "
            "full_pass_interval_days=%s)",
            self._name,
            last or "never",
            f"{self._settings.full_pass_interval_days:g}",
        )
        return True

    def _reconciliation_due(self, last: str | None) -> bool:
        interval = self._settings.full_pass_interval_days * 86400.0
        now = self._clock.now().timestamp()
        if last is None or interval == 0 or parse_timestamp(last).timestamp() > now:
            return True  # never, every run, or a clock that went back: read everything
        age = now - parse_timestamp(last).timestamp()
        # This stream's slot: the latest moment at its own phase of the interval. A full
        # pass made before it is due again there, unless it is younger than a seventh of
        # the interval (a first sync just made, a run that straddles the slot). The slot
        # is never more than an interval ago, so no full pass is ever older than that.
        phase = stable_fraction(self._name) * interval
        slot = math.floor((now - phase) / interval) * interval + phase
        return age >= interval / 7 and now - age < slot


def stable_fraction(name: str) -> float:
    """A number in [0, 1) fixed by ``name``: the stream's phase in the interval."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
