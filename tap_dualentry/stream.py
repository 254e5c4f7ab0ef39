"""DualEntryStream: the one stream class every catalogue entry is an instance of.

A stream is its catalogue entry, a plan (``plan.py``: full or incremental, the
bookmarks, ACTIVATE_VERSION) and a pass reader (``pass_reader.py``: pages,
delivery, the count check). It chooses how to find changes from what the endpoint
really offers (``strategy.py``) and writes its line-item streams from its own pages.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable, Generator, Hashable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk import Tap
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_dualentry.api import ApiAccess, DualEntryClient
from tap_dualentry.catalogue import Endpoint
from tap_dualentry.clock import Clock
from tap_dualentry.errors import DualEntryError
from tap_dualentry.lines import LineStream
from tap_dualentry.pagination import Page, Row
from tap_dualentry.pass_reader import Delivery, PageSource, PassReader
from tap_dualentry.plan import PassPlanner, PlanSettings
from tap_dualentry.progress import describe_context
from tap_dualentry.query import Params, Query
from tap_dualentry.records import RecordShaper, SchemaDrift
from tap_dualentry.replication import REPLICATION_KEY, derive_timestamps
from tap_dualentry.sdk_bridge import BridgedStream
from tap_dualentry.settings import Settings
from tap_dualentry.strategy import ProbeMemory, Strategy, choose_strategy
from tap_dualentry.summary import StreamReport
from tap_dualentry.timestamps import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    from singer_sdk.helpers.types import TapState

Partition = Mapping[str, Any]
# Rows changed this close before the bookmark are read again by updated_after passes,
# in case the server's clock and its updated_at disagree by a little.
UPDATED_AFTER_LOOKBACK = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class SharedRun:
    """What every stream of one run shares."""

    settings: Settings
    api: ApiAccess
    clock: Clock


class DualEntryStream(BridgedStream):
    """A DualEntry list endpoint, configured by its catalogue entry."""

    # Records are shaped by RecordShaper (records.py), which converts losslessly and
    # reports drift; the SDK's conformance would do neither.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(
        self,
        tap: Tap,
        endpoint: Endpoint,
        schema: dict[str, Any],
        shared: Callable[[], SharedRun],
    ) -> None:
        # This stream's STATE carries only its own bookmarks: parallel streams then
        # never serialise each other's half-updated state, and the writer merges each
        # stream's part into the full STATE (see output.py).
        bookmarks = tap.state.setdefault("bookmarks", {})
        own: TapState = {"bookmarks": {endpoint.name: bookmarks.setdefault(endpoint.name, {})}}
        super().__init__(tap, name=endpoint.name, schema=schema, state=own, write_state=True)
        self.endpoint = endpoint
        self.primary_keys = endpoint.primary_keys
        properties = schema.get("properties", {})
        self.replication_key = (
            REPLICATION_KEY if endpoint.incremental and REPLICATION_KEY in properties else None
        )
        # Resolved on first use, so that discovery works whatever the settings say.
        self._shared = shared
        self.logger.addFilter(_quiet_known_failures)
        self.lines: list[LineStream] = []
        self.strategy: Strategy | None = None
        self._actors = "updated_by" in properties or "created_by" in properties
        self._derives = self._actors or REPLICATION_KEY in properties
        self._started_at: float | None = None
        self._finished_at: float | None = None

    def add_lines(self, line_stream: LineStream) -> None:
        """A line-item stream written from this stream's pages."""
        self.lines.append(line_stream)
        self.child_streams.append(line_stream)

    # The SDK's hooks

    @property
    def emit_activate_version_messages(self) -> bool:
        # The SDK would write ACTIVATE_VERSION before the first record, so a run cut
        # off after it leaves the target table emptied. The plan has it written after
        # the last record of a complete pass instead.
        return False

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        """One partition per configured company, so a newly added company starts fresh."""
        company_ids = self.settings.company_ids
        if self.endpoint.company_filter and company_ids:
            return [{"company_id": company} for company in company_ids]
        return None

    def generate_child_contexts(
        self, record: dict[str, Any], context: Partition | None
    ) -> list[dict[str, Any] | None]:
        """None: line streams are written from the pass itself (see lines.py), not
        synced once per parent record as the SDK would."""
        del record, context
        return []

    def get_records(self, context: Partition | None) -> Generator[dict[str, Any], None, None]:
        """Read one partition from the top; an incremental pass stops past its bookmark."""
        if self._started_at is None:
            self._started_at = self.clock.monotonic()
        if self.strategy is None:
            self.strategy = choose_strategy(
                self.endpoint,
                incremental=self.replication_key is not None,
                probe=_Probe(self, context),
                logger=self.logger,
                memory=ProbeMemory(self.stream_state.setdefault("probes", {}), self.clock.now()),
            )
        strategy = self.strategy
        incremental = self.replication_key is not None and strategy.incremental
        planner = self.planner
        declared = self.partitions
        partitions: list[Partition | None] = list(declared) if declared else [None]
        planner.start(incremental=incremental, partitions=partitions)
        for line_stream in self.lines:
            line_stream.version = planner.version
        self.stream_version = planner.version
        plan = planner.plan(context, incremental=incremental)
        params = self.query_params(context, strategy.ordering)
        if plan.since is not None and strategy.since_param:
            since = parse_timestamp(plan.since) - UPDATED_AFTER_LOOKBACK
            params.append((strategy.since_param, format_timestamp(since)))
        elif plan.since is None and strategy.start_date_param and self.settings.start_date:
            params.append((strategy.start_date_param, self.settings.start_date[:10]))
        if plan.since is not None:
            self.logger.info(
                "Stream '%s'%s: incremental pass (%s) back to %s",
                self.name,
                describe_context(context),
                strategy.describe(),
                plan.since,
            )
        newest = yield from self.reader.read(
            params,
            context,
            stop_before=plan.since if strategy.early_stop else None,
            full=plan.full,
        )
        planner.finish_pass(context, newest, self.query.signature())
        self.mark_state_changed()
        if context == partitions[-1]:
            self._finish()

    # The parts, built on first use

    @property
    def shared(self) -> SharedRun:
        return self._shared()

    @property
    def settings(self) -> Settings:
        return self.shared.settings

    @property
    def clock(self) -> Clock:
        return self.shared.clock

    @property
    def route(self) -> str:
        """The path every request of this stream goes to (the pacer's key)."""
        return self.shared.api.path(self.endpoint.path)

    @cached_property
    def client(self) -> DualEntryClient:
        return self.shared.api.client(self.name, self.logger)

    @cached_property
    def query(self) -> Query:
        return Query(self.endpoint, self.settings)

    @cached_property
    def reader(self) -> PassReader:
        api = self.shared.api
        return PassReader(
            name=self.name,
            source=PageSource(self.client, api.path(self.endpoint.path)),
            delivery=Delivery(
                # Compiled now, not at construction: a catalog given to the tap may
                # narrow or retype the schema.
                shape=RecordShaper(
                    self.name, self.effective_schema, SchemaDrift(self.name, self.logger)
                ),
                derive=self.derive,
                key_of=self.key_of,
                tag_company=self.endpoint.company_from_filter,
                line_writers=[line_stream.write_lines for line_stream in self.lines],
            ),
            page_size=self.settings.page_size,
            request_interval=api.pacer.expected_interval(),
            clock=self.clock,
            logger=self.logger,
        )

    @cached_property
    def planner(self) -> PassPlanner:
        settings = self.settings
        return PassPlanner(
            name=self.name,
            replication_key=self.replication_key,
            state=self,
            settings=PlanSettings(
                start_date=settings.start_date,
                full_pass_interval_days=settings.full_pass_interval_days,
                emit_activate_version=settings.emit_activate_version_messages,
            ),
            clock=self.clock,
            logger=self.logger,
        )

    # Rows

    def query_params(self, context: Partition | None, ordering: str | None) -> Params:
        company = context.get("company_id") if context else None
        return self.query.params(company, ordering)

    def derive(self, row: Row) -> None:
        """Give a raw row its canonical top-level ``updated_at`` (and ``created_at``)."""
        if self._derives:
            derive_timestamps(row, actors=self._actors)

    def key_of(self, row: Mapping[str, Any]) -> Hashable:
        keys = self.endpoint.primary_keys
        if len(keys) == 1:
            return row.get(keys[0])
        return tuple(row.get(name) for name in keys)

    # The end of the run

    def _finish(self) -> None:
        self._finished_at = self.clock.monotonic()
        version = self.planner.finish_stream()
        if version is None:
            return
        # After the last record of a complete pass, never before: targets apply
        # ACTIVATE_VERSION at once.
        if self.selected:
            self.write_activate_version(version)
        for line_stream in self.lines:
            line_stream.activate()

    def report(self) -> StreamReport:
        """This run's figures, for the summary."""
        stats = self.client.stats
        started = self._started_at
        seconds = 0.0 if started is None else (self._finished_at or started) - started
        return StreamReport(
            name=self.name,
            rows=self.reader.rows_delivered,
            requests=stats.requests,
            retries=stats.retries,
            rate_limited=stats.rate_limited,
            seconds=seconds,
        )


class _Probe:
    """What the strategy probes may do: the first partition's query, its pages, and
    the derived timestamps of a row."""

    def __init__(self, stream: DualEntryStream, context: Partition | None) -> None:
        self._stream = stream
        self._context = context

    def params(self, ordering: str | None) -> Params:
        return self._stream.query_params(self._context, ordering)

    def peek(self, params: Params) -> Page:
        return self._stream.reader.peek(params)

    def first_page(self, params: Params) -> Page:
        return self._stream.reader.first_page(params)

    def derive(self, row: Row) -> None:
        self._stream.derive(row)


def _quiet_known_failures(record: logging.LogRecord) -> bool:
    """Drop the SDK's generic "unhandled error" line when the error is one of ours:
    our own message already says what went wrong and what to do, in one line."""
    if record.msg == "An unhandled error occurred while syncing '%s'":
        return not isinstance(sys.exc_info()[1], DualEntryError)
    return True
