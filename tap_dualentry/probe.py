"""``--probe``: which of the tap's assumptions hold for this organisation's API.

At most three paced requests per endpoint:

1. the first page as a pass asks for it (every status by name, newest first where the
   list takes an ordering): page cap, ``count`` against the rows listed, newest-first
   order honoured, the fields and types the items carry against the schema, the
   timestamp formats, the rate-limit headers;
2. one row without the status filters: whether the server's default hides rows;
3. where it matters, one row with a far-future ``updated_after`` (is the filter
   honoured?) or with ``ordering=id`` (is the full tables' order accepted?).

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
from dataclasses import dataclass, field
from typing import Any

from tap_dualentry.api import ApiAccess, DualEntryClient
from tap_dualentry.catalogue import CATALOGUE, Endpoint, Replication, load_schema
from tap_dualentry.errors import BadRequestError, DualEntryError, StreamUnavailableError
from tap_dualentry.pagination import Page
from tap_dualentry.query import Params, Query
from tap_dualentry.records import RecordShaper, SchemaDrift
from tap_dualentry.replication import derive_timestamps
from tap_dualentry.settings import Settings
from tap_dualentry.strategy import FAR_FUTURE, NEWEST_FIRST, is_newest_first

PAGE = 100
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
    client = api.client("probe", logger)
    findings = [
        _probe_endpoint(endpoint, settings, api, client, logger) for endpoint in endpoints
    ]
    return {
        "format": FORMAT_VERSION,
        "api_url": settings.api_url,
        "api_version": settings.api_version,
        "probed_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "requests": sum(f.requests for f in findings),
        "rate_limit_headers": sorted(client.rate_limit_headers),
        "endpoints": {f.name: _as_dict(f) for f in findings},
    }


def _as_dict(findings: EndpointFindings) -> dict[str, Any]:
    data = dict(vars(findings))
    del data["name"]
    return data


def _probe_endpoint(
    endpoint: Endpoint,
    settings: Settings,
    api: ApiAccess,
    client: DualEntryClient,
    logger: logging.Logger,
) -> EndpointFindings:
    found = EndpointFindings(endpoint.name)
    path = api.path(endpoint.path)
    schema = load_schema(endpoint.name)
    query = Query(endpoint, settings)
    incremental = endpoint.replication is not Replication.FULL_TABLE
    timed = "updated_at" in schema.get("properties", {})
    ordering = NEWEST_FIRST if incremental and timed else endpoint.ordering

    def get(extra: Params, limit: int) -> Page:
        found.requests += 1
        body = client.get_json(
            path, [*extra, ("limit", str(limit)), ("offset", "0")], expect_page=True
        )
        return Page(rows=body["items"], count=int(body["count"]))

    params = query.params(None, ordering)
    try:
        page = get(params, PAGE)
    except StreamUnavailableError as error:
        found.available, found.refused = False, _status_of(error)
        return found
    except BadRequestError:
        if ordering is None:
            found.available, found.refused = False, "400"
            return found
        _record_ordering(found, ordering, accepted=False)
        params = query.params(None, None)
        retried = _try(lambda: get(params, PAGE), found)
        if retried is None:
            found.available = False
            return found
        page, ordering = retried, None
    if ordering is not None:
        _record_ordering(found, ordering, accepted=True)
    _examine_page(page, endpoint, schema, found, logger, newest_first=ordering == NEWEST_FIRST)

    if endpoint.replication is Replication.UPDATED_AFTER:
        probe = _try(lambda: get([*params, ("updated_after", FAR_FUTURE)], 1), found)
        if probe is None:
            found.updated_after = "refused"
        else:
            found.updated_after = "honoured" if probe.count == 0 else "ignored"
    unfiltered = [(n, v) for n, v in params if n not in ("record_status", "status")]
    if unfiltered != params and found.requests < 3:
        default = _try(lambda: get(unfiltered, 1), found)
        if default is not None:
            found.default_hides_rows = default.count < page.count
    return found


def _record_ordering(found: EndpointFindings, ordering: str, *, accepted: bool) -> None:
    """An ordering answered: the newest-first probe, or a full table's stable order."""
    if ordering == NEWEST_FIRST:
        if not accepted:
            found.newest_first = "refused"
    elif ordering == "id":
        found.ordering_id = "accepted" if accepted else "refused"


def _try(call: Any, found: EndpointFindings) -> Page | None:  # noqa: ANN401
    """A request whose refusal (400) is itself a finding."""
    try:
        page: Page = call()
    except BadRequestError:
        return None
    except StreamUnavailableError as error:
        found.refused = _status_of(error)
        return None
    return page


def _status_of(error: DualEntryError) -> str:
    match = re.search(r"answered (\d{3})", str(error))
    return match.group(1) if match else "unavailable"


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
    # Fewer rows than asked for and than counted: a cap (or a count too high: one page
    # cannot tell the two apart).
    capped = 0 < len(rows) < min(PAGE, page.count)
    if capped:
        found.page_cap = len(rows)
    elif len(rows) == PAGE:
        found.page_cap = PAGE  # at least what was asked for
    if page.count <= PAGE and not capped:
        found.count_consistent = page.count == len(rows)
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
        found.missing_fields = sorted(set(_declared(schema, "")) - seen - _derived(schema))
    found.timestamp_offsets = sorted(offsets)
    found.timestamp_fraction_digits = sorted(digits)
    if newest_first:
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


def _derived(schema: Mapping[str, Any]) -> set[str]:
    """Top-level fields the tap adds itself (derived times, the partition a row was read
    under): never sent by the API."""
    derived = {"updated_at", "created_at"}
    for name, node in schema["properties"].items():
        if "read under" in str(node.get("description", "")):
            derived.add(name)
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
            lines.append(f"{name}: not readable (HTTP {found['refused']})")
            continue
        facts = [
            _page_cap(found["page_cap"]),
            _yes_no("count matches the rows", found["count_consistent"]),
            _yes_no("server default hides rows", found["default_hides_rows"]),
        ]
        for label, key in (
            ("-updated_at", "newest_first"),
            ("updated_after", "updated_after"),
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
