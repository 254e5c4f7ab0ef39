"""Helpers for the catalogue-wide tests: listing every row of an endpoint over HTTP, and
clean-room oracles of its keys and orders (from the table's public and hidden columns)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dualentry_emulator import CATALOGUE, Emulator, EndpointSpec, Table
from dualentry_emulator.ordering import CREATED, HIDDEN_UPDATED, PRIMARY_KEY, VisibleField
from dualentry_emulator.timestamps import NO_TS, to_us

NAMES = tuple(CATALOGUE)
V2_ONLY = {
    "depreciation_books",
    "intercompany_journal_entries",
    "bank_match_suggestions",
    "bank_transactions",
    "vat_rates",
    "gst_tax_rates",
    "product_tax_codes",
}
SMALL = {name: min(spec.default_rows, 40) for name, spec in CATALOGUE.items()}
"""Sizes for the shared read-only emulators: every endpoint, at most 40 rows."""


def pk_of(spec: EndpointSpec, item: dict[str, Any]) -> Any:
    keys = tuple(item[k] for k in spec.primary_key)
    return keys[0] if len(keys) == 1 else keys


def everything(spec: EndpointSpec) -> list[tuple[str, str]]:
    """Parameters that list every row: all record statuses, inactive and expired rows."""
    out = []
    if spec.record_statuses is not None and spec.record_status_param:
        out += [("record_status", s) for s in spec.record_statuses]
    if "show_inactive" in spec.filters:
        out.append(("show_inactive", "true"))
    if "include_expired" in spec.filters:
        out.append(("include_expired", "true"))
    return out


def url(emu: Emulator, name: str) -> str:
    return emu.url_for(name, "v2")


def fetch(
    client: Any, emu: Emulator, name: str, params: Sequence[tuple[str, Any]] = (), limit: int = 100
) -> tuple[list[dict[str, Any]], set[int]]:
    """Every item of a listing, paging until an empty page; and the counts reported."""
    items: list[dict[str, Any]] = []
    counts = set()
    while True:
        reply = client.request(url(emu, name), [*params, ("limit", limit), ("offset", len(items))])
        assert reply.status == 200, (name, params, reply.body[:300])
        body = reply.json()
        counts.add(body["count"])
        if not body["items"]:
            return items, counts
        items.extend(body["items"])


def fetch_keys(
    client: Any, emu: Emulator, name: str, params: Sequence[tuple[str, Any]]
) -> list[Any]:
    spec = CATALOGUE[name]
    return [pk_of(spec, item) for item in fetch(client, emu, name, params)[0]]


def slot(table: Table, pk: Any) -> int:
    found = table.find_slot(pk)
    assert found is not None, pk
    return found


def category(table: Table, pk: Any, column: str) -> Any:
    """A row's hidden categorical value (e.g. a bank transfer's approval status)."""
    values = table.factory.categories[column]
    return values[table.cols.extra[column][slot(table, pk)]]


def created_us(table: Table, pk: Any) -> int:
    s = slot(table, pk)
    value = table.cols.created_ts[s]
    return value if value != NO_TS else table.cols.hidden_key[s]


def _null_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


def expected_order(
    table: Table, spec: EndpointSpec, ordering: str, rows: Iterable[dict[str, Any]]
) -> list[Any]:
    """The keys of `rows` in the order `ordering` asks for, ties broken by the primary key in
    the direction of the first term (stable multi-pass sort, least significant first)."""
    rank = {pk: i for i, pk in enumerate(table.ids())}  # primary-key (row id) order
    items = {pk_of(spec, row): row for row in rows}
    keys = list(items)
    terms = [(t.strip().lstrip("-"), t.strip().startswith("-")) for t in ordering.split(",")]
    fields = [(spec.orderings[name], desc) for name, desc in terms]
    if all(f is not PRIMARY_KEY for f, _ in fields):
        fields.append((PRIMARY_KEY, fields[0][1]))
    for field, desc in reversed(fields):
        if field is PRIMARY_KEY:
            keys.sort(key=rank.__getitem__, reverse=desc)
        elif field is HIDDEN_UPDATED:
            keys.sort(key=lambda pk: to_us(table.hidden_key(pk)), reverse=desc)
        elif field is CREATED:
            keys.sort(key=lambda pk: created_us(table, pk), reverse=desc)
        else:
            assert isinstance(field, VisibleField)
            keys.sort(key=lambda pk, p=field.path: _null_last(items[pk][p]), reverse=desc)
    return keys


def default_listing(
    table: Table, spec: EndpointSpec, behaviour_statuses: Sequence[str]
) -> list[dict[str, Any]]:
    """The rows a request without filters lists: default record statuses, active items,
    unexpired bank feed rows."""
    rows = table.rows()
    if spec.record_statuses is not None and spec.record_status_param:
        allowed = {
            s
            for s in spec.record_statuses
            if s in behaviour_statuses or s not in ("draft", "posted", "archived")
        }
        rows = [r for r in rows if table.record_status(pk_of(spec, r)) in allowed]
    if "show_inactive" in spec.filters:
        rows = [r for r in rows if r["is_active"]]
    if "include_expired" in spec.filters:
        rows = [r for r in rows if not r["is_expired"]]
    return rows
