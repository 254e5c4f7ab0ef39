"""``--probe``: which of the tap's assumptions hold for this organisation's API.

At most three paced requests per endpoint:

1. the first page as a pass asks for it (every status by name, newest first where the
   list takes an ordering): page cap, ``count`` against the rows listed, newest-first
   order honoured, the fields and types the items carry against the schema, the
   timestamp formats, the rate-limit headers;
2. one row without the status filters: whether the server's default hides rows;
3. for the lists that may take one, one row with a far-future ``updated_after`` (or,
   for lists read since their creation time, ``start_date``): is the filter honoured?

A full table's ``ordering=id`` is the first request's ordering there, so its answer
says whether that order is accepted; a refused ordering spends a request on asking
again without it. Faults and 429s spend requests too: never more than three.

The report holds field names, types and yes/no findings only: never the API key, and
never a value from the data (no names, amounts or row counts), so it can be attached
to a bug report. ``--format json`` writes it as JSON, which the emulator loads as a
behaviour profile (``dualentry-emulator --profile report.json``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tap_dualentry.api import ApiAccess, DualEntryClient
from tap_dualentry.catalogue import CATALOGUE, Endpoint, Replication, load_schema
from tap_dualentry.errors import (
    AuthenticationError,
    BadRequestError,
    DualEntryError,
    PersistentFaultError,
)
from tap_dualentry.pagination import Page
from tap_dualentry.query import Params, Query
from tap_dualentry.records import RecordShaper, SchemaDrift
from tap_dualentry.replication import derive_timestamps
from tap_dualentry.retry import RetryPolicy
from tap_dualentry.settings import Settings
from tap_dualentry.strategy import FAR_FUTURE, NEWEST_FIRST, is_newest_first

PAGE = 100
REQUESTS_PER_ENDPOINT = 3
FORMAT_VERSION = 1
_OFFSET = re.compile(r"(Z|[+-]\d\d:?\d\d)$")
_FRACTION = re.compile(r"T\d\d:\d\d:\d\d(?:\.(\d+))?")


@dataclass
class EndpointFindings:
    """What one endpoint's answers showed; None where they could not tell."""

    name: str
    requests: int = 0
    available: bool = True
    refused: str | None = None  # why the endpoint could not be read (status, no details)
    page_cap: int | None = None
    count_consistent: bool | None = None
    newest_first: str | None = None  # "honoured", "ignored", "refused", or None: not asked
    updated_after: str | None = None  # "honoured", "ignored", "refused"
    start_date_filter: str | None = None  # the same, where rows are read since creation
    ordering_id: str | None = None  # "accepted", "refused"
    default_hides_rows: bool | None = None
    unknown_fields: list[str] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)  # in the schema, never sent
    type_mismatches: list[str] = field(default_factory=list)  # "path: schema X, sent Y"
    nulls_in_required: list[str] = field(default_factory=list)
    timestamp_offsets: list[str] = field(default_factory=list)  # "Z", "+00:00", "other", "none"
    timestamp_fraction_digits: list[int] = field(default_factory=list)


class _Findings(SchemaDrift):
    """Schema drift collected instead of logged."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__("probe", logger)
        self.found: dict[str, set[str]] = {}

    def report(self, kind: str, path: str, detail: str) -> None:
        del detail
        self.found.setdefault(kind, set()).add(path)


def run_probe(settings: Settings, api: ApiAccess, logger: logging.Logger) -> dict[str, Any]:
    """Probe every endpoint of the configured API version; the report as a JSON object.

    Raises:
        AuthenticationError: the key was rejected (every endpoint would fail alike).
    """
    endpoints = [e for e in CATALOGUE if settings.api_version == "v2" or e.v1]
    # One HTTP request per call: the probe keeps its own budget of three per endpoint,
    # and a fault or a 429 spends one of them (the pacing waits out a Retry-After).
    client = replace(api, policy=RetryPolicy(max_tries=1, max_rate_limit_wait=0)).client(
        "probe", logger
    )
    findings = [
        _EndpointProbe(endpoint, settings, api.path(endpoint.path), client, logger).run()
        for endpoint in endpoints
    ]
    return {
        "format": FORMAT_VERSION,
        "api_url": settings.api_url,
        "api_version": settings.api_version,
        "probed_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "requests": client.stats.requests,
        "rate_limit_headers": sorted(client.rate_limit_headers),
        "endpoints": {f.name: _as_dict(f) for f in findings},
    }


def _as_dict(findings: EndpointFindings) -> dict[str, Any]:
    data = dict(vars(findings))
    del data["name"]
    return data


class _OutOfRequests(Exception):  # noqa: N818 - control flow within one endpoint's probe
    """The endpoint's three requests are spent."""


