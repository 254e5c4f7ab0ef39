"""What a stream reads this run, and what it records once a pass is read.

A run of a stream is either *full* (every partition read to its end, each RECORD
carrying one new ``version``, ACTIVATE_VERSION after the last) or *incremental*
(each partition read back to its bookmark). Bookmarks move only when a pass
completes, to the newest ``updated_at`` the pass read, so a run cut short or a
failed stream never skips a row.
"""

from __future__ import annotations

import datetime as dt
import logging
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
    full_pass_interval_days: float | None
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
        self.version: int | None = None  # of every RECORD of a full run

    def start(self, *, incremental: bool, partitions: Sequence[Partition | None]) -> None:
        """Decide, before the first pass, whether this run reads everything."""
        if self._full_run is not None:
            return
        self._full_run = self._decide_full_run(incremental, partitions)
        if self._full_run:
            self.version = int(self._clock.now().timestamp() * 1000)

    def plan(self, context: Partition | None, *, incremental: bool) -> PassPlan:
        if self._full_run or not incremental:
            return PassPlan(since=None, full=True)
        state = self._state.get_context_state(context)
        bookmark = canonical(state.get("replication_key_value"))
        since = max(filter(None, (bookmark, self._settings.start_date)), default=None)
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
        if not self._full_run:
            return None
        self._state.stream_state["last_full_pass"] = format_timestamp(self._clock.now())
        return self.version if self._settings.emit_activate_version else None

    def _decide_full_run(self, incremental: bool, partitions: Sequence[Partition | None]) -> bool:
        if not incremental:
            return True
        if self._settings.start_date:
            return False  # rows changed before start_date are not read: nothing may be retired
        if all(
            not self._state.get_context_state(c).get("replication_key_value") for c in partitions
        ):
            return True
        interval = self._settings.full_pass_interval_days
        if interval is not None:
            last = canonical(self._state.stream_state.get("last_full_pass"))
            due = self._clock.now() - dt.timedelta(days=interval)
            if last is None or parse_timestamp(last) <= due:
                self._logger.info(
                    "Stream '%s': a full pass is due (full_pass_interval_days=%s)",
                    self._name,
                    f"{interval:g}",
                )
                return True
        return False
