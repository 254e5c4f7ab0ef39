"""DualEntryStream: the one stream class every catalogue entry is an instance of.

A stream is its catalogue entry, a plan (``plan.py``: full or incremental, the
bookmarks, ACTIVATE_VERSION) and a pass reader (``pass_reader.py``: pages,
delivery, the count check). It chooses how to find changes from what the endpoint
really offers (``strategy.py``) and writes its line-item streams from its own pages.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Generator, Hashable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk import Tap
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_dualentry.api import ApiAccess, DualEntryClient
from tap_dualentry.catalogue import Endpoint
from tap_dualentry.clock import Clock
from tap_dualentry.errors import BadRequestError, DualEntryError
from tap_dualentry.lines import LineStream
from tap_dualentry.pagination import KeySet, Page, Row
from tap_dualentry.pass_reader import Delivery, Include, PageSource, PassReader
from tap_dualentry.plan import PassPlan, PassPlanner, PlanSettings
from tap_dualentry.progress import describe_context
from tap_dualentry.query import Params, Query
from tap_dualentry.records import RecordShaper, SchemaDrift
from tap_dualentry.replication import REPLICATION_KEY, derive_timestamps
from tap_dualentry.sdk_bridge import BridgedStream
from tap_dualentry.settings import Settings
from tap_dualentry.strategy import ProbeMemory, Strategy, choose_strategy
from tap_dualentry.summary import StreamReport

if TYPE_CHECKING:
    from singer_sdk.helpers.types import TapState

Partition = Mapping[str, Any]


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
        # The keys this run delivered, by partition group (the partition less its record
        # status): a row that changes partition between two passes is found by them.
        self._delivered: dict[tuple[tuple[str, Any], ...], KeySet] = {}

    def adopt_state(self) -> None:
        """A loaded state under this run's settings: bookmarks whose filters changed are
        reset (the rows the new filters include are read in full), and bookmarks of passes
        this run does not make (a company no longer configured, a state from before a
        stream was partitioned) are forgotten, so they never come back stale."""
        state = self.stream_state
        partitions = self.partitions
        stored = state.get("filters")
        current = self.query.signature()
        if stored is not None and stored != current:
            self.logger.warning(
                "Stream '%s': its filters changed since the last run (%s, was %s); the "
                "bookmark is reset so the rows they now include are read in full",
                self.name,
                current,
                stored,
            )
            for part in [state, *state.get("partitions", [])]:
                part.pop("replication_key_value", None)
                part.pop("replication_key", None)
            state.pop("filters", None)
        if partitions:
            state.pop("replication_key_value", None)
            state.pop("replication_key", None)
        if "partitions" in state:
            kept = [p for p in state["partitions"] if partitions and p.get("context") in partitions]
            if kept:
                state["partitions"] = kept
            else:
                del state["partitions"]

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
        """Passes with bookmarks of their own: per company, per status (see query.py)."""
        return self.query.partitions()

    def generate_child_contexts(
        self, record: dict[str, Any], context: Partition | None
    ) -> list[dict[str, Any] | None]:
        """None: line streams are written from the pass itself (see lines.py), not
        synced once per parent record as the SDK would."""
        del record, context
        return []

    def get_records(self, context: Partition | None) -> Generator[dict[str, Any], None, None]:
        """Read one partition from the top; an incremental pass stops past its bookmark."""
        plan, extra = self._start_pass(context)
        while True:
            strategy = self._strategy(context)
            delivered = self.reader.rows_delivered
            try:
                newest = yield from self.reader.read(
                    [*self.query_params(context, strategy.ordering), *extra],
                    context,
                    stop_before=plan.since if strategy.early_stop else None,
                    full=plan.full,
                    delivered=self._delivered.setdefault(_group(context), KeySet()),
                    include=self._include(context),
                )
                break
            except BadRequestError as error:
                if not self._fall_back(strategy, error, self.reader.rows_delivered - delivered):
                    raise
        self.planner.finish_pass(context, newest, self.query.signature())
        self.mark_state_changed()
        declared = self.partitions
        partitions: list[Partition | None] = list(declared) if declared else [None]
        if self.planner.full_run and self._closes_group(context, partitions):
            self._check_statuses(context)
        if context == partitions[-1]:
            self._finish()

    def _strategy(self, context: Partition | None) -> Strategy:
        """How this run finds changes, chosen by the first partition's probes."""
        if self.strategy is None:
            self.strategy = choose_strategy(
                self.endpoint,
                incremental=self.replication_key is not None,
                probe=_StrategyProbe(self, context),
                logger=self.logger,
                memory=self._probe_memory(),
            )
        return self.strategy

    def _probe_memory(self) -> ProbeMemory:
        state = self.stream_state
        if not isinstance(state.get("probes"), dict):
            state["probes"] = {}  # none yet, or not one this tap wrote
        api = self.shared.api
        return ProbeMemory(state["probes"], self.clock.now(), f"{api.api_url} {api.api_version}")

    def _start_pass(self, context: Partition | None) -> tuple[PassPlan, Params]:
        """The plan of one partition's pass, and the change or date filter it sends."""
        if self._started_at is None:
            self._started_at = self.clock.monotonic()
        strategy = self._strategy(context)
        incremental = self.replication_key is not None and strategy.incremental
        start_date = self.settings.start_date
        planner = self.planner
        declared = self.partitions
        planner.start(
            incremental=incremental,
            narrowed=bool(start_date) and (incremental or strategy.start_date_param is not None),
            partitions=list(declared) if declared else [None],
        )
        for line_stream in self.lines:
            line_stream.version = planner.version
        self.stream_version = planner.version
        plan = planner.plan(context, incremental=incremental)
        extra: Params = []
        if plan.since is not None and strategy.since_param:
            extra.append((strategy.since_param, plan.since))
        elif plan.since is None and strategy.start_date_param and start_date:
            extra.append((strategy.start_date_param, start_date[:10]))
        if plan.since is not None:
            self.logger.info(
                "Stream '%s'%s: incremental pass (%s) back to %s",
                self.name,
                describe_context(context),
                strategy.describe(),
                plan.since,
            )
        return plan, extra

    def _include(self, context: Partition | None) -> Include | None:
        """With company_ids set, the rows each company pass and the no-company pass
        deliver: each row once, whichever way the server's company filter answers, and a
        row that moved to a configured company during the run still once."""
        if not self.endpoint.unassigned_rows or not context or "company_id" not in context:
            return None
        if context["company_id"] is not None:
            return lambda row, key: row.get("company_id") is not None
        companies = set(self.settings.company_ids)
        earlier = list(self._delivered.values())

        def unassigned_or_missed(row: Row, key: Hashable) -> bool:
            company = row.get("company_id")
            if company is None:
                return True
            return company in companies and not any(key in keys for keys in earlier)

        return unassigned_or_missed

    def _closes_group(self, context: Partition | None, partitions: list[Partition | None]) -> bool:
        """Whether ``context`` is the last status pass of its company's group."""
        if not self.endpoint.status_from_filter or not context:
            return False
        later = partitions[partitions.index(context) + 1 :]
        return all(_group(p) != _group(context) for p in later)

    def _check_statuses(self, context: Partition | None) -> None:
        """A full run read each record status in a pass of its own. A row whose status
        moved back to an earlier pass's status between the passes was read by neither: one
        request counts the group's rows over every status, and a shortfall holds back
        ACTIVATE_VERSION rather than retire a live row."""
        group = dict(_group(context))
        total = self.reader.peek(self.query.params(group, None)).count
        delivered = len(self._delivered.get(_group(context), KeySet()))
        if total <= delivered:
            return
        self.logger.warning(
            "Stream '%s'%s: %d rows changed record status during the full pass; nothing "
            "is retired this run and the next run reads everything again",
            self.name,
            describe_context(group),
            total - delivered,
        )
        self.planner.hold()

    def _fall_back(self, strategy: Strategy, error: BadRequestError, delivered: int) -> bool:
        """A full table whose ordering the server refuses, before any row: read it again
        in the server's default order, with the same overlap checks."""
        # Refused: the error names ordering, or no parameter at all (a second 400 without
        # the ordering then fails the stream as any bad request does).
        named = error.parameters
        refused = strategy.ordering is not None and (not named or "ordering" in named)
        if strategy.incremental or not refused or delivered:
            return False
        self.logger.warning(
            "Stream '%s': DualEntry refuses ordering=%s; reading in its default order instead",
            self.name,
            strategy.ordering,
        )
        self.strategy = replace(
            strategy, ordering=None, reason=f"the server refuses ordering={strategy.ordering}"
        )
        return True

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
                shape=self.declared.shaper(
                    RecordShaper(
                        self.name, self.effective_schema, SchemaDrift(self.name, self.logger)
                    )
                ),
                derive=self.derive,
                key_of=self.key_of,
                tags=(
                    *(("company_id",) if self.endpoint.company_from_filter else ()),
                    *(("record_status",) if self.endpoint.status_from_filter else ()),
                ),
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
                reconciliation=settings.reconciliation,
                lookback_minutes=settings.lookback_minutes,
                emit_activate_version=settings.emit_activate_version_messages,
            ),
            clock=self.clock,
            logger=self.logger,
        )

    # Rows

    def query_params(self, context: Partition | None, ordering: str | None) -> Params:
        return self.query.params(context, ordering)

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


class _StrategyProbe:
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

    def sample(self, params: Params) -> Page:
        return self._stream.reader.sample(params)

    def derive(self, row: Row) -> None:
        self._stream.derive(row)


def _group(context: Partition | None) -> tuple[tuple[str, Any], ...]:
    """A partition's group: the partition less its record status."""
    return tuple(sorted((k, v) for k, v in (context or {}).items() if k != "record_status"))


def _quiet_known_failures(record: logging.LogRecord) -> bool:
    """Drop the SDK's generic "unhandled error" line when the error is one of ours:
    our own message already says what went wrong and what to do, in one line."""
    if record.msg == "An unhandled error occurred while syncing '%s'":
        return not isinstance(sys.exc_info()[1], DualEntryError)
    return True
