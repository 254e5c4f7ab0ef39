"""DualEntryStream: the one stream class every catalogue entry is an instance of.

It owns its paging loop (``pagination.ListReader``) instead of the SDK's
paginator, chooses how to find changes from what the endpoint really offers
(``strategy.py``), keeps its own bookmark (written only when a pass completes),
writes its line-item child streams from the same pages, and writes
ACTIVATE_VERSION after the last record of a complete full pass.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from collections.abc import Callable, Generator, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk import RESTStream
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib.encoding.simple import RecordMessage

from tap_dualentry.api import DualEntryClient
from tap_dualentry.errors import DualEntryError, IncompleteStreamError
from tap_dualentry.pagination import KeySet, ListReader, Page, PageView, ReadStats
from tap_dualentry.progress import Progress, describe_context
from tap_dualentry.records import RecordShaper, SchemaDrift
from tap_dualentry.replication import PastBookmark, derive_timestamps
from tap_dualentry.runner import PageAhead
from tap_dualentry.strategy import Strategy, choose_strategy
from tap_dualentry.streams import RECORD_STATUSES, Endpoint
from tap_dualentry.timestamps import canonical, format_timestamp, parse_timestamp

if TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context, TapState
    from singer_sdk.tap_base import Tap

    from tap_dualentry.lines import LineStream
    from tap_dualentry.ratelimit import Pacer
    from tap_dualentry.retry import RetryPolicy
    from tap_dualentry.settings import Settings

REPLICATION_KEY = "updated_at"
# Rows changed this close before the bookmark are read again by updated_after passes,
# in case the server's clock and its updated_at disagree by a little.
UPDATED_AFTER_LOOKBACK = dt.timedelta(minutes=5)

Params = list[tuple[str, str]]


@dataclass(frozen=True)
class RunContext:
    """What every stream of one run shares."""

    settings: Settings
    pacer: Pacer
    policy: RetryPolicy


@dataclass(frozen=True)
class PassPlan:
    """How one partition is read this run."""

    since: str | None  # canonical updated_at the pass must reach back to; None: everything
    full: bool  # a complete pass over everything the filters select


class DualEntryStream(RESTStream[int]):
    """A DualEntry list endpoint, configured by its catalogue entry."""

    # Records are shaped by RecordShaper (records.py), which converts losslessly and
    # reports drift; the SDK's conformance would do neither.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    # Set while a full pass reads: its next page is requested ahead (runner.PageAhead).
    _ahead: PageAhead[Page] | None = None

    def __init__(
        self,
        tap: Tap,
        endpoint: Endpoint,
        schema: dict[str, Any],
        run: Callable[[], RunContext],
    ) -> None:
        self.endpoint = endpoint
        super().__init__(tap=tap, name=endpoint.name, schema=schema, path=endpoint.path)
        self.primary_keys = endpoint.primary_keys
        properties = schema.get("properties", {})
        self.replication_key = (
            REPLICATION_KEY if endpoint.incremental and REPLICATION_KEY in properties else None
        )
        # Resolved on first use, so that discovery works whatever the settings say.
        self._run_context = run
        self.drift = SchemaDrift(self.name, self.logger)
        self.logger.addFilter(_quiet_known_failures)
        self.read_stats = ReadStats()
        self.records_delivered = 0
        self.lines: list[LineStream] = []
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.strategy: Strategy | None = None
        self._actors = "updated_by" in properties or "created_by" in properties
        self._derives = self._actors or REPLICATION_KEY in properties
        # Items without a company of their own (customers) say which company they were
        # read under; null when no company filter is set.
        self._tags_company = endpoint.company_from_filter
        self._full_run: bool | None = None
        self._cached_first_page: tuple[tuple[tuple[str, str], ...], Page] | None = None
        # This stream's own view of the run's state: only its bookmarks. Parallel
        # streams then never serialise each other's half-updated state, and the
        # writer merges each stream's part into the full STATE (see output.py).
        bookmarks = tap.state.setdefault("bookmarks", {})
        self._own_state: TapState = {"bookmarks": {self.name: bookmarks.setdefault(self.name, {})}}

    @cached_property
    def run(self) -> RunContext:
        return self._run_context()

    @property
    def settings(self) -> Settings:
        return self.run.settings

    @property
    def api_path(self) -> str:
        return f"/public/{self.settings.api_version}/{self.endpoint.path}"

    @cached_property
    def client(self) -> DualEntryClient:
        return DualEntryClient(
            api_url=self.settings.api_url,
            api_key=str(self.config.get("api_key", "")),
            user_agent=self.user_agent,
            timeout=self.settings.request_timeout,
            pacer=self.run.pacer,
            policy=self.run.policy,
            logger=self.logger,
            stream_name=self.name,
        )

    @cached_property
    def shaper(self) -> RecordShaper:
        """Compiled on first use: a catalog given to the tap may narrow or retype the schema."""
        return RecordShaper(self.name, self.effective_schema, self.drift)

    # SDK plumbing

    @property
    def url_base(self) -> str:
        return f"{self.settings.api_url}/public/{self.settings.api_version}/"

    @property
    def user_agent(self) -> str:
        return str(self.config.get("user_agent") or f"tap-dualentry/{self._tap.plugin_version}")

    @property
    def tap_state(self) -> TapState:
        return self._own_state

    def get_new_paginator(self) -> None:
        """Paging is owned by ``ListReader``; the SDK's paginator is not used."""
        return

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """Unused: pages are parsed by the API client."""
        del response
        return ()

    @property
    def emit_activate_version_messages(self) -> bool:
        # The SDK would write ACTIVATE_VERSION before the first record, so a run cut
        # off after it leaves the target table emptied. We write it after the last
        # record of a complete pass instead (see _finish_stream).
        return False

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        """One partition per configured company, so a newly added company starts fresh."""
        company_ids = self.config.get("company_ids") or []
        if self.endpoint.company_filter and company_ids:
            return [{"company_id": int(company)} for company in company_ids]
        return None

    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[dict[str, Any] | None]:
        """None: line streams are written from the parent's own loop (see lines.py),
        not synced once per parent record as the SDK would."""
        del record, context
        return ()

    def _increment_stream_state(self, latest_record: Any, *, context: Any = None) -> None:  # noqa: ANN401
        """Bookmarks are written once a pass completes, never per record (see _finish_pass)."""
        del latest_record, context

    @cached_property
    def _selects_every_field(self) -> bool:
        return all(self.mask.values())

    def _generate_record_messages(
        self, record: dict[str, Any]
    ) -> Generator[RecordMessage, None, None]:
        """The SDK's RECORD messages (stream maps, aliases), without its selection walk
        when no field is deselected.

        That walk visits every record, nested objects included, and cost about a tenth
        of the tap's time per record while removing nothing; conformance is NONE here
        (records.py shapes), so the SDK's path would do nothing else.
        """
        if not self._selects_every_field:
            yield from super()._generate_record_messages(record)
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=dt.datetime.now(dt.UTC),
                )

    # Query

    def filter_signature(self) -> dict[str, list[str]]:
        """The filters, other than company ids, that decide which rows a bookmark covers."""
        signature = {"record_statuses": sorted(self._record_statuses())}
        for setting in sorted(self.endpoint.filters):
            signature[setting] = sorted(str(value) for value in self.config.get(setting) or [])
        return signature

    def _record_statuses(self) -> list[str]:
        allowed = self.endpoint.record_statuses
        if not allowed:
            return []
        if allowed != RECORD_STATUSES:
            return list(allowed)  # its own set (paper checks): always all of it
        chosen = self.config.get("record_statuses") or list(RECORD_STATUSES)
        return [status for status in chosen if status in allowed]

    def query_params(self, context: Context | None, ordering: str | None) -> Params:
        """Filters, statuses and ordering for every page of one pass (paging excluded)."""
        params: Params = []
        if context and "company_id" in context:
            params.append(("company_id", str(context["company_id"])))
        # Every status is asked for by name: the server's default is undocumented.
        params.extend(("record_status", status) for status in self._record_statuses())
        for setting, parameter in self.endpoint.filters.items():
            params.extend((parameter, str(value)) for value in self.config.get(setting) or [])
        params.extend(self.endpoint.fixed_params)
        if ordering:
            params.append(("ordering", ordering))
        return params

    def fetch(self, params: Params, offset: int, limit: int) -> Page:
        """One page; the strategy probe's first page is served again instead of refetched."""
        cached = self._cached_first_page
        if cached is not None and offset == 0 and cached[0] == tuple(params):
            self._cached_first_page = None
            return cached[1]
        paged = [*params, ("limit", str(limit)), ("offset", str(offset))]
        ahead = self._ahead
        if ahead is None:
            return self.client.get_page(self.api_path, paged, offset)
        page = ahead.take(tuple(paged)) or self.client.get_page(self.api_path, paged, offset)
        if len(page.rows) == limit:
            # A full page: the reader's next request overlaps its last row. Send it now.
            following = offset + limit - 1
            request = [*params, ("limit", str(limit)), ("offset", str(following))]
            ahead.start(
                tuple(request), lambda: self.client.get_page(self.api_path, request, following)
            )
        return page

    def remember_first_page(self, params: Params, page: Page) -> None:
        self._cached_first_page = (tuple(params), page)

    def derive(self, row: dict[str, Any]) -> None:
        """Give a raw row its canonical top-level ``updated_at`` (and ``created_at``)."""
        if self._derives:
            derive_timestamps(row, actors=self._actors)

    def key_of(self, row: Mapping[str, Any]) -> Hashable:
        keys = self.endpoint.primary_keys
        if len(keys) == 1:
            return row.get(keys[0])
        return tuple(row.get(name) for name in keys)

    # The pass

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Read one partition from the top; an incremental pass stops past its bookmark."""
        if self.started_at is None:
            self.started_at = time.monotonic()
        if self.strategy is None:
            self.strategy = choose_strategy(self, context)
        strategy = self.strategy
        plan = self._plan(context)
        params = self.query_params(context, strategy.ordering)
        if plan.since is not None and strategy.updated_after:
            since = parse_timestamp(plan.since) - UPDATED_AFTER_LOOKBACK
            params.append(("updated_after", format_timestamp(since)))
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
        seen = KeySet()
        reader = self._reader(params, seen)
        newest = yield from self._read(
            reader, context, stop_before=plan.since if strategy.early_stop else None
        )
        if plan.full and reader.complete:
            yield from self._verify_count(params, seen, reader, context)
        self._finish_pass(context, plan, newest)
        if self._is_last(context):
            self._finish_stream()

    def _read(
        self, reader: ListReader, context: Context | None, stop_before: str | None
    ) -> Generator[dict[str, Any], None, str | None]:
        """Deliver the reader's new rows (and their lines); return the newest updated_at."""
        newest: str | None = None
        progress = Progress(self, context)
        past = PastBookmark(stop_before) if stop_before is not None else None
        # A full pass reads every page: request each while the one before is processed.
        # (An incremental pass may stop at any page: a request sent ahead could be wasted.)
        self._ahead = PageAhead() if past is None else None
        try:
            for view in reader.pages():
                for row, record in self._deliver(view, context):
                    updated = record.get(REPLICATION_KEY)
                    if updated is not None and (newest is None or updated > newest):
                        newest = updated
                    yield record
                    if past is not None and past.observe(row):
                        # Past the bookmark: the rest of this page is older still.
                        reader.stop()
                        break
                progress.page(len(view.fresh), view.count)
        finally:
            if self._ahead is not None:
                self._ahead.close()
                self._ahead = None
        return newest

    def _deliver(
        self, view: PageView, context: Context | None
    ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Each new row of a page with its record, the row's lines written first."""
        for row in view.rows:
            self.derive(row)
        company = context.get("company_id") if context else None
        for row in view.fresh:
            record = self.shaper(row)
            if self._tags_company:
                record["company_id"] = company
            # Lines first: writing the parent may prune deselected nested fields in
            # place, and the shaped record can share nested objects with the row.
            for line_stream in self.lines:
                line_stream.write_lines(row)
            self.records_delivered += 1
            yield row, record

    def _reader(self, params: Params, seen: KeySet) -> ListReader:
        return ListReader(
            lambda offset, limit: self.fetch(params, offset, limit),
            page_size=self.settings.page_size,
            key_of=self.key_of,
            seen=seen,
            stats=self.read_stats,
        )

    def _verify_count(
        self, params: Params, seen: KeySet, main: ListReader, context: Context | None
    ) -> Iterator[dict[str, Any]]:
        """A full pass must account for every row the API counts.

        The only rows a verified pass can miss are rows that arrived before its
        position while it read (inserts, and rows an edit moved to the front of a
        newest-first order). On a shortfall the list is read again from the top, at
        least as far as such arrivals reached.
        """
        if len(seen) >= main.count:
            return
        delivered = len(seen)
        self.read_stats.verification_passes += 1
        self.logger.warning(
            "Stream '%s'%s: the pass delivered %d unique rows but DualEntry counts %d; "
            "reading the top of the list again to find the difference",
            self.name,
            describe_context(context),
            delivered,
            main.count,
        )
        reader = self._reader(params, seen)
        for view in reader.pages():
            for _, record in self._deliver(view, context):
                yield record
            if len(seen) >= view.count and reader.position >= main.arrivals:
                reader.stop()
        short = reader.count - len(seen)
        if short <= 0:
            return
        if len(seen) == delivered and reader.complete:
            # A whole second read found nothing new: the server counts rows it does not
            # list. Every row it does list has been delivered.
            self.logger.warning(
                "Stream '%s'%s: DualEntry counts %d rows but lists %d; every listed row "
                "was delivered",
                self.name,
                describe_context(context),
                reader.count,
                delivered,
            )
            return
        if short <= reader.arrivals:
            # Rows that arrived while we re-read the top are newer than anything this
            # pass bookmarks: the next incremental run reads them.
            self.logger.info(
                "Stream '%s'%s: %d rows arrived during the sync and are left to the next run",
                self.name,
                describe_context(context),
                short,
            )
            return
        msg = (
            f"Stream '{self.name}'{describe_context(context)}: delivered {len(seen)} unique "
            f"rows of the {reader.count} DualEntry counts, even after reading the list again; "
            "the list kept changing under the sync. The bookmark was not advanced: run the "
            "sync again."
        )
        raise IncompleteStreamError(msg)

    # State

    def _plan(self, context: Context | None) -> PassPlan:
        if self._full_run is None:
            self._full_run = self._decide_full_run()
            self._stream_version = int(time.time() * 1000) if self._full_run else None
            for line_stream in self.lines:
                line_stream.version = self._stream_version
        if self._full_run or not self.strategy or not self.strategy.incremental:
            return PassPlan(since=None, full=True)
        state = self.get_context_state(context)
        bookmark = canonical(state.get("replication_key_value"))
        since = max(filter(None, (bookmark, self.settings.start_date)), default=None)
        return PassPlan(since=since, full=since is None)

    def _decide_full_run(self) -> bool:
        """Whether this run reads everything in every partition (and may then activate)."""
        if not self.replication_key or not self.strategy or not self.strategy.incremental:
            return True
        if self.settings.start_date:
            return False  # rows changed before start_date are not read: nothing may be retired
        contexts: list[dict[str, Any] | None] = list(self.partitions or []) or [None]
        if all(not self.get_context_state(c).get("replication_key_value") for c in contexts):
            return True
        interval = self.config.get("full_pass_interval_days")
        if interval is not None:
            last = canonical(self.stream_state.get("last_full_pass"))
            due = dt.datetime.now(dt.UTC) - dt.timedelta(days=float(interval))
            if last is None or parse_timestamp(last) <= due:
                self.logger.info(
                    "Stream '%s': a full pass is due (full_pass_interval_days=%s)",
                    self.name,
                    interval,
                )
                return True
        return False

    def _finish_pass(self, context: Context | None, plan: PassPlan, newest: str | None) -> None:
        """The partition was read to its end (or past its bookmark): record how far."""
        state = self.get_context_state(context)
        if self.replication_key:
            previous = canonical(state.get("replication_key_value"))
            value = max(filter(None, (previous, newest)), default=None)
            if value is not None:
                state["replication_key"] = self.replication_key
                state["replication_key_value"] = value
            self.stream_state["filters"] = self.filter_signature()
        if plan.full:
            state["last_full_pass"] = format_timestamp(dt.datetime.now(dt.UTC))
        self.state_manager.is_flushed = False

    def request_interval(self) -> float:
        """Steady-state seconds per request under the pacing, for ETAs."""
        return self.run.pacer.expected_interval(self.api_path)

    def _is_last(self, context: Context | None) -> bool:
        partitions = self.partitions
        return not partitions or context == partitions[-1]

    def _finish_stream(self) -> None:
        self.finished_at = time.monotonic()
        if not self._full_run:
            return
        self.stream_state["last_full_pass"] = format_timestamp(dt.datetime.now(dt.UTC))
        if self.config.get("emit_activate_version_messages", True) and self._stream_version:
            # After the last record of a complete pass, never before: targets apply
            # ACTIVATE_VERSION at once.
            if self.selected:
                self._write_activate_version_message(self._stream_version)
            for line_stream in self.lines:
                line_stream.activate()


def _quiet_known_failures(record: logging.LogRecord) -> bool:
    """Drop the SDK's generic "unhandled error" line when the error is one of ours:
    our own message already says what went wrong and what to do, in one line."""
    if record.msg == "An unhandled error occurred while syncing '%s'":
        return not isinstance(sys.exc_info()[1], DualEntryError)
    return True