class _EndpointProbe:
    """Up to three requests to one endpoint, and what their answers showed."""

    def __init__(
        self,
        endpoint: Endpoint,
        settings: Settings,
        path: str,
        client: DualEntryClient,
        logger: logging.Logger,
    ) -> None:
        self._endpoint = endpoint
        self._query = Query(endpoint, settings)
        self._path = path
        self._client = client
        self._logger = logger
        self._schema = load_schema(endpoint.name)
        self.found = EndpointFindings(endpoint.name)

    def run(self) -> EndpointFindings:
        found = self.found
        try:
            page, params = self._first_page()
        except AuthenticationError:
            raise  # every endpoint would answer the same
        except (DualEntryError, _OutOfRequests) as error:
            found.available, found.refused = False, _status_of(error)
            return found
        if page.count == 0:
            return found  # an empty list answers nothing else
        # The first page is in: a later refusal or fault only leaves its question open.
        try:
            if self._endpoint.replication is Replication.UPDATED_AFTER:
                found.updated_after = self._honoured(params, "updated_after")
            elif self._endpoint.replication is Replication.CREATED_AFTER:
                found.start_date_filter = self._honoured(params, "start_date")
            unfiltered = [(n, v) for n, v in params if n not in ("record_status", "status")]
            if unfiltered != params:
                found.default_hides_rows = self._get(unfiltered, 1).count < page.count
        except AuthenticationError:
            raise
        except (DualEntryError, _OutOfRequests):
            pass
        return found

    def _first_page(self) -> tuple[Page, Params]:
        """The first page as a pass asks for it (again without an ordering it refuses)."""
        endpoint, found = self._endpoint, self.found
        # Lists read since their creation time take no ordering to probe.
        timed = "updated_at" in self._schema["properties"]
        ordering = (
            NEWEST_FIRST
            if endpoint.incremental
            and timed
            and endpoint.replication is not Replication.CREATED_AFTER
            else endpoint.ordering
        )
        params = self._query.params(None, ordering)
        try:
            page = self._get(params, PAGE)
        except BadRequestError:
            if ordering is None:
                raise
            _record_ordering(found, ordering, accepted=False)
            ordering, params = None, self._query.params(None, None)
            page = self._get(params, PAGE)
        if ordering is not None:
            _record_ordering(found, ordering, accepted=True)
        _examine_page(
            page,
            endpoint,
            self._schema,
            found,
            self._logger,
            newest_first=ordering == NEWEST_FIRST,
        )
        return page, params

    def _honoured(self, params: Params, parameter: str) -> str:
        try:
            probe = self._get([*params, (parameter, FAR_FUTURE)], 1)
        except BadRequestError:
            return "refused"
        return "honoured" if probe.count == 0 else "ignored"

    def _get(self, params: Params, limit: int) -> Page:
        """A page, retried on transient faults while the endpoint's budget lasts."""
        paged = [*params, ("limit", str(limit)), ("offset", "0")]
        while True:
            if self.found.requests >= REQUESTS_PER_ENDPOINT:
                raise _OutOfRequests
            self.found.requests += 1
            try:
                body = self._client.get_json(self._path, paged, expect_page=True)
            except PersistentFaultError:
                if self.found.requests >= REQUESTS_PER_ENDPOINT:
                    raise
                continue
            return Page(rows=body["items"], count=int(body["count"]))


def _record_ordering(found: EndpointFindings, ordering: str, *, accepted: bool) -> None:
    """An ordering answered: the newest-first probe, or a full table's stable order."""
    if ordering == NEWEST_FIRST:
        if not accepted:
            found.newest_first = "refused"
    elif ordering == "id":
        found.ordering_id = "accepted" if accepted else "refused"


def _status_of(error: Exception) -> str:
    if isinstance(error, _OutOfRequests):
        return "no answer in three requests"
    if isinstance(error, BadRequestError):
        return "HTTP 400"
    match = re.search(r"(?:answered|HTTP) (\d{3})", str(error))
    return f"HTTP {match.group(1)}" if match else "no answer"


def _examine_page(
    page: Page,
    endpoint: Endpoint,
    schema: dict[str, Any],
    found: EndpointFindings,
    logger: logging.Logger,
    *,
    newest_first: bool,
) -> None:
    rows = page.rows
    if page.count <= PAGE:
        # The whole list fits in one page: every counted row must be listed. (Fewer rows
        # here is a count too high, or a cap: one page cannot tell, and saying which
        # would say how many rows there are.)
        found.count_consistent = page.count == len(rows)
    elif len(rows) < PAGE:
        found.page_cap = len(rows)  # more rows counted than one page: the server's cap
    else:
        found.page_cap = PAGE  # at least what was asked for
    drift = _Findings(logger)
    shaper = RecordShaper(endpoint.name, schema, drift)
    mismatches: set[str] = set()
    seen: set[str] = set()
    offsets: set[str] = set()
    digits: set[int] = set()
    for row in rows:
        for path, node, value in _walk(schema, row, ""):
            seen.add(path)
            if node.get("format") == "date-time" and isinstance(value, str):
                offset, fraction = _timestamp_style(value)
                offsets.add(offset)
                digits.add(fraction)
        try:
            shaper(row)
        except DualEntryError as error:
            mismatch = f"{getattr(error, 'path', '?')}: schema {getattr(error, 'expected', '?')}"
            mismatches.add(f"{mismatch}, sent {getattr(error, 'sent', '?')}")
    found.unknown_fields = sorted(drift.found.get(SchemaDrift.UNDECLARED, ()))
    found.nulls_in_required = sorted(drift.found.get(SchemaDrift.NULL, ()))
    found.type_mismatches = sorted(mismatches)
    if rows:
        found.missing_fields = sorted(set(_declared(schema, "")) - seen - _derived(endpoint))
    found.timestamp_offsets = sorted(offsets)
    found.timestamp_fraction_digits = sorted(digits)
    if newest_first and len(rows) > 1:
        actors = "updated_by" in schema["properties"] or "created_by" in schema["properties"]
        for row in rows:
            derive_timestamps(row, actors=actors)
        found.newest_first = "honoured" if is_newest_first(rows) else "ignored"


def _walk(schema: Mapping[str, Any], value: Any, path: str) -> Iterator[tuple[str, Any, Any]]:  # noqa: ANN401
    """(path, schema node, value) of every declared property present in ``value``."""
    properties = schema.get("properties")
    if isinstance(value, dict) and properties:
        for name, node in properties.items():
            if name in value:
                child = f"{path}.{name}" if path else name
                yield child, node, value[name]
                yield from _walk(node, value[name], child)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            yield from _walk(schema["items"], item, f"{path}[]")


def _declared(schema: Mapping[str, Any], path: str) -> Iterator[str]:
    for name, node in (schema.get("properties") or {}).items():
        child = f"{path}.{name}" if path else name
        yield child
        yield from _declared(node, child)
        if isinstance(node.get("items"), dict):
            yield from _declared(node["items"], f"{child}[]")


def _derived(endpoint: Endpoint) -> set[str]:
    """Top-level fields the tap adds itself: never sent by the API."""
    derived = {"updated_at", "created_at"}
    if endpoint.company_from_filter:
        derived.add("company_id")
    if endpoint.status_from_filter:
        derived.add("record_status")
    return derived


def _timestamp_style(value: str) -> tuple[str, int]:
    """How a date-time is written: its offset style and its fractional digits."""
    match = _OFFSET.search(value)
    offset = match.group(1) if match else None
    zone = (
        "none"
        if offset is None
        else "Z"
        if offset == "Z"
        else "+00:00"
        if offset in ("+00:00", "+0000")
        else "other"
    )
    fraction = _FRACTION.search(value)
    return zone, len(fraction.group(1) or "") if fraction else 0


def render_text(report: Mapping[str, Any]) -> str:
    """The report for a person: one block per endpoint, then what it means for the tap."""
    lines = [
        f"tap-dualentry probe of {report['api_url']} ({report['api_version']}) at "
        f"{report['probed_at']}: {len(report['endpoints'])} endpoints, "
        f"{report['requests']} requests.",
        "Field names, types and findings only: no API key and no values from the data.",
        f"Rate-limit headers seen: {', '.join(report['rate_limit_headers']) or 'none'}.",
        "",
    ]
    for name, found in report["endpoints"].items():
        if not found["available"]:
            lines.append(f"{name}: not readable ({found['refused']})")
            continue
        facts = [
            _page_cap(found["page_cap"]),
            _yes_no("count matches the rows", found["count_consistent"]),
            _yes_no("server default hides rows", found["default_hides_rows"]),
        ]
        for label, key in (
            ("-updated_at", "newest_first"),
            ("updated_after", "updated_after"),
            ("start_date filter", "start_date_filter"),
            ("ordering=id", "ordering_id"),
        ):
            if found[key]:
                facts.append(f"{label} {found[key]}")
        lines.append(f"{name}: " + "; ".join(fact for fact in facts if fact))
        for label, key in (
            ("fields not in the schema", "unknown_fields"),
            ("schema fields never sent", "missing_fields"),
            ("type mismatches", "type_mismatches"),
            ("nulls where the schema allows none", "nulls_in_required"),
        ):
            if found[key]:
                lines.append(f"  {label}: {', '.join(found[key])}")
        if found["timestamp_offsets"]:
            digits = "/".join(str(d) for d in found["timestamp_fraction_digits"])
            lines.append(
                f"  timestamps: offsets {'/'.join(found['timestamp_offsets'])}; "
                f"fractional digits {digits}"
            )
    return "\n".join(lines) + "\n"


def _page_cap(cap: int | None) -> str:
    if cap is None:
        return "page cap: not reached"
    return "page cap: none below 100" if cap >= PAGE else f"page cap: {cap} rows"


def _yes_no(label: str, value: bool | None) -> str:
    return "" if value is None else f"{label}: {'yes' if value else 'no'}"


def render_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=1, sort_keys=False) + "\n"
